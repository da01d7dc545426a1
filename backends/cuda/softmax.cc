// Softmax and LogSoftmax on CUDA: the input made contiguous and viewed as
// (outer, n, inner) around the softmax dim; softmax.cu's kernels.
#include "backends/cuda/kernels.h"
#include "backends/cuda/tensors.h"
#include "core/registry.h"

namespace fnx::cuda {
namespace {

template <bool kLog>
Tensor softmax_kernel(const OpCall& call, const OutMeta& out) {
  const Context& ctx = context_of(out);
  const Tensor x = contiguous(call.inputs[0]);
  Tensor result = make_result(out);
  if (result.numel() == 0) return result;
  const DimSplit s = split_at_dim(x.shape(), call.attr<DimAttrs>().dim);
  launched(launch_softmax(kLog, scalar_of(out.dtype), s.outer, s.n, s.inner,
                          dptr(x), dptr(result), ctx.stream),
           call.name());
  return result;
}

}  // namespace

FNX_REGISTER_PLUGIN("cuda") {
  r.kernel(DeviceType::CUDA, Prim::Softmax, &softmax_kernel<false>);
  r.kernel(DeviceType::CUDA, Prim::LogSoftmax, &softmax_kernel<true>);
}

}  // namespace fnx::cuda
