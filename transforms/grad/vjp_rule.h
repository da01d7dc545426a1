// VJP rules: one per primitive, in the rule table "vjp". A rule maps the
// cotangent of a primitive's output to cotangents of its inputs, written
// with the public ops so that the backward pass is itself differentiable
// (grad of grad) and batchable (vmap of grad, jacrev).
#pragma once

#include <cstdint>
#include <span>

#include "core/primitive.h"
#include "core/registry.h"
#include "core/tensor.h"
#include "transforms/grad/tape.h"

namespace fnx::grad_internal {

inline constexpr const char* kVjpTable = "vjp";

// What a rule sees at backward time.
struct VjpArgs {
  Prim prim;
  const Attrs& attrs;
  std::span<const SavedTensor> inputs;  // values the rule asked to keep
  const Tensor& output;                 // the result, when it asked
  std::span<const TensorMeta> meta;     // every input's shape and dtype
  const TensorMeta& out;
  std::span<const char> needs_;      // input i wants a cotangent
  const ViewChain* views = nullptr;  // set for in-place writes through views

  template <typename A>
  const A& attr() const {
    return std::get<A>(attrs);
  }
  const Tensor& input(std::size_t i) const { return inputs[i].value; }
  bool needs(std::size_t i) const { return i < needs_.size() && needs_[i]; }
};

// Fills grads[i] (one slot per input, pre-sized, undefined = zero) for the
// inputs that need one.
using VjpFn = void (*)(const VjpArgs& args, const Tensor& g,
                       std::span<Tensor> grads);

struct VjpRule {
  VjpFn fn = nullptr;
  uint32_t save_inputs = 0;  // bit i: keep input i for backward
  bool save_output = false;
  // false: the result is a constant to every grad level (comparisons,
  // argmax, floor, stop_gradient...): its derivative is zero or undefined.
  bool differentiable = true;
};

// Save-masks, for readability.
inline constexpr uint32_t kSaveNone = 0;
inline constexpr uint32_t kSave0 = 1u << 0;
inline constexpr uint32_t kSave1 = 1u << 1;
inline constexpr uint32_t kSave2 = 1u << 2;

// The rule every non-differentiable primitive registers: no cotangents.
void no_cotangents(const VjpArgs& args, const Tensor& g,
                   std::span<Tensor> grads);
inline constexpr VjpRule kConstantRule{&no_cotangents, kSaveNone, false, false};

// The rule registered for `prim` (null when none).
const VjpRule* rule_for(Prim prim);

// Registration, one function per family file.
void register_elementwise_rules(Registrar& r);
void register_reduce_rules(Registrar& r);
void register_sort_rules(Registrar& r);  // cumsum, argsort
void register_collective_rules(Registrar& r);  // all_reduce ... ppermute
void register_shape_rules(Registrar& r);
void register_index_rules(Registrar& r);
void register_linalg_rules(Registrar& r);
void register_decomposition_rules(Registrar& r);  // matrix decompositions
void register_custom_call_rule(Registrar& r);  // custom_call.cc

inline void add_rule(Registrar& r, Prim prim, const VjpRule& rule) {
  r.rule(kVjpTable, prim, &rule);
}

// In-place writes through views (copy_ into a view of a tracked value):
// the base's new value (inputs: old base, src) and the destination view of
// it (input: new base). Both use VjpArgs::views.
extern const VjpRule kWriteThroughViewRule;
extern const VjpRule kViewOfRule;

}  // namespace fnx::grad_internal
