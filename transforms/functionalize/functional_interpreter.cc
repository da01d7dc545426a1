#include "transforms/functionalize/functional_interpreter.h"

#include <utility>

#include "absl/container/inlined_vector.h"
#include "core/dispatch.h"
#include "core/error.h"
#include "core/ops/ops.h"
#include "core/registry.h"

namespace fnx::functionalize_internal {

namespace {

// Hides this interpreter (and everything above it) while its own
// bookkeeping runs ops of the level below outside process(): creation ops
// inside those must not come back to it.
class HideLevel {
 public:
  explicit HideLevel(const Interpreter& self) : guard_(depth_of(self)) {}

 private:
  static int depth_of(const Interpreter& self) {
    for (int i = interpreter_depth() - 1; i >= 0; --i) {
      if (interpreter_at(i) == &self) return i;
    }
    return interpreter_depth();
  }
  StackDepthGuard guard_;
};

}  // namespace

FunctionalInterpreter::FunctionalInterpreter(Remove remove)
    : Interpreter("functionalize"),
      remove_(remove),
      table_(Registry::get().table_id(kFunctionalizeTable)) {}

ViewMode FunctionalInterpreter::mode() const {
  return remove_ == Remove::mutations_and_views ? ViewMode::copies
                                                : ViewMode::views;
}

FunctionalPayload& FunctionalInterpreter::payload(const Tensor& wrapper) const {
  return *static_cast<FunctionalPayload*>(payload_of(wrapper));
}

Tensor FunctionalInterpreter::wrap(Tensor value,
                                   std::shared_ptr<FunctionalPayload> p) const {
  std::shared_ptr<Storage> identity = p->memory->identity;
  Shape shape = value.shape();
  const DType dtype = value.dtype();
  Tensor out =
      make_wrapper(std::move(value), std::move(shape), dtype, std::move(p));
  out.impl()->storage = std::move(identity);
  return out;
}

Tensor FunctionalInterpreter::wrap_fresh(Tensor value) const {
  auto p = std::make_shared<FunctionalPayload>();
  p->memory = std::make_shared<Memory>(
      Memory{value, 0,
             std::make_shared<Storage>(nullptr, 0, value.device(), nullptr)});
  return wrap(std::move(value), std::move(p));
}

const Tensor& FunctionalInterpreter::current(const Tensor& wrapper) const {
  FunctionalPayload& p = payload(wrapper);
  if (p.generation != p.memory->generation) {
    wrapper.impl()->wrapper->inner =
        replay_views(p.memory->value, p.views, mode());
    p.generation = p.memory->generation;
  }
  return wrapper.impl()->wrapper->inner;
}

bool FunctionalInterpreter::written(const Tensor& wrapper) const {
  return payload(wrapper).memory->generation > 0;
}

Tensor FunctionalInterpreter::concrete(const Tensor& wrapper,
                                       std::string_view what) {
  HideLevel hide(*this);
  return current(wrapper).concrete(what);
}

Tensor FunctionalInterpreter::process(const OpCall& call) {
  const auto* rule = static_cast<const FunctionalizeRule*>(
      Registry::get().rule(table_, call.prim));
  if (rule == nullptr) {
    fail("functionalize", "no functionalization rule for the primitive ",
         call.name(),
         "; the plugin registers one for every primitive, so "
         "this plugin build is older than the core (rebuild "
         "//transforms/functionalize)");
  }
  if (rule->kind == RuleKind::write) return write(call);
  absl::InlinedVector<Tensor, 4> inner;
  inner.reserve(call.inputs.size());
  for (const Tensor& t : call.inputs) {
    inner.push_back(owns(t) ? current(t) : t);
  }
  Tensor out = dispatch(call.prim, call.attrs, std::span<const Tensor>(inner));
  if (rule->kind == RuleKind::view && owns(call.inputs[0])) {
    return view(call, inner[0], std::move(out));
  }
  return wrap_fresh(std::move(out));
}

// A view primitive's result shares its input's memory when the level below
// made it a view (reshape copies when strides cannot express it; then the
// result is a memory of its own, as in eager mode).
Tensor FunctionalInterpreter::view(const OpCall& call, const Tensor& input,
                                   Tensor out) const {
  const std::shared_ptr<Storage>& memory = memory_of(input);
  if (memory == nullptr || memory_of(out) != memory) {
    return wrap_fresh(std::move(out));
  }
  const FunctionalPayload& source = payload(call.inputs[0]);
  auto p = std::make_shared<FunctionalPayload>();
  p->memory = source.memory;
  p->views = source.views;
  p->views.push_back(ViewStep{call.prim, call.attrs, input.shape()});
  p->generation = source.generation;
  if (mode() == ViewMode::copies) out = clone(out);
  return wrap(std::move(out), std::move(p));
}

// copy_(dst, src) becomes: dst's new value is src broadcast and cast to it;
// dst's base gets that value written through dst's views (out of place);
// every other view of the base is recomputed when next used.
Tensor FunctionalInterpreter::write(const OpCall& call) const {
  const Tensor& dst = call.inputs[0];
  const Tensor& src = call.inputs[1];
  const Tensor src_value = owns(src) ? current(src) : src;
  if (!owns(dst)) {
    // A tensor from outside the function (captured): its mutation is a
    // side effect functionalization does not own; it happens, as in torch.
    return dispatch(Prim::CopyInto, call.attrs, {dst, src_value});
  }
  Tensor value = cast(src_value, dst.dtype());
  if (value.shape() != dst.shape()) {
    // A broadcast write fills every element, as in eager mode: an expanded
    // value would make a later in-place write into the result overlap.
    value = clone(expand(value, dst.shape()));
  } else if (mode() == ViewMode::copies && value.is_same(src_value)) {
    value = clone(value);  // removing views too: dst must not alias src
  }
  FunctionalPayload& p = payload(dst);
  Memory& memory = *p.memory;
  memory.value = p.views.empty() ? value
                                 : write_through_views(memory.value, p.views,
                                                       value, mode());
  ++memory.generation;
  memory.identity->bump_version();
  p.generation = memory.generation;
  dst.impl()->wrapper->inner = std::move(value);
  return dst;
}

}  // namespace fnx::functionalize_internal
