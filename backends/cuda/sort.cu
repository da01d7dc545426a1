// Cumsum along the middle dim of a contiguous (outer, n, inner) tensor, one
// thread per (outer, inner) fiber: neighbouring threads read neighbouring
// columns of each row. The running sum is serial per fiber (floats
// accumulate in double, as on the CPU). Argsort is in argsort.cu.
#include <type_traits>

#include "backends/common/host_device.h"

#include "backends/cuda/kernels.h"
#include "backends/cuda/launch.h"
#include "backends/cuda/loop.cuh"

namespace fnx::cuda {
namespace {

template <typename T>
using Acc = ScanAccumulator<T>;

template <typename T>
__global__ void cumsum_kernel(int64_t outer, int64_t n, int64_t inner,
                              bool reverse, const T* x, T* y) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= outer * inner) return;
  const int64_t o = i / inner;
  const int64_t at = o * n * inner + (i - o * inner);
  Acc<T> acc = Acc<T>(0);
  for (int64_t step = 0; step < n; ++step) {
    const int64_t k = at + (reverse ? n - 1 - step : step) * inner;
    acc += static_cast<Acc<T>>(x[k]);
    y[k] = static_cast<T>(acc);
  }
}

unsigned blocks_of(int64_t n) {
  return static_cast<unsigned>((n + kThreads - 1) / kThreads);
}

}  // namespace

cudaError_t launch_cumsum(Scalar t, int64_t outer, int64_t n, int64_t inner,
                          bool reverse, const void* x, void* y,
                          cudaStream_t stream) {
  if (outer * n * inner <= 0) return cudaSuccess;
  return dispatch_all(t, [&]<typename T>() {
    if constexpr (std::is_same_v<T, bool>) {
      return cudaErrorInvalidValue;  // the shape rule refuses bool
    } else {
      launch(cumsum_kernel<T>, blocks_of(outer * inner), kThreads, stream,
             outer, n, inner, reverse, static_cast<const T*>(x),
             static_cast<T*>(y));
      return cudaGetLastError();
    }
  });
}

}  // namespace fnx::cuda
