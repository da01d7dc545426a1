// Batching rules of the Collective family (vmap of a collective over a
// process group): the batch dim rides along. All-reduce, broadcast and
// ppermute are elementwise across ranks, so they run on the physical
// tensor unchanged; all-gather and reduce-scatter work along one dim of
// each example, which moves past the batch dim. Every rank has the same
// batch size (the debug mode checks shapes across ranks), so one
// collective moves the whole batch.
#include "core/dispatch.h"
#include "transforms/vmap/batching_util.h"

namespace fnx::vmap_internal {
namespace {

BatchedValue collective_rule(const BatchContext&, const OpCall& call,
                             std::span<const BatchedValue> args) {
  const BatchedValue& x = args[0];
  CollectiveAttrs physical = call.attr<CollectiveAttrs>();
  if (call.prim == Prim::AllGather || call.prim == Prim::ReduceScatter) {
    physical.dim = physical_dim(physical.dim, x.bdim);
  }
  const Tensor inputs[] = {x.value};
  return batched_at(dispatch(call.prim, physical, inputs), x.bdim);
}

}  // namespace

FNX_REGISTER_PLUGIN("vmap") {
  for (Prim prim : {Prim::AllReduce, Prim::AllGather, Prim::ReduceScatter,
                    Prim::Broadcast, Prim::Ppermute}) {
    add_batching_rule(r, prim, &collective_rule);
  }
}

}  // namespace fnx::vmap_internal
