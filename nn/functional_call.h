// Modules made functional, as torch.func:
//
//   ParamDict params = model.named_parameters();
//   Tensor y = nn::functional_call(model, params, x);   // == model(x)
//   ParamDict g = grad([&](const ParamDict& p, const Tensor& x) {
//     return nn::functional_call(model, p, x).sum();
//   })(params, x);
//
//   auto [ps, bs] = nn::stack_module_state(models);   // leading dim: models
//   auto fmodel = [&](const ParamDict& p, const ParamDict& b,
//                     const Tensor& x) {
//     return nn::functional_call(*models[0], {p, b}, x);
//   };
//   Tensor ys = vmap(fmodel, {0, 0, none})(ps, bs, x);
//
// functional_call runs module.forward(args...) with the given tensors in
// place of the module's parameters and buffers of the same names; the
// module is restored afterwards, also when forward throws. Keys the module
// does not have, and tensors whose shape differs from the slot they
// replace, are errors. With strict, every parameter and buffer must be
// given; otherwise the missing ones keep the module's own tensors. With
// tie_weights (the default, as torch), a tensor the module registers under
// several names (tied weights) is replaced under all of them when one name
// is given; giving tied names different tensors is an error. Without it,
// only the names given are replaced.
#pragma once

#include <concepts>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/param_dict.h"
#include "core/tensor.h"
#include "nn/module.h"

namespace fnx::nn {

struct FunctionalCallOptions {
  bool strict = false;
  bool tie_weights = true;
};

namespace functional_internal {

// Substitutes the tensors for its lifetime (RAII), on this thread only:
// the module itself is never written, so any number of threads may call
// functional_call on one module at once, each with its own dict (the
// module's param(), buffer(), find_tensor() and state_dict() show each
// thread its own tensors).
class Reparametrize {
 public:
  Reparametrize(Module& module, const ParamDict& values,
                FunctionalCallOptions options);
  ~Reparametrize();
  Reparametrize(const Reparametrize&) = delete;
  Reparametrize& operator=(const Reparametrize&) = delete;

 private:
  std::unordered_map<const Tensor*, Tensor> by_slot_;
};

// The tensor the innermost functional_call on this thread substitutes for
// a module's slot, or null.
Tensor* substituted(const Tensor* slot);

// Both dicts in one; a key in both is an error.
ParamDict merge(const ParamDict& params, const ParamDict& buffers);

}  // namespace functional_internal

template <typename M, typename... Args>
auto functional_call(M& module, const ParamDict& params_and_buffers,
                     const Args&... args) {
  functional_internal::Reparametrize guard(module, params_and_buffers, {});
  return module.forward(args...);
}

template <typename M, typename... Args>
auto functional_call(M& module, const std::pair<ParamDict, ParamDict>& dicts,
                     const Args&... args) {
  functional_internal::Reparametrize guard(
      module, functional_internal::merge(dicts.first, dicts.second), {});
  return module.forward(args...);
}

template <typename M, typename... Args>
auto functional_call(M& module, const ParamDict& params_and_buffers,
                     FunctionalCallOptions options, const Args&... args) {
  functional_internal::Reparametrize guard(module, params_and_buffers, options);
  return module.forward(args...);
}

template <typename M, typename... Args>
auto functional_call(M& module, const std::pair<ParamDict, ParamDict>& dicts,
                     FunctionalCallOptions options, const Args&... args) {
  functional_internal::Reparametrize guard(
      module, functional_internal::merge(dicts.first, dicts.second), options);
  return module.forward(args...);
}

// The parameters and buffers of `models` stacked on a new leading dim (one
// entry per model), detached. Every model must have the same names, shapes
// and dtypes.
std::pair<ParamDict, ParamDict> stack_module_state(
    const std::vector<std::shared_ptr<Module>>& models);

namespace functional_internal {
std::pair<ParamDict, ParamDict> stack_modules(
    const std::vector<const Module*>& models);
}  // namespace functional_internal

// The same for modules held by value (std::vector<Mlp>: modules move).
template <typename M>
requires std::derived_from<M, Module> std::pair<ParamDict, ParamDict>
stack_module_state(const std::vector<M>& models) {
  std::vector<const Module*> pointers;
  pointers.reserve(models.size());
  for (const M& m : models) pointers.push_back(&m);
  return functional_internal::stack_modules(pointers);
}

// The same for a vector of a derived module type (std::shared_ptr<Mlp>).
template <typename M>
requires(std::derived_from<M, Module> && !std::same_as<M, Module>)
    std::pair<ParamDict, ParamDict> stack_module_state(
        const std::vector<std::shared_ptr<M>>& models) {
  return stack_module_state(
      std::vector<std::shared_ptr<Module>>(models.begin(), models.end()));
}

}  // namespace fnx::nn
