// Uniform and Normal on CUDA: the same Philox stream and element-to-counter
// mapping as the CPU backend (random.cu), so the same seed gives the same
// numbers on both.
#include "backends/cuda/kernels.h"
#include "backends/cuda/tensors.h"
#include "core/registry.h"

namespace fnx::cuda {
namespace {

template <bool kNormal>
Tensor random_kernel(const OpCall& call, const OutMeta& out) {
  const Context& ctx = context_of(out);
  const auto& a = call.attr<RandomAttrs>();
  Tensor result = make_result(out);
  launched(launch_random(kNormal, scalar_of(out.dtype), dptr(result),
                         numel(out.shape), a.seed, a.offset, a.low, a.high,
                         ctx.stream),
           call.name());
  return result;
}

}  // namespace

FNX_REGISTER_PLUGIN("cuda") {
  constexpr DeviceType kCuda = DeviceType::CUDA;
  r.kernel(kCuda, Prim::Uniform, &random_kernel<false>);
  r.kernel(kCuda, Prim::Normal, &random_kernel<true>);
}

}  // namespace fnx::cuda
