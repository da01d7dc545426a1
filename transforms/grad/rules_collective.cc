// VJP rules of the Collective family: JAX's transposes
// (transforms/common/collective_derivatives.h). The input and output are
// kept for all_reduce only, whose max and min read them.
#include "transforms/common/collective_derivatives.h"
#include "transforms/grad/vjp_rule.h"

namespace fnx::grad_internal {
namespace {

void collective_vjp(const VjpArgs& v, const Tensor& g,
                    std::span<Tensor> grads) {
  if (!v.needs(0)) return;
  const bool kept = v.prim == Prim::AllReduce;
  grads[0] = collective_derivatives::reverse(v.prim, v.attr<CollectiveAttrs>(),
                                             kept ? v.input(0) : Tensor(),
                                             kept ? v.output : Tensor(), g);
}
constexpr VjpRule kAllReduce{&collective_vjp, kSave0, true, true};
constexpr VjpRule kLinearCollective{&collective_vjp, kSaveNone, false, true};

}  // namespace

void register_collective_rules(Registrar& r) {
  add_rule(r, Prim::AllReduce, kAllReduce);
  for (Prim prim : {Prim::AllGather, Prim::ReduceScatter, Prim::Broadcast,
                    Prim::Ppermute}) {
    add_rule(r, prim, kLinearCollective);
  }
}

}  // namespace fnx::grad_internal
