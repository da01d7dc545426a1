// JVP rules of matmul, convolution and patches. matmul, conv and conv's two
// transposes are bilinear: the tangent is op(ta, b) + op(a, tb), the same
// primitive with one argument's tangent at a time. unfold and fold are
// linear (unfold's padding value is a constant: zero in the tangent). The
// max-pooling pair is linear in its second argument; the first only picks
// the places (zero derivative almost everywhere).
#include "transforms/jvp/jvp_rule.h"
#include "transforms/jvp/rule_helpers.h"

namespace fnx::jvp_internal {
namespace {

constexpr JvpRule kBilinear = rule<&bilinear>();
constexpr JvpRule kPatches = rule<&linear<kArg0>>();
constexpr JvpRule kPool = rule<&linear<kArg1>>();

}  // namespace

void register_linalg_rules(Registrar& r) {
  for (Prim p :
       {Prim::Matmul, Prim::Conv, Prim::ConvInputGrad, Prim::ConvWeightGrad}) {
    add_rule(r, p, kBilinear);
  }
  add_rule(r, Prim::Unfold, kPatches);
  add_rule(r, Prim::Fold, kPatches);
  add_rule(r, Prim::MaxPoolSelect, kPool);
  add_rule(r, Prim::MaxPoolScatter, kPool);
}

}  // namespace fnx::jvp_internal
