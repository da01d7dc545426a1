// Batching rules of the Linalg primitives and of Assert. Each primitive
// already takes leading batch dims, so the vmap batch becomes the first of
// them: one call factorizes every example (an unbatched operand of
// triangular_solve is broadcast over the batch as a view). Assert's batch
// dim joins its leading batch dims, so its error names the example.
#include "core/dispatch.h"
#include "core/ops/ops.h"
#include "transforms/vmap/batching_util.h"

namespace fnx::vmap_internal {
namespace {

BatchedValue linalg_rule(const BatchContext& ctx, const OpCall& call,
                         std::span<const BatchedValue> args) {
  Tensor inputs[2];
  for (std::size_t i = 0; i < args.size(); ++i) {
    inputs[i] = batch_first_materialized(args[i], ctx.batch_size);
  }
  return batched_at(dispatch(call.prim, call.attrs,
                             std::span<const Tensor>(inputs, args.size())),
                    0);
}

BatchedValue assert_rule(const BatchContext&, const OpCall& call,
                         std::span<const BatchedValue> args) {
  AssertAttrs attrs = call.attr<AssertAttrs>();
  attrs.batch_rank += 1;
  return batched_at(dispatch(Prim::Assert, attrs, {batch_first(args[0])}), 0);
}

}  // namespace

FNX_REGISTER_PLUGIN("vmap") {
  for (Prim p : {Prim::Cholesky, Prim::TriangularSolve, Prim::Lu, Prim::Qr,
                 Prim::Eigh, Prim::Svd}) {
    add_batching_rule(r, p, &linalg_rule);
  }
  add_batching_rule(r, Prim::Assert, &assert_rule);
}

}  // namespace fnx::vmap_internal
