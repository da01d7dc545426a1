#include "nn/lr_schedule.h"

#include <cmath>
#include <numbers>
#include <utility>

#include "core/error.h"

namespace fnx::nn {

LrSchedule step_lr(double base_lr, int64_t step_size, double gamma) {
  FNX_CHECK(step_size > 0, "nn.step_lr", "step_size must be positive, got ",
            step_size);
  return [=](int64_t step) {
    FNX_CHECK(step >= 0, "nn.step_lr", "step must be >= 0, got ", step);
    return base_lr * std::pow(gamma, static_cast<double>(step / step_size));
  };
}

LrSchedule cosine_lr(double base_lr, int64_t t_max, double eta_min) {
  FNX_CHECK(t_max > 0, "nn.cosine_lr", "t_max must be positive, got ", t_max);
  return [=](int64_t step) {
    FNX_CHECK(step >= 0, "nn.cosine_lr", "step must be >= 0, got ", step);
    if (step >= t_max) return eta_min;
    const double phase = std::numbers::pi * double(step) / double(t_max);
    return eta_min + (base_lr - eta_min) * (1 + std::cos(phase)) / 2;
  };
}

LrSchedule linear_warmup(LrSchedule after, int64_t warmup_steps) {
  FNX_CHECK(after != nullptr, "nn.linear_warmup", "no schedule to warm up");
  FNX_CHECK(warmup_steps >= 0, "nn.linear_warmup",
            "warmup_steps must be >= 0, got ", warmup_steps);
  return [after = std::move(after), warmup_steps](int64_t step) {
    const double lr = after(step);
    if (step >= warmup_steps) return lr;
    return lr * double(step + 1) / double(warmup_steps);
  };
}

}  // namespace fnx::nn
