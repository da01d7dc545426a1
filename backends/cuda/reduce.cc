// Reductions on CUDA: Sum, Amax, Amin over a set of dims and Argmax/Argmin
// over one. The host splits the input's dims into kept and reduced ones
// (reduced dims in memory order, adjacent dims merged) and the kernels
// (reduce.cu) pick a warp, a thread or blocks per result
// (reduce_geometry.h).
#include "backends/cuda/kernels.h"
#include "backends/cuda/reduce_plan.h"
#include "backends/cuda/tensors.h"
#include "core/error.h"
#include "core/registry.h"

namespace fnx::cuda {
namespace {

// Scratch for a reduction's partial results; none when bytes is 0.
std::shared_ptr<Storage> workspace(int64_t bytes, Device device) {
  if (bytes <= 0) return nullptr;
  return Storage::allocate(static_cast<std::size_t>(bytes), device);
}

template <ReduceOp kOp>
Tensor reduce_kernel(const OpCall& call, const OutMeta& out) {
  const Context& ctx = context_of(out);
  const Tensor& x = call.inputs[0];
  Tensor result = make_result(out);
  const int64_t n_out = numel(out.shape);
  if (n_out == 0) return result;
  const ReduceGeometry g = reduce_geometry(call.name(), x.shape(), x.strides(),
                                           call.attr<ReduceAttrs>().dims);
  if (g.n_red == 0) {  // only Sum gets here (the shape rule refuses others)
    fill(ctx, dptr(result), out.dtype, n_out, 0);
    return result;
  }
  const std::shared_ptr<Storage> ws =
      workspace(reduce_workspace_bytes(g), out.device);
  launched(
      launch_reduce(kOp, scalar_of(x.dtype()), scalar_of(out.dtype), g, dptr(x),
                    dptr(result), ws ? ws->data() : nullptr, ctx.stream),
      call.name());
  return result;  // ws returns to the pool; later users queue behind us
}

template <bool kMax>
Tensor arg_kernel(const OpCall& call, const OutMeta& out) {
  const Context& ctx = context_of(out);
  const Tensor& x = call.inputs[0];
  Tensor result = make_result(out);
  const int64_t n_out = numel(out.shape);
  if (n_out == 0) return result;
  if (x.dim() == 0) {
    fill(ctx, dptr(result), DType::Int64, 1, 0);
    return result;
  }
  const int64_t dim = call.attr<ReduceAttrs>().dims.at(0);
  const ReduceGeometry g =
      reduce_geometry(call.name(), x.shape(), x.strides(), Dims{dim});
  const std::shared_ptr<Storage> ws =
      workspace(arg_reduce_workspace_bytes(g), out.device);
  launched(launch_arg_reduce(kMax, scalar_of(x.dtype()), g, x.shape()[dim],
                             x.strides()[dim], dptr(x),
                             reinterpret_cast<int64_t*>(dptr(result)),
                             ws ? ws->data() : nullptr, ctx.stream),
           call.name());
  return result;  // ws returns to the pool; later users queue behind us
}

}  // namespace

FNX_REGISTER_PLUGIN("cuda") {
  constexpr DeviceType kCuda = DeviceType::CUDA;
  r.kernel(kCuda, Prim::Sum, &reduce_kernel<ReduceOp::Sum>);
  r.kernel(kCuda, Prim::Amax, &reduce_kernel<ReduceOp::Max>);
  r.kernel(kCuda, Prim::Amin, &reduce_kernel<ReduceOp::Min>);
  r.kernel(kCuda, Prim::Argmax, &arg_kernel<true>);
  r.kernel(kCuda, Prim::Argmin, &arg_kernel<false>);
}

}  // namespace fnx::cuda
