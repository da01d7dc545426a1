// RMSprop, Adagrad and gradient-norm clipping, with torch's update rules
// (torch.optim.RMSprop, torch.optim.Adagrad, clip_grad_norm_).
#include <cmath>
#include <limits>
#include <utility>

#include "core/error.h"
#include "core/ops/ops.h"
#include "nn/optim.h"
#include "nn/optim_internal.h"

namespace fnx::nn {
using namespace optim_internal;

RMSprop::RMSprop(RMSpropOptions options) : options_(options) {
  check_lr("nn.RMSprop", options.lr);
  FNX_CHECK(options.alpha >= 0 && options.alpha <= 1, "nn.RMSprop",
            "alpha must be in [0, 1], got ", options.alpha);
  FNX_CHECK(options.momentum >= 0 && options.eps >= 0, "nn.RMSprop",
            "momentum and eps must be non-negative, got ", options.momentum,
            " and ", options.eps);
}

ParamDict RMSprop::step(const ParamDict& params, const ParamDict& grads) {
  const double alpha = options_.alpha;
  return update_each(
      "nn.RMSprop", params, grads,
      [&](const std::string& k, const Tensor& p, Tensor g) {
        if (options_.weight_decay != 0) g = g + p * options_.weight_decay;
        const Tensor sq = square_avg_.contains(k) ? square_avg_.at(k) * alpha +
                                                        square(g) * (1 - alpha)
                                                  : square(g) * (1 - alpha);
        square_avg_.insert_or_assign(k, sq);
        Tensor avg = sq;
        if (options_.centered) {
          const Tensor ga = grad_avg_.contains(k)
                                ? grad_avg_.at(k) * alpha + g * (1 - alpha)
                                : g * (1 - alpha);
          grad_avg_.insert_or_assign(k, ga);
          avg = sq - square(ga);
        }
        Tensor d = g / (sqrt(avg) + options_.eps);
        if (options_.momentum > 0) {
          d = momentum_.contains(k) ? momentum_.at(k) * options_.momentum + d
                                    : d;
          momentum_.insert_or_assign(k, d);
        }
        return p - d * options_.lr;
      });
}

void RMSprop::step(Module& module, const ParamDict& grads) {
  write_back(module, step(module.named_parameters(), grads));
}

void RMSprop::set_lr(double lr) {
  check_lr("nn.RMSprop", lr);
  options_.lr = lr;
}

Adagrad::Adagrad(AdagradOptions options) : options_(options) {
  check_lr("nn.Adagrad", options.lr);
  FNX_CHECK(options.lr_decay >= 0 && options.initial_accumulator_value >= 0 &&
                options.eps >= 0,
            "nn.Adagrad",
            "lr_decay, initial_accumulator_value and eps must be "
            "non-negative");
}

ParamDict Adagrad::step(const ParamDict& params, const ParamDict& grads) {
  check_grads("nn.Adagrad", params, grads);  // before the step count moves
  ++t_;
  const double lr = options_.lr / (1 + double(t_ - 1) * options_.lr_decay);
  return update_each(
      "nn.Adagrad", params, grads,
      [&](const std::string& k, const Tensor& p, Tensor g) {
        if (options_.weight_decay != 0) g = g + p * options_.weight_decay;
        const Tensor before =
            sum_.contains(k) ? sum_.at(k)
                             : full_like(p, options_.initial_accumulator_value);
        const Tensor total = before + square(g);
        sum_.insert_or_assign(k, total);
        return p - g / (sqrt(total) + options_.eps) * lr;
      });
}

void Adagrad::step(Module& module, const ParamDict& grads) {
  write_back(module, step(module.named_parameters(), grads));
}

void Adagrad::set_lr(double lr) {
  check_lr("nn.Adagrad", lr);
  options_.lr = lr;
}

Tensor clip_grad_norm_(ParamDict& grads, double max_norm, double norm_type) {
  FNX_CHECK(max_norm >= 0, "nn.clip_grad_norm_",
            "max_norm must be non-negative, got ", max_norm);
  FNX_CHECK(norm_type > 0, "nn.clip_grad_norm_",
            "norm_type must be positive (or infinity), got ", norm_type);
  const bool inf = std::isinf(norm_type);
  Tensor total;
  for (const auto& [k, g] : grads) {
    const Tensor a = abs(g);
    const Tensor part = inf ? amax(a) : sum(pow(a, norm_type));
    total = !total.defined() ? part : inf ? maximum(total, part) : total + part;
  }
  if (!total.defined()) return zeros({});
  if (!inf) total = pow(total, 1.0 / norm_type);
  // clamp(max_norm / (total + 1e-6), max = 1), as torch.
  const Tensor scale = clamp(max_norm / (total + 1e-6), std::nullopt, 1.0);
  ParamDict clipped;
  for (const auto& [k, g] : grads) clipped.insert_or_assign(k, g * scale);
  grads = std::move(clipped);
  return total;
}

}  // namespace fnx::nn
