// Batching rules of the elementwise families: unary ops, casts, copies,
// moves to another device and stop_gradient keep the batch dim where it is; binary, compare and where
// line the batch dims of their operands up so that ordinary broadcasting
// does the rest (one kernel for the whole batch).
#include <algorithm>

#include "absl/container/inlined_vector.h"
#include "core/dispatch.h"
#include "core/ops/ops.h"
#include "transforms/vmap/batching_util.h"

namespace fnx::vmap_internal {
namespace {

// f(x) elementwise: the batch dim stays put.
BatchedValue same_layout_rule(const BatchContext&, const OpCall& call,
                              std::span<const BatchedValue> args) {
  const Tensor inputs[] = {args[0].value};
  return batched_at(dispatch(call.prim, call.attrs, inputs), args[0].bdim);
}

// clone / contiguous: the copy is batch-first and contiguous, so that each
// example is contiguous as its unbatched clone would be (a later reshape of
// it is then a view, and writes through that view reach the clone).
BatchedValue copy_rule(const BatchContext&, const OpCall& call,
                       std::span<const BatchedValue> args) {
  const Tensor inputs[] = {batch_first(args[0])};
  return batched_at(dispatch(call.prim, call.attrs, inputs), 0);
}

// Broadcasting n-ary ops (binary, compare, where). Unbatched operands are
// left alone: they broadcast against the logical dims from the right.
BatchedValue broadcasting_rule(const BatchContext&, const OpCall& call,
                               std::span<const BatchedValue> args) {
  int64_t rank = 0;
  for (const BatchedValue& a : args) rank = std::max(rank, a.logical_rank());
  // Fast path: the batched operands share one batch dim and the full
  // logical rank, and every unbatched operand broadcasts into the dims
  // after it: the physical tensors broadcast as they are.
  int64_t bdim = -1;
  bool as_is = true;
  for (const BatchedValue& a : args) {
    if (!a.batched()) continue;
    if (bdim < 0) bdim = a.bdim;
    as_is &= a.bdim == bdim && a.logical_rank() == rank;
  }
  for (const BatchedValue& a : args) {
    if (!a.batched()) as_is &= a.value.dim() <= rank - bdim;
  }
  absl::InlinedVector<Tensor, 3> inputs;
  if (as_is) {
    for (const BatchedValue& a : args) inputs.push_back(a.value);
  } else {
    bdim = 0;
    for (const BatchedValue& a : args) {
      inputs.push_back(a.batched() ? pad_after_batch(batch_first(a), rank)
                                   : a.value);
    }
  }
  return batched_at(
      dispatch(call.prim, call.attrs,
               std::span<const Tensor>(inputs.data(), inputs.size())),
      bdim);
}

}  // namespace

FNX_REGISTER_PLUGIN("vmap") {
  for (int i = 0; i < kNumPrims; ++i) {
    const Prim prim = prim_at(i);
    switch (prim_info(prim).family) {
      case PrimFamily::Unary:
      case PrimFamily::Cast:
      case PrimFamily::Transfer:
      case PrimFamily::Identity:
        add_batching_rule(r, prim, &same_layout_rule);
        break;
      case PrimFamily::Binary:
      case PrimFamily::Compare:
      case PrimFamily::Where:
        add_batching_rule(r, prim, &broadcasting_rule);
        break;
      default:
        break;
    }
  }
  add_batching_rule(r, Prim::Copy, &copy_rule);
}

}  // namespace fnx::vmap_internal
