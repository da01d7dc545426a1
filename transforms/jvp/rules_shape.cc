// JVP rules of the shape, memory and source families. Views, cat, pad,
// copy, moves to another device and fold are linear: the tangent is the same primitive applied to
// the tangents (a view's tangent is the same view of its input's tangent).
// Creation and random primitives have no inputs to differentiate, and
// stop_gradient is a constant to every differentiation transform. copy_
// (the one in-place primitive) is handled by the interpreter, which
// rebinds the destination's tangent.
#include "transforms/jvp/jvp_rule.h"
#include "transforms/jvp/rule_helpers.h"

namespace fnx::jvp_internal {
namespace {

constexpr JvpRule kUnaryLinear = rule<&linear<kArg0>>();
constexpr JvpRule kVariadicLinear = rule<&linear<kAllArgs>>();
constexpr JvpRule kInPlace{JvpRule::Kind::kInPlace, nullptr};

}  // namespace

void register_shape_rules(Registrar& r) {
  for (Prim p : {Prim::Reshape, Prim::Permute, Prim::Expand, Prim::Slice,
                 Prim::Pad, Prim::Copy, Prim::ToDevice}) {
    add_rule(r, p, kUnaryLinear);
  }
  add_rule(r, Prim::Cat, kVariadicLinear);
  add_rule(r, Prim::CopyInto, kInPlace);
  for (Prim p : {Prim::Full, Prim::Iota, Prim::Uniform, Prim::Normal,
                 Prim::StopGradient}) {
    add_rule(r, p, kConstantRule);
  }
}

}  // namespace fnx::jvp_internal
