// Cumsum and Argsort along the middle dim of a contiguous (outer, n, inner)
// tensor, one thread per (outer, inner) fiber: neighbouring threads read
// neighbouring columns of each row. Simple rather than fast: the running
// sum is serial per fiber (floats accumulate in double, as on the CPU), and
// the sort is an insertion sort of positions, O(n^2) per fiber, stable
// because it moves a position only past strictly greater ones. A
// block-wide radix or merge sort is the next step for long fibers.
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

// a before b ascending, NaN (the only value unequal to itself) above all.
template <typename T>
__device__ __forceinline__ bool ascending(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (!(a == a)) return false;
    if (!(b == b)) return true;
  }
  return a < b;
}

template <typename T>
__global__ void argsort_kernel(int64_t outer, int64_t n, int64_t inner,
                               bool descending, const T* x, int64_t* y) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= outer * inner) return;
  const int64_t o = i / inner;
  const int64_t at = o * n * inner + (i - o * inner);
  const T* f = x + at;
  int64_t* order = y + at;
  for (int64_t k = 0; k < n; ++k) {
    const T v = f[k * inner];
    int64_t j = k;
    while (j > 0) {
      const T w = f[order[(j - 1) * inner] * inner];
      if (!(descending ? ascending(w, v) : ascending(v, w))) break;
      order[j * inner] = order[(j - 1) * inner];
      --j;
    }
    order[j * inner] = k;
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

cudaError_t launch_argsort(Scalar t, int64_t outer, int64_t n, int64_t inner,
                           bool descending, const void* x, int64_t* y,
                           cudaStream_t stream) {
  if (outer * n * inner <= 0) return cudaSuccess;
  return dispatch_all(t, [&]<typename T>() {
    launch(argsort_kernel<T>, blocks_of(outer * inner), kThreads, stream, outer,
           n, inner, descending, static_cast<const T*>(x), y);
    return cudaGetLastError();
  });
}

}  // namespace fnx::cuda
