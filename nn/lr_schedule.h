// Learning-rate schedules as functions of the step (0, 1, 2, ...), set on
// an optimizer before each step, and composable (warmup then cosine):
//
//   nn::AdamW opt({.lr = 3e-4});
//   nn::LrSchedule lr = nn::linear_warmup(nn::cosine_lr(3e-4, 1000), 100);
//   for (int64_t step = 0; step < 1000; ++step) {
//     opt.set_lr(lr(step));
//     params = opt.step(params, grad(loss)(params, batch));
//   }
//
// The values are torch's closed forms (StepLR, CosineAnnealingLR, a linear
// warmup as LinearLR's ramp) evaluated at `step`, so a schedule can be
// queried for any step without replaying the ones before.
#pragma once

#include <cstdint>
#include <functional>

namespace fnx::nn {

using LrSchedule = std::function<double(int64_t step)>;

// base_lr * gamma^(step / step_size) (integer division).
LrSchedule step_lr(double base_lr, int64_t step_size, double gamma = 0.1);
// eta_min + (base_lr - eta_min) (1 + cos(pi step / t_max)) / 2, and eta_min
// after t_max.
LrSchedule cosine_lr(double base_lr, int64_t t_max, double eta_min = 0);
// after(step) scaled by (step + 1) / warmup_steps during the first
// warmup_steps steps, then after(step) itself.
LrSchedule linear_warmup(LrSchedule after, int64_t warmup_steps);

}  // namespace fnx::nn
