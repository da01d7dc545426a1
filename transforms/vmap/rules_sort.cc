// Batching rules of the Scan primitives (cumsum, cumprod, logcumsumexp,
// cummax / cummin positions) and Argsort: all work along one dim of each
// example, so the rule shifts that dim past the batch dim, which stays
// where it is (one batched kernel, no loop). The op API runs 0-d examples
// as shape [1], so the logical rank is at least 1 here.
#include "core/dispatch.h"
#include "transforms/vmap/batching_util.h"

namespace fnx::vmap_internal {
namespace {

BatchedValue scan_rule(const BatchContext&, const OpCall& call,
                       std::span<const BatchedValue> args) {
  const BatchedValue& x = args[0];
  ScanAttrs physical = call.attr<ScanAttrs>();
  physical.dim = physical_dim(physical.dim, x.bdim);
  const Tensor inputs[] = {x.value};
  return batched_at(dispatch(call.prim, physical, inputs), x.bdim);
}

BatchedValue argsort_rule(const BatchContext&, const OpCall& call,
                          std::span<const BatchedValue> args) {
  const BatchedValue& x = args[0];
  SortAttrs physical = call.attr<SortAttrs>();
  physical.dim = physical_dim(physical.dim, x.bdim);
  const Tensor inputs[] = {x.value};
  return batched_at(dispatch(call.prim, physical, inputs), x.bdim);
}

}  // namespace

FNX_REGISTER_PLUGIN("vmap") {
  for (Prim scan : {Prim::Cumsum, Prim::Cumprod, Prim::Logcumsumexp,
                    Prim::CummaxIndex, Prim::CumminIndex}) {
    add_batching_rule(r, scan, &scan_rule);
  }
  add_batching_rule(r, Prim::Argsort, &argsort_rule);
}

}  // namespace fnx::vmap_internal
