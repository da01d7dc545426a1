// Batching rules of the view and shape families: reshape, permute, expand
// and slice stay views of the batched tensor (the batch dim moves to the
// front or stays put); cat and pad copy once for the whole batch.
#include <vector>

#include "core/dispatch.h"
#include "core/ops/ops.h"
#include "transforms/vmap/batching_util.h"

namespace fnx::vmap_internal {
namespace {

BatchedValue reshape_rule(const BatchContext&, const OpCall& call,
                          std::span<const BatchedValue> args) {
  const Tensor x = batch_first(args[0]);
  const Shape target = with_dim(call.attr<ShapeAttrs>().shape, 0, x.shape()[0]);
  const Tensor inputs[] = {x};
  return batched_at(dispatch(Prim::Reshape, ShapeAttrs{target}, inputs), 0);
}

BatchedValue permute_rule(const BatchContext&, const OpCall& call,
                          std::span<const BatchedValue> args) {
  const BatchedValue& x = args[0];
  PermuteAttrs physical{{x.bdim}};
  for (int64_t d : call.attr<PermuteAttrs>().perm) {
    physical.perm.push_back(physical_dim(d, x.bdim));
  }
  const Tensor inputs[] = {x.value};
  return batched_at(dispatch(Prim::Permute, physical, inputs), 0);
}

BatchedValue expand_rule(const BatchContext&, const OpCall& call,
                         std::span<const BatchedValue> args) {
  const Shape& target = call.attr<ShapeAttrs>().shape;
  const Tensor x = pad_after_batch(batch_first(args[0]),
                                   static_cast<int64_t>(target.size()));
  const Tensor inputs[] = {x};
  return batched_at(
      dispatch(Prim::Expand, ShapeAttrs{with_dim(target, 0, x.shape()[0])},
               inputs),
      0);
}

BatchedValue slice_rule(const BatchContext&, const OpCall& call,
                        std::span<const BatchedValue> args) {
  const BatchedValue& x = args[0];
  SliceAttrs physical = call.attr<SliceAttrs>();
  physical.dim = physical_dim(physical.dim, x.bdim);
  const Tensor inputs[] = {x.value};
  return batched_at(dispatch(Prim::Slice, physical, inputs), x.bdim);
}

BatchedValue cat_rule(const BatchContext& ctx, const OpCall& call,
                      std::span<const BatchedValue> args) {
  std::vector<Tensor> inputs;
  inputs.reserve(args.size());
  for (const BatchedValue& a : args) {
    inputs.push_back(batch_first_materialized(a, ctx.batch_size));
  }
  return batched_at(
      dispatch(Prim::Cat, DimAttrs{call.attr<DimAttrs>().dim + 1}, inputs), 0);
}

BatchedValue pad_rule(const BatchContext&, const OpCall& call,
                      std::span<const BatchedValue> args) {
  const BatchedValue& x = args[0];
  PadAttrs physical = call.attr<PadAttrs>();
  physical.lo.insert(physical.lo.begin() + x.bdim, 0);
  physical.hi.insert(physical.hi.begin() + x.bdim, 0);
  const Tensor inputs[] = {x.value};
  return batched_at(dispatch(Prim::Pad, physical, inputs), x.bdim);
}

}  // namespace

FNX_REGISTER_PLUGIN("vmap") {
  add_batching_rule(r, Prim::Reshape, &reshape_rule);
  add_batching_rule(r, Prim::Permute, &permute_rule);
  add_batching_rule(r, Prim::Expand, &expand_rule);
  add_batching_rule(r, Prim::Slice, &slice_rule);
  add_batching_rule(r, Prim::Cat, &cat_rule);
  add_batching_rule(r, Prim::Pad, &pad_rule);
}

}  // namespace fnx::vmap_internal
