// The contract between the thin API header (grad.h) and the grad plugin:
// the templates in grad.h flatten trees into lists of tensors and call the
// plugin's type-erased entry points through this table, which the plugin
// registers as the transform "grad". Users include grad.h, not this.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/registry.h"
#include "core/tensor.h"
#include "transforms/common/flat_function.h"

namespace fnx::grad_internal {

// Bumped when this table or the types below change layout.
inline constexpr int kGradApiVersion = 1;

// f flattened (transforms/common/flat_function.h).
using fnx::FlatFn;
using fnx::FlatOut;

// The pullback of one vjp call: holds the tape until released. Callable
// any number of times, from inside other transforms too (vmap over it is
// how jacrev works); its ops are themselves differentiable.
class Pullback {
 public:
  virtual ~Pullback() = default;
  // One cotangent per output leaf (each shaped like its output); returns
  // one gradient per primal leaf (zeros where the outputs do not depend on
  // it, undefined for undefined primals).
  virtual std::vector<Tensor> apply(
      std::span<const Tensor> cotangents) const = 0;
};

struct VjpResult {
  FlatOut out;  // the values, no longer tracked by the finished level
  std::shared_ptr<const Pullback> pullback;
};

struct GradResult {
  Tensor value;               // the scalar f returned
  std::vector<Tensor> grads;  // one per primal leaf
  std::vector<Tensor> aux;
};

struct GradTransform {
  int api_version;
  // Runs f once under a new grad level with `primals` as the leaves to
  // differentiate. `caller` names the API in messages ("vjp", "jacrev").
  VjpResult (*vjp)(const FlatFn& f, std::span<const Tensor> primals,
                   std::string_view caller);
  // vjp with a scalar output and cotangent 1, done in one call so the tape
  // is freed before it returns.
  GradResult (*grad)(const FlatFn& f, std::span<const Tensor> primals,
                     std::string_view caller);
  // The thread's grad mode (NoGradGuard / EnableGradGuard).
  bool (*is_grad_enabled)();
  void (*set_grad_enabled)(bool enabled);
};

// Leaf-gradient hooks (leaf_hook.h): the table registered as
// "grad_leaf_hook". exchange sets the hook the next grad/vjp call on this
// thread takes and returns the one it replaces.
using LeafGradientHook = std::function<void(std::size_t, const Tensor&)>;
inline constexpr int kLeafHookApiVersion = 1;
struct LeafHookApi {
  int api_version;
  LeafGradientHook (*exchange)(LeafGradientHook hook);
};

// The registered table, or null when the plugin is neither linked nor
// loaded.
inline const GradTransform* find_transform() {
  return static_cast<const GradTransform*>(Registry::get().transform("grad"));
}

// The registered table; an fnx::Error naming the missing plugin otherwise.
inline const GradTransform& transform(std::string_view caller) {
  const GradTransform* t = find_transform();
  if (t == nullptr) {
    fail("grad",
         "the grad plugin is not linked or loaded; depend on "
         "//transforms/grad or load libfnx_grad.so");
  }
  if (t->api_version != kGradApiVersion) {
    fail(caller, "the loaded grad plugin implements API version ",
         t->api_version, " but this program was built against version ",
         kGradApiVersion, "; rebuild the plugin with these headers");
  }
  return *t;
}

}  // namespace fnx::grad_internal
