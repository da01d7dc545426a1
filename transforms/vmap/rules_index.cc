// Batching rules of the indexing family. gather and scatter_add take the
// batch as one more leading dim of every operand. index_select and
// index_add with per-example indices become gather / scatter_add with the
// indices expanded over the other dims, still one kernel for the batch.
// 0-d examples are seen as 1-element vectors.
#include "core/dispatch.h"
#include "core/ops/ops.h"
#include "transforms/vmap/batching_util.h"

namespace fnx::vmap_internal {
namespace {

// Batch first (expanded when unbatched) and at least one logical dim.
Tensor batch_first_rank1(const BatchedValue& v, int64_t batch_size) {
  const Tensor t = batch_first_materialized(v, batch_size);
  return v.logical_rank() == 0 ? unsqueeze(t, 1) : t;
}

// The result of a rank-promoted call, with the promotion undone.
BatchedValue finish(const Tensor& out, bool was_0d) {
  return batched_at(was_0d ? squeeze(out, 1) : out, 0);
}

BatchedValue gather_rule(const BatchContext& ctx, const OpCall& call,
                         std::span<const BatchedValue> args) {
  const bool scalar = args[0].logical_rank() == 0;
  const Tensor inputs[] = {batch_first_rank1(args[0], ctx.batch_size),
                           batch_first_rank1(args[1], ctx.batch_size)};
  return finish(
      dispatch(Prim::Gather, DimAttrs{call.attr<DimAttrs>().dim + 1}, inputs),
      scalar);
}

BatchedValue scatter_add_rule(const BatchContext& ctx, const OpCall& call,
                              std::span<const BatchedValue> args) {
  const bool scalar = args[0].logical_rank() == 0;
  const Tensor inputs[] = {batch_first_rank1(args[0], ctx.batch_size),
                           batch_first_rank1(args[1], ctx.batch_size),
                           batch_first_rank1(args[2], ctx.batch_size)};
  return finish(dispatch(Prim::ScatterAdd,
                         DimAttrs{call.attr<DimAttrs>().dim + 1}, inputs),
                scalar);
}

// Per-example 1-d indices (B, n) shaped to index dim `dim` of a batch-first
// tensor of shape `like`, i.e. (B, like[1], ..., n, ..., like[-1]).
Tensor expand_index(const BatchedValue& index, int64_t dim, const Shape& like) {
  const Tensor idx = batch_first(index);
  const int64_t b = idx.shape()[0];
  const int64_t n = index.logical_rank() == 0 ? 1 : idx.shape()[1];
  Shape view(like.size(), 1);
  view[0] = b;
  view[dim + 1] = n;
  Shape target = like;
  target[dim + 1] = n;
  return expand(reshape(idx, view), target);
}

BatchedValue index_select_rule(const BatchContext& ctx, const OpCall& call,
                               std::span<const BatchedValue> args) {
  const BatchedValue& x = args[0];
  const BatchedValue& index = args[1];
  const int64_t dim = call.attr<DimAttrs>().dim;
  const bool scalar = x.logical_rank() == 0;
  if (!index.batched() && !scalar) {
    const Tensor inputs[] = {x.value, index.value};
    return batched_at(dispatch(Prim::IndexSelect,
                               DimAttrs{physical_dim(dim, x.bdim)}, inputs),
                      x.bdim);
  }
  const Tensor xs = batch_first_rank1(x, ctx.batch_size);
  if (!index.batched()) {
    const Tensor inputs[] = {xs, index.value};
    return finish(dispatch(Prim::IndexSelect, DimAttrs{1}, inputs), true);
  }
  const Tensor inputs[] = {xs, expand_index(index, dim, xs.shape())};
  return finish(dispatch(Prim::Gather, DimAttrs{dim + 1}, inputs), scalar);
}

BatchedValue index_add_rule(const BatchContext& ctx, const OpCall& call,
                            std::span<const BatchedValue> args) {
  const BatchedValue& index = args[1];
  const int64_t dim = call.attr<DimAttrs>().dim;
  const bool scalar = args[0].logical_rank() == 0;
  const Tensor xs = batch_first_rank1(args[0], ctx.batch_size);
  const Tensor src = batch_first_rank1(args[2], ctx.batch_size);
  if (!index.batched()) {
    const Tensor inputs[] = {xs, index.value, src};
    return finish(dispatch(Prim::IndexAdd, DimAttrs{dim + 1}, inputs), scalar);
  }
  const Tensor inputs[] = {xs, expand_index(index, dim, src.shape()), src};
  return finish(dispatch(Prim::ScatterAdd, DimAttrs{dim + 1}, inputs), scalar);
}

}  // namespace

FNX_REGISTER_PLUGIN("vmap") {
  add_batching_rule(r, Prim::Gather, &gather_rule);
  add_batching_rule(r, Prim::ScatterAdd, &scatter_add_rule);
  add_batching_rule(r, Prim::IndexSelect, &index_select_rule);
  add_batching_rule(r, Prim::IndexAdd, &index_add_rule);
}

}  // namespace fnx::vmap_internal
