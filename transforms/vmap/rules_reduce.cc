// Batching rules of the reductions (sum, amax, amin, argmax, argmin) and of
// softmax / log_softmax: the dims they work along are shifted past the
// batch dim, which is never reduced.
#include "core/dispatch.h"
#include "core/ops/ops.h"
#include "transforms/vmap/batching_util.h"

namespace fnx::vmap_internal {
namespace {

BatchedValue reduce_rule(const BatchContext&, const OpCall& call,
                         std::span<const BatchedValue> args) {
  const BatchedValue& x = args[0];
  const auto& a = call.attr<ReduceAttrs>();
  if (x.logical_rank() == 0) {
    // A 0-d example: nothing to reduce. Sum still promotes integers;
    // arg-reductions give index 0, computed over a size-1 dim.
    ReduceAttrs physical = a;
    physical.dims.clear();
    if (prim_info(call.prim).family == PrimFamily::ArgReduce) {
      physical.dims.push_back(x.value.dim());
      physical.keepdim = false;
      const Tensor inputs[] = {unsqueeze(x.value, -1)};
      return batched_at(dispatch(call.prim, physical, inputs), 0);
    }
    const Tensor inputs[] = {x.value};
    return batched_at(dispatch(call.prim, physical, inputs), x.bdim);
  }
  ReduceAttrs physical = a;
  physical.dims.clear();
  int64_t reduced_before = 0;
  for (int64_t d : a.dims) {
    physical.dims.push_back(physical_dim(d, x.bdim));
    if (d < x.bdim) ++reduced_before;
  }
  const Tensor inputs[] = {x.value};
  return batched_at(dispatch(call.prim, physical, inputs),
                    a.keepdim ? x.bdim : x.bdim - reduced_before);
}

BatchedValue softmax_rule(const BatchContext&, const OpCall& call,
                          std::span<const BatchedValue> args) {
  const BatchedValue& x = args[0];
  const DimAttrs physical{physical_dim(call.attr<DimAttrs>().dim, x.bdim)};
  const Tensor inputs[] = {x.value};
  return batched_at(dispatch(call.prim, physical, inputs), x.bdim);
}

}  // namespace

FNX_REGISTER_PLUGIN("vmap") {
  for (Prim prim :
       {Prim::Sum, Prim::Amax, Prim::Amin, Prim::Argmax, Prim::Argmin}) {
    add_batching_rule(r, prim, &reduce_rule);
  }
  add_batching_rule(r, Prim::Softmax, &softmax_rule);
  add_batching_rule(r, Prim::LogSoftmax, &softmax_rule);
}

}  // namespace fnx::vmap_internal
