// Cumsum and Argsort on CUDA: the input made contiguous and viewed as
// (outer, n, inner) around the dim; sort.cu's kernels. Argsort with k
// sorts the whole fiber and keeps the first k positions.
#include "backends/cuda/kernels.h"
#include "backends/cuda/tensors.h"
#include "core/registry.h"

namespace fnx::cuda {
namespace {

Tensor cumsum_kernel(const OpCall& call, const OutMeta& out) {
  const Context& ctx = context_of(out);
  const Tensor x = contiguous(call.inputs[0]);
  Tensor result = make_result(out);
  if (result.numel() == 0) return result;
  const auto& a = call.attr<ScanAttrs>();
  const DimSplit s = split_at_dim(x.shape(), a.dim);
  launched(launch_cumsum(scalar_of(out.dtype), s.outer, s.n, s.inner, a.reverse,
                         dptr(x), dptr(result), ctx.stream),
           call.name());
  return result;
}

Tensor argsort_kernel(const OpCall& call, const OutMeta& out) {
  const Context& ctx = context_of(out);
  const Tensor x = contiguous(call.inputs[0]);
  const auto& a = call.attr<SortAttrs>();
  // The whole order; with k, its first k positions are copied out.
  OutMeta full = out;
  full.shape = x.shape();
  Tensor result = make_result(full);
  if (result.numel() == 0) return make_result(out);
  const DimSplit s = split_at_dim(x.shape(), a.dim);
  // Two buffers of keys and of positions for the merge passes.
  const Shape scratch_shape{4, x.numel()};
  const Tensor scratch = empty(scratch_shape, DType::Int64, x.device());
  int64_t* base = reinterpret_cast<int64_t*>(dptr(scratch));
  const ArgsortScratch buffers{{base, base + x.numel()},
                               {base + 2 * x.numel(), base + 3 * x.numel()}};
  launched(
      launch_argsort(scalar_of(x.dtype()), s.outer, s.n, s.inner, a.descending,
                     dptr(x), reinterpret_cast<int64_t*>(dptr(result)), buffers,
                     ctx.stream),
      call.name());
  if (a.k < 0 || a.k == s.n) return result;
  // The first k positions of each fiber: a strided view, copied dense.
  Shape shape = x.shape();
  shape[a.dim] = a.k;
  const Tensor first_k =
      make_view(result, shape, result.strides(), result.offset());
  return contiguous(first_k);
}

}  // namespace

FNX_REGISTER_PLUGIN("cuda") {
  r.kernel(DeviceType::CUDA, Prim::Cumsum, &cumsum_kernel);
  r.kernel(DeviceType::CUDA, Prim::Argsort, &argsort_kernel);
}

}  // namespace fnx::cuda
