// Batching rule of copy_ (the one in-place primitive). Writing into a
// batched tensor writes every example's slice of its physical tensor in one
// copy; writing a batched value into an unbatched tensor is an error, as in
// torch.func (one memory location would need a value per example; the
// collectives of vmap_collectives.h make one value out of the examples').
#include "core/error.h"
#include "core/ops/ops.h"
#include "transforms/vmap/batching_util.h"

namespace fnx::vmap_internal {
namespace {

BatchedValue copy_into_rule(const BatchContext& ctx, const OpCall& call,
                            std::span<const BatchedValue> args);

// VmapOptions::promote_inplace_writes: the destination becomes batched,
// every example starting from its old value. Exact only when the written
// handle is all there is of that memory: made by the mapped function, and
// no other view of it alive.
BatchedValue promote_and_write(const BatchContext& ctx, const OpCall& call,
                               const BatchedValue& dst,
                               const BatchedValue& src) {
  const std::shared_ptr<Storage>& memory = memory_of(dst.value);
  const bool made_inside =
      memory != nullptr && memory->serial() >= ctx.first_serial;
  if (!made_inside || memory.use_count() > 1) {
    fail("vmap", inplace_op_name(),
         ": promote_inplace_writes cannot make this tensor of "
         "shape ",
         shape_str(call.inputs[0].shape()), " batched: it ",
         made_inside ? "is a view of a buffer other views reach"
                     : "was captured from outside the mapped function",
         ", and only the written handle would change. Write through views "
         "with vmap(functionalize(f)), or make the buffer inside the "
         "function and write it whole");
  }
  Shape batched_shape = dst.value.shape();
  batched_shape.insert(batched_shape.begin(), ctx.batch_size);
  BatchedValue grown{clone(expand(unsqueeze(dst.value, 0), batched_shape)), 0};
  const BatchedValue grown_args[] = {grown, src};
  return copy_into_rule(ctx, call, grown_args);
}

BatchedValue copy_into_rule(const BatchContext& ctx, const OpCall& call,
                            std::span<const BatchedValue> args) {
  const BatchedValue& dst = args[0];
  const BatchedValue& src = args[1];
  if (!dst.batched() && ctx.promote_inplace_writes) {
    return promote_and_write(ctx, call, dst, src);
  }
  if (!dst.batched()) {
    fail("vmap", inplace_op_name(),
         ": cannot write a batched value (per-example shape ",
         shape_str(call.inputs[1].shape()), ", batch size ", ctx.batch_size,
         ") into a tensor that is not batched (shape ",
         shape_str(call.inputs[0].shape()),
         "): every example would write its own value into the same memory. "
         "Write into a batched tensor instead (e.g. clone a mapped input, or "
         "build the destination from one), write one value for the whole "
         "batch (e.g. vmap_mean(value, destination) from "
         "transforms/vmap/vmap_collectives.h), or return the value from the "
         "mapped function");
  }
  const int64_t rank = dst.logical_rank();
  Tensor aligned;
  if (src.batched()) {
    aligned = movedim(pad_after_batch(batch_first(src), rank), 0, dst.bdim);
  } else {
    // Right-align src's dims with dst's, then a size-1 batch dim.
    Shape shape(rank - src.value.dim(), 1);
    shape.insert(shape.end(), src.value.shape().begin(),
                 src.value.shape().end());
    aligned = unsqueeze(reshape(src.value, shape), dst.bdim);
  }
  Tensor target = dst.value;
  copy_(target, aligned);
  return batched_at(target, dst.bdim);
}

}  // namespace

FNX_REGISTER_PLUGIN("vmap") {
  add_batching_rule(r, Prim::CopyInto, &copy_into_rule);
}

}  // namespace fnx::vmap_internal
