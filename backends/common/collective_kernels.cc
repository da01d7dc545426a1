#include "backends/common/collective_kernels.h"

#include "core/collective.h"
#include "core/ops/ops.h"

namespace fnx::backend {
namespace {

const CollectiveAttrs& attrs_of(const OpCall& call) {
  return call.attr<CollectiveAttrs>();
}

// Sum, Max and Min go to the group; Mean is the sum over the group's size.
ReduceOp group_op(ReduceOp op) {
  return op == ReduceOp::Mean ? ReduceOp::Sum : op;
}

Tensor finish_mean(const Tensor& summed, const CollectiveAttrs& a) {
  if (a.op != ReduceOp::Mean) return summed;
  return summed / static_cast<double>(a.group->size());
}

Tensor all_reduce_kernel(const OpCall& call, const OutMeta& out) {
  const CollectiveAttrs& a = attrs_of(call);
  const Tensor x = contiguous(call.inputs[0]);
  Tensor result = empty(out.shape, out.dtype, out.device);
  a.group->all_reduce(x, result, group_op(a.op));
  return finish_mean(result, a);
}

// The group gathers whole blocks in rank order, (size, *x.shape); the
// result is that with the rank axis merged into `dim`.
Tensor all_gather_kernel(const OpCall& call, const OutMeta& out) {
  const CollectiveAttrs& a = attrs_of(call);
  const Tensor x = contiguous(call.inputs[0]);
  Shape blocks = x.shape();
  blocks.insert(blocks.begin(), a.group->size());
  const Tensor gathered = empty(blocks, out.dtype, out.device);
  a.group->all_gather(x, gathered);
  return contiguous(reshape(movedim(gathered, 0, a.dim), out.shape));
}

// x's `dim` splits into (size, block); the rank axis goes in front so that
// each rank's block is contiguous, as the group wants it.
Tensor reduce_scatter_kernel(const OpCall& call, const OutMeta& out) {
  const CollectiveAttrs& a = attrs_of(call);
  const Tensor& x = call.inputs[0];
  Shape split = x.shape();
  split[a.dim] = out.shape[a.dim];
  split.insert(split.begin() + a.dim, a.group->size());
  const Tensor blocks = contiguous(movedim(reshape(x, split), a.dim, 0));
  Tensor result = empty(out.shape, out.dtype, out.device);
  a.group->reduce_scatter(blocks, result, group_op(a.op));
  return finish_mean(result, a);
}

Tensor broadcast_kernel(const OpCall& call, const OutMeta& out) {
  const CollectiveAttrs& a = attrs_of(call);
  const Tensor x = contiguous(call.inputs[0]);
  Tensor result = empty(out.shape, out.dtype, out.device);
  a.group->broadcast(x, result, a.root);
  return result;
}

Tensor ppermute_kernel(const OpCall& call, const OutMeta& out) {
  const CollectiveAttrs& a = attrs_of(call);
  const Tensor x = contiguous(call.inputs[0]);
  Tensor result = empty(out.shape, out.dtype, out.device);
  a.group->permute(x, result, a.pairs);
  return result;
}

}  // namespace

void register_collective_kernels(Registrar& r, DeviceType device) {
  r.kernel(device, Prim::AllReduce, &all_reduce_kernel);
  r.kernel(device, Prim::AllGather, &all_gather_kernel);
  r.kernel(device, Prim::ReduceScatter, &reduce_scatter_kernel);
  r.kernel(device, Prim::Broadcast, &broadcast_kernel);
  r.kernel(device, Prim::Ppermute, &ppermute_kernel);
}

}  // namespace fnx::backend
