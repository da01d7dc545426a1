// Batching rules of the Collective family. Over a process group (or
// another vmap level's axis) the batch dim rides along: all-reduce,
// broadcast and ppermute are elementwise across ranks, so they run on the
// physical tensor unchanged; all-gather and reduce-scatter work along one
// dim of each example, which moves past the batch dim. Every rank has the
// same batch size (the debug mode checks shapes across ranks), so one
// collective moves the whole batch.
//
// Over this level's own axis (VmapAxis, core/collective.h) the examples
// are the ranks, so each collective is an ordinary op over the batch dim:
// all_reduce a reduction, all_gather a movedim into the gathered dim,
// broadcast a select, reduce_scatter a reduction that leaves one block per
// example, ppermute a reordering of the examples. This is what
// vmap_mean / vmap_all_gather run (transforms/vmap/vmap_collectives.h).
#include <vector>

#include "core/collective.h"
#include "core/dispatch.h"
#include "core/error.h"
#include "core/ops/ops.h"
#include "transforms/vmap/batching_util.h"

namespace fnx::vmap_internal {
namespace {

Tensor reduce_examples(const Tensor& x, int64_t bdim, ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum:
      return sum(x, {bdim});
    case ReduceOp::Mean:
      return mean(x, {bdim});
    case ReduceOp::Max:
    case ReduceOp::Min: {
      // Bool: max is "any", min is "all", through int64.
      const Tensor v = x.dtype() == DType::Bool ? cast(x, DType::Int64) : x;
      const Tensor r =
          op == ReduceOp::Max ? amax(v, {bdim}) : amin(v, {bdim});
      return x.dtype() == DType::Bool ? cast(r, DType::Bool) : r;
    }
  }
  return Tensor();
}

// x (physical, examples at x.bdim) over this level's axis.
BatchedValue own_axis_rule(const BatchContext& ctx, const OpCall& call,
                           const BatchedValue& x) {
  const CollectiveAttrs& a = call.attr<CollectiveAttrs>();
  FNX_CHECK(ctx.replay == nullptr, call.name(),
            "over a vmap level that runs with chunk_size (this chunk holds ",
            ctx.batch_size,
            " examples): a collective would see only one chunk's examples; "
            "leave chunk_size unset for that vmap");
  const int64_t n = ctx.batch_size;
  FNX_CHECK(a.group->size() == n, call.name(), "over ", a.group->describe(),
            ": the axis was made for ", a.group->size(),
            " examples but the level maps ", n,
            "; make the axis from the level (vmap_collectives.h)");
  const Tensor examples = movedim(x.value, x.bdim, 0);  // (n, *logical)
  switch (call.prim) {
    case Prim::AllReduce:
      return unbatched(reduce_examples(examples, 0, a.op));
    case Prim::AllGather: {
      // Example e's x becomes block e of dim a.dim.
      Shape shape = examples.shape();
      shape.erase(shape.begin());
      shape[a.dim] *= n;
      return unbatched(reshape(movedim(examples, 0, a.dim), shape));
    }
    case Prim::ReduceScatter: {
      // Split a.dim into (n blocks, block), reduce over the examples: the
      // block index is the new batch dim (example e keeps block e).
      Shape split = examples.shape();
      const int64_t block = split[a.dim + 1] / n;
      split[a.dim + 1] = block;
      split.insert(split.begin() + a.dim + 1, n);
      const Tensor reduced =
          reduce_examples(reshape(examples, split), 0, a.op);
      return batched_at(reduced, a.dim);
    }
    case Prim::Broadcast:
      return unbatched(select(examples, 0, a.root));
    case Prim::Ppermute: {
      std::vector<Tensor> rows(static_cast<std::size_t>(n));
      for (const auto& [from, to] : a.pairs) rows[to] = select(examples, 0, from);
      for (Tensor& row : rows) {
        if (!row.defined()) row = zeros_like(select(examples, 0, 0));
      }
      return batched_at(stack(rows, 0), 0);
    }
    default:
      break;
  }
  fail(call.name(), "internal error: not a collective; please report it");
}

BatchedValue collective_rule(const BatchContext& ctx, const OpCall& call,
                             std::span<const BatchedValue> args) {
  const BatchedValue& x = args[0];
  CollectiveAttrs physical = call.attr<CollectiveAttrs>();
  if (physical.group->vmap_level() == ctx.level && x.batched()) {
    return own_axis_rule(ctx, call, x);
  }
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
