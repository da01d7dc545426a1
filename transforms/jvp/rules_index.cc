// JVP rules of the indexing family: each primitive is linear in its value
// operands, with the index passed as it is. gather / index_select:
// op(t, index); scatter_add / index_add: op(tx, index, tsrc), with a zero
// for an operand that has no tangent.
#include "transforms/jvp/jvp_rule.h"
#include "transforms/jvp/rule_helpers.h"

namespace fnx::jvp_internal {
namespace {

constexpr JvpRule kSelect = rule<&linear<kArg0>>();
constexpr JvpRule kAccumulate = rule<&linear<kArg0 | kArg2>>();

}  // namespace

void register_index_rules(Registrar& r) {
  add_rule(r, Prim::Gather, kSelect);
  add_rule(r, Prim::IndexSelect, kSelect);
  add_rule(r, Prim::ScatterAdd, kAccumulate);
  add_rule(r, Prim::IndexAdd, kAccumulate);
}

}  // namespace fnx::jvp_internal
