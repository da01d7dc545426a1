// Optimizers on ParamDicts (functional: step returns the new parameters)
// and on modules (step writes the module's parameters). Per-parameter state
// (momentum, Adam moments) is kept by key. Parameters without a gradient in
// `grads` are left as they are (torch's None grad); a gradient for a key
// that is not a parameter, or of the wrong shape, is an error. Updates are
// computed on detached tensors.
//
//   nn::Adam opt({.lr = 1e-2});
//   for (...) {
//     ParamDict g = grad(loss)(params, x, y);
//     params = opt.step(params, g);
//   }
#pragma once

#include <cstdint>

#include "core/param_dict.h"
#include "nn/module.h"

namespace fnx::nn {

struct SGDOptions {
  double lr = 1e-2;
  double momentum = 0;
  double dampening = 0;
  double weight_decay = 0;
  bool nesterov = false;
};

class SGD {
 public:
  explicit SGD(SGDOptions options);
  ParamDict step(const ParamDict& params, const ParamDict& grads);
  void step(Module& module, const ParamDict& grads);
  double lr() const { return options_.lr; }
  void set_lr(double lr);  // what an LR schedule calls (lr_schedule.h)

 private:
  SGDOptions options_;
  ParamDict momentum_;
};

struct AdamOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 0;
  // AdamW: weight decay applied to the parameters directly (decoupled)
  // instead of being added to the gradient.
  bool decoupled_weight_decay = false;
};

class Adam {
 public:
  explicit Adam(AdamOptions options);
  ParamDict step(const ParamDict& params, const ParamDict& grads);
  void step(Module& module, const ParamDict& grads);
  double lr() const { return options_.lr; }
  void set_lr(double lr);

 private:
  AdamOptions options_;
  ParamDict m_, v_;
  int64_t t_ = 0;
};

// AdamW: Adam with decoupled weight decay (torch's defaults: lr 1e-3,
// weight_decay 1e-2).
struct AdamWOptions {
  double lr = 1e-3;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double weight_decay = 1e-2;
};

class AdamW : public Adam {
 public:
  explicit AdamW(AdamWOptions options);
};

// RMSprop (torch's): v = alpha v + (1 - alpha) g^2, and with `centered` the
// running mean of g is subtracted from v; step g / (sqrt(v) + eps), with
// optional momentum on the step.
struct RMSpropOptions {
  double lr = 1e-2;
  double alpha = 0.99;
  double eps = 1e-8;
  double weight_decay = 0;
  double momentum = 0;
  bool centered = false;
};

class RMSprop {
 public:
  explicit RMSprop(RMSpropOptions options);
  ParamDict step(const ParamDict& params, const ParamDict& grads);
  void step(Module& module, const ParamDict& grads);
  double lr() const { return options_.lr; }
  void set_lr(double lr);

 private:
  RMSpropOptions options_;
  ParamDict square_avg_, grad_avg_, momentum_;
};

// Adagrad (torch's): sum += g^2, step lr_t g / (sqrt(sum) + eps) with
// lr_t = lr / (1 + (t - 1) lr_decay).
struct AdagradOptions {
  double lr = 1e-2;
  double lr_decay = 0;
  double weight_decay = 0;
  double initial_accumulator_value = 0;
  double eps = 1e-10;
};

class Adagrad {
 public:
  explicit Adagrad(AdagradOptions options);
  ParamDict step(const ParamDict& params, const ParamDict& grads);
  void step(Module& module, const ParamDict& grads);
  double lr() const { return options_.lr; }
  void set_lr(double lr);

 private:
  AdagradOptions options_;
  ParamDict sum_;
  int64_t t_ = 0;
};

// Scales every gradient by min(1, max_norm / (total_norm + 1e-6)), where
// total_norm is the norm_type-norm of all the gradients together (inf: the
// largest magnitude), as torch.nn.utils.clip_grad_norm_; returns the total
// norm (0-d, before clipping). Works under vmap (per-example clipping).
Tensor clip_grad_norm_(ParamDict& grads, double max_norm,
                       double norm_type = 2.0);

}  // namespace fnx::nn
