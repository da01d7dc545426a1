#include "transforms/jvp/jvp_interpreter.h"

#include "absl/container/inlined_vector.h"
#include "core/dispatch.h"
#include "core/error.h"
#include "core/ops/ops.h"
#include "core/registry.h"
#include "transforms/jvp/fwd_grad_mode.h"

namespace fnx::jvp_internal {

const Storage* storage_of(const Tensor& t) { return memory_of(t).get(); }

namespace {

// Whether some other tensor (a view) shares the memory `t` lives in.
bool memory_is_shared(const Tensor& t) { return memory_of(t).use_count() > 1; }

}  // namespace

JvpInterpreter::JvpInterpreter(std::string_view caller, bool outer_mode)
    : Interpreter("jvp"),
      caller_(caller),
      outer_mode_(outer_mode),
      table_(Registry::get().table_id(kJvpTable)) {}

Tensor JvpInterpreter::make_dual(const Tensor& primal, Tensor tangent,
                                 bool owns) const {
  std::shared_ptr<Dual> dual;
  if (tangent.defined()) {
    dual = std::make_shared<Dual>();
    dual->tangent = std::move(tangent);
    dual->owns = owns;
  }
  return make_wrapper(primal, primal.shape(), primal.dtype(), std::move(dual));
}

const Tensor& JvpInterpreter::tangent_of(const Tensor& t) const {
  static const Tensor kZero;
  const auto* dual = static_cast<const Dual*>(payload_of(t));
  return dual != nullptr ? dual->tangent : kZero;
}

Tensor JvpInterpreter::concrete(const Tensor& wrapper, std::string_view what) {
  return unwrap(wrapper).concrete(what);
}

Tensor JvpInterpreter::process(const OpCall& call) {
  const auto* rule =
      static_cast<const JvpRule*>(Registry::get().rule(table_, call.prim));
  if (rule == nullptr) {
    fail(caller_, "no JVP rule for the primitive ", call.name(),
         "; the jvp plugin registers one for every primitive, so this plugin "
         "build is older than the core (rebuild //transforms/jvp)");
  }
  // Inside a NoFwdGradGuard tangents stop here; the levels below run under
  // the mode this jvp was called in.
  const bool active = fwd_grad_enabled();
  FwdGradModeScope below(outer_mode_);
  const std::size_t n = call.inputs.size();
  absl::InlinedVector<Tensor, 4> primals(n), tangents(n);
  bool any = false;
  for (std::size_t i = 0; i < n; ++i) {
    primals[i] = unwrap(call.inputs[i]);
    if (active) tangents[i] = tangent_of(call.inputs[i]);
    any |= tangents[i].defined();
  }
  const std::span<const Tensor> p(primals.data(), n), t(tangents.data(), n);
  if (rule->kind == JvpRule::Kind::kInPlace) return copy_into(call, p, t);
  Tensor out = dispatch(call.prim, call.attrs, p);
  if (!any || rule->kind == JvpRule::Kind::kConstant ||
      !is_floating(out.dtype())) {
    return out;  // a zero tangent: a constant to this level
  }
  const JvpArgs args{call.prim, call.attrs, p, t, out};
  Tensor tangent = rule->fn(args);
  if (!tangent.defined()) return out;
  if (tangent.shape() != out.shape() || tangent.dtype() != out.dtype()) {
    fail(caller_, "internal error: the JVP rule of ", call.name(),
         " gave a tangent of shape ", shape_str(tangent.shape()), " and dtype ",
         dtype_name(tangent.dtype()), " for a result of shape ",
         shape_str(out.shape()), " and dtype ", dtype_name(out.dtype()),
         "; please report this with the call that triggered it");
  }
  const bool owns = result_owns(call, p, t, out, tangent);
  return make_dual(out, std::move(tangent), owns);
}

// A fresh tangent (memory no input's tangent has) belongs to the result,
// unless the primal is a view of its input (then its tangent should be the
// same view of the input's tangent, and a copy would miss writes through
// it); a view's tangent belongs to it when it is the same view of a tangent
// its input owns. Anything else was passed through from an input.
bool JvpInterpreter::result_owns(const OpCall& call,
                                 std::span<const Tensor> primals,
                                 std::span<const Tensor> tangents,
                                 const Tensor& out,
                                 const Tensor& tangent) const {
  const Storage* memory = storage_of(tangent);
  if (memory == nullptr) return false;
  const bool primal_is_view = prim_info(call.prim).family == PrimFamily::View &&
                              storage_of(out) == storage_of(primals[0]);
  for (std::size_t i = 0; i < tangents.size(); ++i) {
    if (!tangents[i].defined() || storage_of(tangents[i]) != memory) continue;
    if (i != 0 || !primal_is_view) return false;
    const auto* dual = static_cast<const Dual*>(payload_of(call.inputs[0]));
    return dual != nullptr && dual->owns;
  }
  return !primal_is_view;
}

// copy_(dst, src), the one in-place primitive. The primal write happens
// below; the destination's tangent becomes src's (broadcast and cast):
//  - written in place when dst owns its tangent's memory, so views of the
//    same base see it, as they see the primal write;
//  - otherwise rebound to a fresh tangent, which is only correct when no
//    other view shares dst's memory (else that view's tangent would go
//    stale): then it is an error.
// Writing a value with a tangent into a tensor of no level (captured, or
// made from constants) would drop the tangent: an error, as grad's.
Tensor JvpInterpreter::copy_into(const OpCall& call,
                                 std::span<const Tensor> primals,
                                 std::span<const Tensor> tangents) {
  const Tensor& dst = call.inputs[0];
  const Tensor& src_tangent = tangents[1];
  if (!owns(dst)) {
    if (!src_tangent.defined()) return dispatch(call.prim, call.attrs, primals);
    // A tensor the function made from constants, that no other view
    // reaches, takes the tangent (the caller's handle is rebound). Anything
    // else (a captured tensor, a buffer other views reach) would drop it.
    // An argument without a tangent, written whole, takes the tangent
    // (torch.func wraps every argument; its memory is the caller's).
    const bool argument = passive_.get().holds(dst);
    if (!argument && (!made_inside(storage_of(primals[0])) ||
                      memory_is_shared(primals[0]))) {
      fail(caller_, inplace_op_name(),
           ": writing a value that has a tangent into a tensor ", "of shape ",
           shape_str(dst.shape()),
           " that has none (one captured from outside the function, or a "
           "view of a buffer made from constants inside it) would drop the "
           "tangent. Write into a value computed from the inputs (e.g. "
           "x.clone()), build the result out of place (where, cat, pad, "
           "index_add), or wrap the function in functionalize()");
    }
    if (before_write_) before_write_(storage_of(primals[0]));
    Tensor out = dispatch(call.prim, call.attrs, primals);
    if (!is_floating(dst.dtype())) return out;
    return make_dual(out,
                     clone(expand(cast(src_tangent, dst.dtype()), dst.shape())),
                     /*owns=*/true);
  }
  auto* dual = static_cast<Dual*>(payload_of(dst));
  const bool in_place = dual != nullptr && dual->owns;
  const bool rebind = !in_place && (dual != nullptr || src_tangent.defined());
  if (rebind && memory_is_shared(primals[0])) {
    fail(caller_, inplace_op_name(),
         ": cannot write in place into this tensor of shape ",
         shape_str(dst.shape()),
         ": its tangent is shared with another value (an input of ", caller_,
         ", or a value computed from one without a copy) and other views of "
         "its memory exist, whose tangents would go stale. Write into a "
         "clone() instead");
  }
  if (before_write_) before_write_(storage_of(primals[0]));
  Tensor out = dispatch(call.prim, call.attrs, primals);
  // A lower level may answer with a new value.
  dst.impl()->wrapper->inner = out;
  if (in_place) {
    Tensor target = dual->tangent;
    copy_(target, src_tangent.defined()
                      ? src_tangent
                      : scalar_tensor(0, target.dtype(), target.device()));
    dual->tangent = std::move(target);
  } else if (rebind) {
    std::shared_ptr<Dual> fresh;
    if (src_tangent.defined() && is_floating(dst.dtype())) {
      fresh = std::make_shared<Dual>();
      fresh->tangent =
          clone(expand(cast(src_tangent, dst.dtype()), dst.shape()));
      fresh->owns = true;
    }
    dst.impl()->wrapper->payload = std::move(fresh);
  }
  return dst;
}

}  // namespace fnx::jvp_internal
