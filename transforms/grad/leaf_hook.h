// Gradients handed over as soon as they are final, for overlapping work
// with the rest of a backward pass (data-parallel training starts each
// bucket's all-reduce this way: transforms/distributed/data_parallel.h).
//
//   LeafGradientHookScope scope([&](std::size_t leaf, const Tensor& g) {
//     buckets.ready(names[leaf], g);
//   });
//   ParamDict grads = grad(loss)(params, batch);
//
// The next grad or vjp call made on this thread while the scope is alive
// takes the hook (grad calls inside its function do not see it). Each
// backward pass of that call then calls hook(i, g) once for every primal
// leaf i (the differentiated arguments' leaves, in flattening order), as
// soon as nothing left in the pass can add to that gradient: in the order
// the leaves were first used in the forward pass, last first. Leaves the
// pass does not reach come at its end, with zeros. g is the tensor the
// call returns for leaf i.
#pragma once

#include <cstddef>
#include <utility>

#include "transforms/grad/grad_api.h"

namespace fnx {

class LeafGradientHookScope {
 public:
  explicit LeafGradientHookScope(grad_internal::LeafGradientHook hook)
      : previous_(table().exchange(std::move(hook))) {}
  // A hook no call took is dropped; an outer scope's comes back.
  ~LeafGradientHookScope() { table().exchange(std::move(previous_)); }
  LeafGradientHookScope(const LeafGradientHookScope&) = delete;
  LeafGradientHookScope& operator=(const LeafGradientHookScope&) = delete;

 private:
  static const grad_internal::LeafHookApi& table() {
    grad_internal::transform("LeafGradientHookScope");  // the plugin is here
    const auto* t = static_cast<const grad_internal::LeafHookApi*>(
        Registry::get().transform("grad_leaf_hook"));
    if (t == nullptr || t->api_version != grad_internal::kLeafHookApiVersion) {
      fail("LeafGradientHookScope",
           "the loaded grad plugin has no leaf-gradient hooks; rebuild it "
           "with these headers");
    }
    return *t;
  }

  grad_internal::LeafGradientHook previous_;
};

}  // namespace fnx
