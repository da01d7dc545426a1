// Softmax and LogSoftmax (kLog) along one dim of a contiguous
// (outer, n, inner) tensor, in three passes over each row: the maximum, the
// sum of exp(x - shift), the result, with scalar::softmax_shift and
// scalar::SoftmaxFinish as on the CPU. Sums accumulate in the element type
// (float for float32, as torch's kernels).
// - inner == 1 (the dim is the last one), rows of up to kWarp * kMaxPerLane
//   elements: a warp per row, held in registers (kPerLane per lane, the
//   smallest power of two that holds the row), so the
//   row is read from memory once and all of a lane's loads are in flight
//   together;
// - longer rows: a block per row, its threads stepping through the row
//   together (the second and third reads come from cache);
// - otherwise a thread per (outer, inner) column: neighbouring threads read
//   neighbouring columns of each row.
// Warps and blocks merge through shuffles and shared memory.
#include "backends/common/scalar_ops.h"
#include "backends/cuda/kernels.h"
#include "backends/cuda/launch.h"
#include "backends/cuda/loop.cuh"
#include "backends/cuda/reduce_geometry.h"

namespace fnx::cuda {
namespace {

constexpr int kMaxPerLane = 32;
// Blocks per SM the warp-per-row kernel is built for: a float row of 32 per
// lane fits in 64 registers without spilling, so 4 blocks (half the SM's
// warps) stay resident; double needs about twice the registers.
template <typename T>
constexpr int kMinBlocks = sizeof(T) == 4 ? 4 : 2;

using MaxOf = scalar::MaximumOp;  // NaN-propagating
using SumOf = scalar::AddOp;

// Merges v over each group of kGroup threads (a multiple of kWarp that
// divides kThreads); every thread of the group gets the result. Every
// thread of the block must call it (it has barriers).
template <int kGroup, typename T, typename Op>
__device__ T group_merge(T v, Op op, T* warp_totals) {
  for (int delta = kFirstShuffleDelta; delta > 0; delta /= 2) {
    v = op(v, __shfl_down_sync(0xffffffffu, v, delta));
  }
  const int t = static_cast<int>(threadIdx.x);
  if (t % kWarp == 0) warp_totals[t / kWarp] = v;
  __syncthreads();
  const int first = t / kGroup * (kGroup / kWarp);
  T total = warp_totals[first];
  for (int w = 1; w < kGroup / kWarp; ++w) {
    total = op(total, warp_totals[first + w]);
  }
  __syncthreads();  // warp_totals is free for the next merge
  return total;
}

// A warp per row of n <= kWarp * kPerLane elements; element j of lane l is
// the row's l + j * kWarp (coalesced loads). Indices within the row are
// 32-bit and the lane's pointer is fixed, so each load is the pointer plus
// a constant: few registers, and more warps per SM (kMinBlocks).
template <bool kLog, int kPerLane, typename T>
__global__ void __launch_bounds__(kThreads, kMinBlocks<T>)
    warp_rows_kernel(int64_t rows, int n, const T* x, T* y) {
  __shared__ T warp_totals[kThreads / kWarp];
  const int t = static_cast<int>(threadIdx.x);
  const int lane = t % kWarp;
  const int64_t row =
      static_cast<int64_t>(blockIdx.x) * (kThreads / kWarp) + t / kWarp;
  // A warp past the last row still takes part in the merges.
  const int64_t at = (row < rows ? row : 0) * n + lane;
  const int left = row < rows ? n - lane : 0;  // elements from this lane on
  const T* xl = x + at;
  // Every load is issued before the first use, so all of them are in
  // flight together.
  T v[kPerLane];
#if defined(__CUDA_ARCH__)  // the device pass (g++ warns of the pragma)
#pragma unroll
#endif
  for (int j = 0; j < kPerLane; ++j) {
    v[j] = j * kWarp < left ? xl[j * kWarp] : T(0);
  }
  T m = x[at - lane];  // the row's first element: lanes past n have none
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
  for (int j = 0; j < kPerLane; ++j) {
    if (j * kWarp < left) m = MaxOf{}(m, v[j]);
  }
  const T shift =
      scalar::softmax_shift(group_merge<kWarp>(m, MaxOf{}, warp_totals));
  T s = T(0);
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
  for (int j = 0; j < kPerLane; ++j) {
    if (j * kWarp < left) s += scalar::ExpOp{}(v[j] - shift);
  }
  using Finish = scalar::SoftmaxFinish<kLog>;
  const T norm = Finish::norm(group_merge<kWarp>(s, SumOf{}, warp_totals));
  T* yl = y + at;
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
  for (int j = 0; j < kPerLane; ++j) {
    if (j * kWarp < left) yl[j * kWarp] = Finish::apply(v[j], shift, norm);
  }
}

// A block per row.
template <bool kLog, typename T>
__global__ void block_rows_kernel(int64_t n, const T* x, T* y) {
  constexpr int kGroup = kThreads;
  __shared__ T warp_totals[kThreads / kWarp];
  const int t = static_cast<int>(threadIdx.x);
  const T* xr = x + static_cast<int64_t>(blockIdx.x) * n;
  T m = xr[0];
  for (int64_t k = t; k < n; k += kGroup) m = MaxOf{}(m, xr[k]);
  const T shift =
      scalar::softmax_shift(group_merge<kGroup>(m, MaxOf{}, warp_totals));
  T s = T(0);
  for (int64_t k = t; k < n; k += kGroup) {
    s += scalar::ExpOp{}(xr[k] - shift);
  }
  using Finish = scalar::SoftmaxFinish<kLog>;
  const T norm = Finish::norm(group_merge<kGroup>(s, SumOf{}, warp_totals));
  T* yr = y + static_cast<int64_t>(blockIdx.x) * n;
  for (int64_t k = t; k < n; k += kGroup) {
    yr[k] = Finish::apply(xr[k], shift, norm);
  }
}

template <bool kLog, typename T>
__global__ void columns_kernel(int64_t outer, int64_t n, int64_t inner,
                               const T* x, T* y) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= outer * inner) return;
  const int64_t o = i / inner;
  const int64_t at = o * n * inner + (i - o * inner);
  T m = x[at];
  for (int64_t k = 1; k < n; ++k) m = MaxOf{}(m, x[at + k * inner]);
  const T shift = scalar::softmax_shift(m);
  T s = T(0);
  for (int64_t k = 0; k < n; ++k) {
    s += scalar::ExpOp{}(x[at + k * inner] - shift);
  }
  using Finish = scalar::SoftmaxFinish<kLog>;
  const T norm = Finish::norm(s);
  for (int64_t k = 0; k < n; ++k) {
    y[at + k * inner] = Finish::apply(x[at + k * inner], shift, norm);
  }
}

