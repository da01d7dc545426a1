// Batching rule of matmul: the vmap batch becomes one more (leading) batch
// dim of the Matmul primitive, so vmap(matmul), vmap(mm) and vmap(dot) are
// one batched GEMM call. An unbatched operand broadcasts over the batch
// (for a batched (B, m, k) times a shared (k, n) the kernel folds the batch
// into the rows of a single GEMM).
#include <algorithm>

#include "core/dispatch.h"
#include "core/ops/ops.h"
#include "transforms/vmap/batching_util.h"

namespace fnx::vmap_internal {
namespace {

// A shared a (..., m, k) times per-example matrices b (k, n): when b's
// physical layout lets the examples sit side by side as one (k, B * n)
// matrix without a copy (the transposed weights of a per-model linear
// layer, for one), a single GEMM computes every example. Returns the
// (k, B * n) view, or an undefined tensor.
Tensor side_by_side(const BatchedValue& b) {
  const Tensor& p = b.value;
  if (p.is_wrapper() || b.logical_rank() != 2) return {};
  const int64_t n_dim = physical_dim(1, b.bdim);
  const int64_t n = p.shape()[n_dim];
  if (p.strides()[b.bdim] != n * p.strides()[n_dim]) return {};
  const Tensor kbn = b.bdim == 1 ? p : movedim(p, b.bdim, 1);
  return reshape(kbn, {kbn.shape()[0], kbn.shape()[1] * n});
}

BatchedValue matmul_rule(const BatchContext& ctx, const OpCall& call,
                         std::span<const BatchedValue> args) {
  const Tensor folded = args[0].batched() ? Tensor() : side_by_side(args[1]);
  if (folded.defined()) {
    const Tensor inputs[] = {args[0].value, folded};
    const Tensor out = dispatch(Prim::Matmul, call.attrs, inputs);
    Shape shape = out.shape();
    shape.back() = args[1].value.shape()[physical_dim(1, args[1].bdim)];
    shape.insert(shape.end() - 1, ctx.batch_size);
    return batched_at(reshape(out, shape), out.dim() - 1);
  }
  // Batched operands get the batch dim first and as many matrix-batch dims
  // as the other operand, so that the batch dims line up on the left.
  const int64_t rank = std::max(args[0].logical_rank(), args[1].logical_rank());
  Tensor inputs[2];
  for (int i = 0; i < 2; ++i) {
    inputs[i] = args[i].batched() ? pad_after_batch(batch_first(args[i]), rank)
                                  : args[i].value;
  }
  return batched_at(dispatch(Prim::Matmul, call.attrs, inputs), 0);
}

}  // namespace

FNX_REGISTER_PLUGIN("vmap") {
  add_batching_rule(r, Prim::Matmul, &matmul_rule);
}

}  // namespace fnx::vmap_internal
