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

 private:
  AdamOptions options_;
  ParamDict m_, v_;
  int64_t t_ = 0;
};

}  // namespace fnx::nn
