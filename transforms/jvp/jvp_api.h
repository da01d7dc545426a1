// The contract between the thin forward-mode API (jvp.h) and the jvp
// plugin: the templates flatten trees into lists of tensors and call the
// plugin's type-erased entry points through this table, which the plugin
// registers as the transform "jvp". Users include jvp.h, not this.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/primitive.h"
#include "core/registry.h"
#include "core/tensor.h"
#include "transforms/common/flat_function.h"

namespace fnx::jvp_internal {

// Bumped when this table or the types below change layout.
inline constexpr int kJvpApiVersion = 2;

// f flattened (transforms/common/flat_function.h).
using fnx::FlatFn;
using fnx::FlatOut;

struct JvpResult {
  std::vector<Tensor> outputs;   // primal outputs (plain values)
  std::vector<Tensor> tangents;  // one per output, shaped like it
  std::vector<Tensor> aux;
  // Per output: 1 when it does not depend on the primals (its tangent is
  // zeros made for the caller), for JvpOptions::strict.
  std::vector<char> independent;
};

// The linear map linearize returns: tangents of the primals in, tangents
// of the outputs out, by replaying recorded primitive calls (never f).
class Linearized {
 public:
  virtual ~Linearized() = default;
  // One tangent per primal leaf (undefined = zero); one per output leaf.
  virtual std::vector<Tensor> apply(std::span<const Tensor> tangents) const = 0;
  // Number of recorded primitive calls a replay runs (for tests).
  virtual int64_t num_steps() const = 0;
};

struct LinearizeResult {
  FlatOut out;
  std::shared_ptr<const Linearized> fn;
};

struct JvpTransform {
  int api_version;
  // Runs f once under a new forward level: primal i carries tangent i
  // (undefined = a zero tangent, which costs nothing). `caller` names the
  // API in messages ("jvp", "jacfwd", "hvp").
  JvpResult (*jvp)(const FlatFn& f, std::span<const Tensor> primals,
                   std::span<const Tensor> tangents, std::string_view caller);
  // Runs f once, recording the linear tangent computation.
  LinearizeResult (*linearize)(const FlatFn& f, std::span<const Tensor> primals,
                               std::string_view caller);
  // The shapes and dtypes of f's outputs, found without running f's
  // kernels (ops on values that do not depend on the primals still run).
  std::vector<OutMeta> (*eval_shape)(const FlatFn& f,
                                     std::span<const Tensor> primals,
                                     std::string_view caller);
  // The thread's forward-grad mode (NoFwdGradGuard / EnableFwdGradGuard).
  bool (*is_fwd_grad_enabled)();
  void (*set_fwd_grad_enabled)(bool enabled);
};

// The registered table, or null when the plugin is neither linked nor
// loaded.
inline const JvpTransform* find_transform() {
  return static_cast<const JvpTransform*>(Registry::get().transform("jvp"));
}

// The registered table; an fnx::Error naming the missing plugin otherwise.
inline const JvpTransform& transform(std::string_view caller) {
  const JvpTransform* t = find_transform();
  if (t == nullptr) {
    fail("jvp",
         "the jvp plugin is not linked or loaded; depend on //transforms/jvp "
         "or load libfnx_jvp.so");
  }
  if (t->api_version != kJvpApiVersion) {
    fail(caller, "the loaded jvp plugin implements API version ",
         t->api_version, " but this program was built against version ",
         kJvpApiVersion, "; rebuild libfnx_jvp.so with these headers");
  }
  return *t;
}

}  // namespace fnx::jvp_internal
