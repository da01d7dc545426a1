#include "transforms/custom/policy_interpreter.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "core/dispatch.h"

namespace fnx::checkpoint_internal {
namespace {

thread_local PolicyInterpreter* t_recording = nullptr;

// Which call produced a value (-1: an argument).
struct CallIndex final : WrapperPayload {
  CallIndex(int64_t i, Prim p) : index(i), prim(p) {}
  int64_t index;
  Prim prim;
};

}  // namespace

PolicyInterpreter::PolicyInterpreter(const CheckpointPolicy& policy, Mode mode,
                                     std::map<int64_t, Kept> kept)
    : Interpreter("checkpoint"),
      policy_(policy),
      mode_(mode),
      replaying_(mode == Mode::replay),
      kept_(std::move(kept)) {}

PolicyInterpreter* PolicyInterpreter::recording() { return t_recording; }

PolicyInterpreter* PolicyInterpreter::set_recording(PolicyInterpreter* level) {
  return std::exchange(t_recording, level);
}

Tensor PolicyInterpreter::wrap(Tensor value, int64_t index, Prim prim) const {
  Shape shape = value.shape();
  const DType dtype = value.dtype();
  return make_wrapper(std::move(value), std::move(shape), dtype,
                      std::make_shared<CallIndex>(index, prim));
}

Tensor PolicyInterpreter::wrap_argument(const Tensor& value) const {
  return value.defined() ? wrap(value, -1, Prim::Copy) : value;
}

bool PolicyInterpreter::keeps(Prim prim) const {
  if (policy_.save != CheckpointPolicy::Save::dots) return false;
  const PrimFamily family = prim_info(prim).family;
  return family == PrimFamily::Matmul || family == PrimFamily::Conv ||
         family == PrimFamily::Linalg;
}

Tensor PolicyInterpreter::process(const OpCall& call) {
  absl::InlinedVector<Tensor, 4> inner;
  inner.reserve(call.inputs.size());
  for (const Tensor& t : call.inputs) inner.push_back(unwrap(t));
  const int64_t index = next_++;
  Tensor out;
  if (replaying_) {
    const auto it = kept_.find(index);
    // The recomputation makes the same calls in the same order; a kept
    // result is used only where the call matches it.
    if (it != kept_.end() && it->second.prim == call.prim &&
        infer_meta(call).shape == it->second.value.shape()) {
      out = it->second.value;
    }
  }
  if (!out.defined()) {
    out = dispatch(call.prim, call.attrs, std::span<const Tensor>(inner));
  }
  if (call.prim == Prim::CopyInto && owns(call.inputs[0])) {
    const Tensor& dst = call.inputs[0];
    if (!out.is_same(inner[0])) dst.impl()->wrapper->inner = std::move(out);
    return dst;
  }
  if (mode_ == Mode::record && keeps(call.prim)) {
    kept_[index] = Kept{call.prim, out};
  }
  return wrap(std::move(out), index, call.prim);
}

Tensor PolicyInterpreter::concrete(const Tensor& wrapper,
                                   std::string_view what) {
  return unwrap(wrapper).concrete(what);
}

void PolicyInterpreter::name(const Tensor& x, std::string_view name) {
  if (mode_ != Mode::record || policy_.save != CheckpointPolicy::Save::names ||
      !owns(x)) {
    return;
  }
  if (std::find(policy_.names.begin(), policy_.names.end(), name) ==
      policy_.names.end()) {
    return;
  }
  const auto* p = static_cast<const CallIndex*>(payload_of(x));
  if (p->index >= 0) kept_[p->index] = Kept{p->prim, unwrap(x)};
}

}  // namespace fnx::checkpoint_internal
