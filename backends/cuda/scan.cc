// Cumprod, Logcumsumexp, CummaxIndex and CumminIndex on CUDA: the input
// made contiguous and viewed as (outer, n, inner) around the dim; scan.cu's
// kernel.
#include "backends/cuda/kernels.h"
#include "backends/cuda/tensors.h"
#include "core/registry.h"

namespace fnx::cuda {
namespace {

template <ScanOp kOp>
Tensor scan_kernel(const OpCall& call, const OutMeta& out) {
  const Context& ctx = context_of(out);
  const Tensor x = contiguous(call.inputs[0]);
  Tensor result = make_result(out);
  if (result.numel() == 0) return result;
  const auto& a = call.attr<ScanAttrs>();
  const DimSplit s = split_at_dim(x.shape(), a.dim);
  launched(launch_scan(kOp, scalar_of(x.dtype()), s.outer, s.n, s.inner,
                       a.reverse, dptr(x), dptr(result), ctx.stream),
           call.name());
  return result;
}

}  // namespace

FNX_REGISTER_PLUGIN("cuda") {
  r.kernel(DeviceType::CUDA, Prim::Cumprod, &scan_kernel<ScanOp::Cumprod>);
  r.kernel(DeviceType::CUDA, Prim::Logcumsumexp,
           &scan_kernel<ScanOp::Logcumsumexp>);
  r.kernel(DeviceType::CUDA, Prim::CummaxIndex,
           &scan_kernel<ScanOp::CummaxIndex>);
  r.kernel(DeviceType::CUDA, Prim::CumminIndex,
           &scan_kernel<ScanOp::CumminIndex>);
}

}  // namespace fnx::cuda
