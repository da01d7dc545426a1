// What the optimizers (optim.cc, optim_adaptive.cc) share. Not public.
#pragma once

#include <functional>
#include <string>

#include "core/param_dict.h"
#include "nn/module.h"

namespace fnx::nn::optim_internal {

// Every gradient names a parameter and has its shape: "[op] ..." errors.
void check_grads(const char* op, const ParamDict& params,
                 const ParamDict& grads);
void check_lr(const char* op, double lr);
// Detached parameters, each one with a gradient replaced by
// update(key, parameter, gradient) (both detached); the others unchanged.
// Checks the gradients first (check_grads).
using UpdateFn = std::function<Tensor(const std::string& key, const Tensor& p,
                                      const Tensor& g)>;
ParamDict update_each(const char* op, const ParamDict& params,
                      const ParamDict& grads, const UpdateFn& update);
// Writes `updated` into the module's parameters in place (keeping ties).
void write_back(Module& module, const ParamDict& updated);

}  // namespace fnx::nn::optim_internal
