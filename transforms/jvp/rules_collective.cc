// JVP rules of the Collective family: the same collective of the tangent
// (they are linear), except all_reduce(max | min), whose tangent comes from
// the ranks holding the extremum
// (transforms/common/collective_derivatives.h).
#include "transforms/common/collective_derivatives.h"
#include "transforms/jvp/jvp_rule.h"

namespace fnx::jvp_internal {
namespace {

Tensor collective_jvp(const JvpArgs& a) {
  return collective_derivatives::forward(a.prim, a.attr<CollectiveAttrs>(),
                                         a.input(0), a.out, a.tangent(0));
}
constexpr JvpRule kCollective{JvpRule::Kind::kRule, &collective_jvp};

}  // namespace

void register_collective_rules(Registrar& r) {
  for (Prim prim : {Prim::AllReduce, Prim::AllGather, Prim::ReduceScatter,
                    Prim::Broadcast, Prim::Ppermute}) {
    add_rule(r, prim, kCollective);
  }
}

}  // namespace fnx::jvp_internal