// Calls body.template operator()<kPerLane>() with the smallest power of two
// kPerLane (up to kMaxPerLane) for which a warp holds a row of n.
template <int kPerLane = 1, typename Body>
void with_elements_per_lane(int64_t n, Body&& body) {
  if constexpr (kPerLane < kMaxPerLane) {
    if (n > kWarp * kPerLane) {
      return with_elements_per_lane<2 * kPerLane>(n, body);
    }
  }
  body.template operator()<kPerLane>();
}

unsigned blocks_of(int64_t n, int64_t per_block) {
  return static_cast<unsigned>((n + per_block - 1) / per_block);
}

}  // namespace

cudaError_t launch_softmax(bool log, Scalar t, int64_t outer, int64_t n,
                           int64_t inner, const void* x, void* y,
                           cudaStream_t stream) {
  if (outer * n * inner <= 0) return cudaSuccess;
  const auto run = [&]<bool kLog>() {
    return dispatch_floating(t, [&]<typename T>() {
      const T* xt = static_cast<const T*>(x);
      T* yt = static_cast<T*>(y);
      if (inner > 1) {
        launch(columns_kernel<kLog, T>, blocks_of(outer * inner, kThreads),
               kThreads, stream, outer, n, inner, xt, yt);
      } else if (n <= kWarp * kMaxPerLane) {
        const unsigned grid = blocks_of(outer, kThreads / kWarp);
        with_elements_per_lane(n, [&]<int kPerLane>() {
          launch(warp_rows_kernel<kLog, kPerLane, T>, grid, kThreads, stream,
                 outer, static_cast<int>(n), xt, yt);
        });
      } else {
        launch(block_rows_kernel<kLog, T>, blocks_of(outer, 1), kThreads,
               stream, n, xt, yt);
      }
      return cudaGetLastError();
    });
  };
  return log ? run.template operator()<true>()
             : run.template operator()<false>();
}

}  // namespace fnx::cuda
