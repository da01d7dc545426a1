// JVP rules of Cumsum and Argsort: Cumsum is linear (the same running sum
// of the tangent); Argsort's integer result is a constant (sort and the ops
// built on it differentiate through gather).
#include "transforms/jvp/jvp_rule.h"
#include "transforms/jvp/rule_helpers.h"

namespace fnx::jvp_internal {
namespace {

constexpr JvpRule kCumsum = rule<&linear<kArg0>>();

}  // namespace

void register_sort_rules(Registrar& r) {
  add_rule(r, Prim::Cumsum, kCumsum);
  add_rule(r, Prim::Argsort, kConstantRule);
}

}  // namespace fnx::jvp_internal
