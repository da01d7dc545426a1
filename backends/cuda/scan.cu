// Cumprod, Logcumsumexp, CummaxIndex and CumminIndex along the middle dim of
// a contiguous (outer, n, inner) tensor, one thread per (outer, inner)
// fiber as cumsum (sort.cu): neighbouring threads read neighbouring columns
// of each row, and each fiber is walked serially. The steps are
// backends/common/host_device.h's, shared with the CPU kernels; products
// accumulate in cumsum's accumulator type (double for floats).
#include <type_traits>

#include "backends/common/host_device.h"
#include "backends/cuda/kernels.h"
#include "backends/cuda/launch.h"
#include "backends/cuda/loop.cuh"

namespace fnx::cuda {
namespace {

template <typename T>
struct ProductState {
  using Out = T;
  ScanAccumulator<T> acc = 1;
  __device__ void add(T v, int64_t) {
    acc *= static_cast<ScanAccumulator<T>>(v);
  }
  __device__ Out value() const { return static_cast<T>(acc); }
};

template <typename T>
struct LogSumExpState {
  using Out = T;
  LogSumExpScan scan;
  __device__ void add(T v, int64_t) { scan.add(static_cast<double>(v)); }
  __device__ Out value() const { return static_cast<T>(scan.value()); }
};

template <bool kMax, typename T>
struct ExtremeState {
  using Out = int64_t;
  T best{};
  int64_t at = -1;
  __device__ void add(T v, int64_t k) {
    if (at < 0 || takes_extreme<kMax>(v, best)) {
      best = v;
      at = k;
    }
  }
  __device__ Out value() const { return at; }
};

template <typename State, typename T>
__global__ void scan_kernel(int64_t outer, int64_t n, int64_t inner,
                            bool reverse, const T* x, typename State::Out* y) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= outer * inner) return;
  const int64_t o = i / inner;
  const int64_t at = o * n * inner + (i - o * inner);
  State state{};
  for (int64_t step = 0; step < n; ++step) {
    const int64_t k = reverse ? n - 1 - step : step;
    state.add(x[at + k * inner], k);
    y[at + k * inner] = state.value();
  }
}

template <typename State, typename T>
cudaError_t launch_scan(int64_t outer, int64_t n, int64_t inner, bool reverse,
                        const void* x, void* y, cudaStream_t stream) {
  const unsigned blocks =
      static_cast<unsigned>((outer * inner + kThreads - 1) / kThreads);
  launch(scan_kernel<State, T>, blocks, kThreads, stream, outer, n, inner,
         reverse, static_cast<const T*>(x),
         static_cast<typename State::Out*>(y));
  return cudaGetLastError();
}

}  // namespace

cudaError_t launch_scan(ScanOp op, Scalar t, int64_t outer, int64_t n,
                        int64_t inner, bool reverse, const void* x, void* y,
                        cudaStream_t stream) {
  if (outer * n * inner <= 0) return cudaSuccess;
  switch (op) {
    case ScanOp::Cumprod:
      return dispatch_all(t, [&]<typename T>() {
        if constexpr (std::is_same_v<T, bool>) {
          return cudaErrorInvalidValue;  // the shape rule refuses bool
        } else {
          return launch_scan<ProductState<T>, T>(outer, n, inner, reverse, x, y,
                                                 stream);
        }
      });
    case ScanOp::Logcumsumexp:
      return dispatch_floating(t, [&]<typename T>() {
        return launch_scan<LogSumExpState<T>, T>(outer, n, inner, reverse, x, y,
                                                 stream);
      });
    case ScanOp::CummaxIndex:
      return dispatch_all(t, [&]<typename T>() {
        return launch_scan<ExtremeState<true, T>, T>(outer, n, inner, reverse,
                                                     x, y, stream);
      });
    case ScanOp::CumminIndex:
      return dispatch_all(t, [&]<typename T>() {
        return launch_scan<ExtremeState<false, T>, T>(outer, n, inner, reverse,
                                                      x, y, stream);
      });
  }
  return cudaErrorInvalidValue;
}

}  // namespace fnx::cuda
