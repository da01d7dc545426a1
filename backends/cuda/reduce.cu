// Reductions: Sum/Amax/Amin over any set of dims and Argmax/Argmin over
// one. The host picks the kernel (reduce_path in reduce_geometry.h):
// - few results: a block per (result, chunk of the reduced range) reducing
//   in shared memory, and a second pass over the chunks' partial results
//   when there is more than one chunk;
// - many results whose reduced range ends in a contiguous run (sum over the
//   last dim, softmax, cross-entropy): a warp per result. Its 32 lanes step
//   through the range together, so each load is one coalesced transaction,
//   and merge with shuffles; a thread per result would have neighbouring
//   threads read a whole range apart;
// - results adjacent in memory (over rows: sum(x, 0), bias gradients): a
//   block per 32 adjacent results, its 8 warps taking every 8th row, and
//   the range split over gridDim.y until the GPU is busy; a second pass
//   over the splits' partial results;
// - other many-result reductions (short contiguous runs): a thread per
//   result.
// Argmax/Argmin: a warp per result along a contiguous run, the columns
// path over rows, else a thread per result.
#include <algorithm>
#include <type_traits>

#include "backends/common/scalar_ops.h"
#include "backends/cuda/kernels.h"
#include "backends/cuda/launch.h"
#include "backends/cuda/loop.cuh"
#include "backends/cuda/reduce_geometry.h"

namespace fnx::cuda {
namespace {

template <ReduceOp K, typename T>
struct Reducer {
  using Acc = std::conditional_t<
      K == ReduceOp::Sum,
      std::conditional_t<std::is_floating_point_v<T>, double, int64_t>, T>;
  __device__ static Acc init() {
    if constexpr (K == ReduceOp::Sum) {
      return Acc(0);
    } else if constexpr (std::is_floating_point_v<T>) {
      return K == ReduceOp::Max ? -INFINITY : INFINITY;
    } else {
      return K == ReduceOp::Max ? std::numeric_limits<T>::lowest()
                                : std::numeric_limits<T>::max();
    }
  }
  __device__ static Acc merge(Acc a, Acc b) {
    if constexpr (K == ReduceOp::Sum)
      return scalar::AddOp{}(a, b);
    else if constexpr (K == ReduceOp::Max)
      return scalar::MaximumOp{}(a, b);
    else
      return scalar::MinimumOp{}(a, b);
  }
  // Element r of a result's range, at x[offset].
  __device__ static Acc element(const T* x, int64_t offset, int64_t /*r*/) {
    return static_cast<Acc>(x[offset]);
  }
  template <typename Out>
  __device__ static Out finish(Acc a) {
    return scalar::convert<Out>(a);
  }
};

// Argmax/Argmin as a reducer (the columns path): candidates (value, index
// along the dim) merged by arg_better, a total order, so any grouping of
// the range gives the CPU's answer.
template <bool kMax, typename T>
struct ArgReducer {
  using Acc = ArgCandidate<T>;
  __device__ static Acc init() { return {T(), -1}; }
  __device__ static Acc merge(Acc a, Acc b) { return arg_better<kMax>(a, b); }
  __device__ static Acc element(const T* x, int64_t offset, int64_t r) {
    return {x[offset], r};
  }
  template <typename Out>
  __device__ static Out finish(Acc a) {
    return a.index;
  }
};

// A second pass over partial results of R (type R::Acc, already elements).
template <typename R>
struct PartialsOf {
  using Acc = typename R::Acc;
  __device__ static Acc init() { return R::init(); }
  __device__ static Acc merge(Acc a, Acc b) { return R::merge(a, b); }
  __device__ static Acc element(const Acc* x, int64_t offset, int64_t) {
    return x[offset];
  }
  template <typename Out>
  __device__ static Out finish(Acc a) {
    return R::template finish<Out>(a);
  }
};

// Offset of element r of a result's reduced range (from the result's base).
__device__ int64_t reduced_offset(const ReduceGeometry& g, int64_t r) {
  return g.red_ndim == 1 ? r * g.red_strides[0]
                         : offset_of(r, g.red_ndim, g.red_sizes, g.red_strides);
}

// Reduces elements r0, r0 + step, ... < r1 of the range based at x[base].
template <typename R, typename T>
__device__ typename R::Acc reduce_range(const T* x, const ReduceGeometry& g,
                                        int64_t base, int64_t r0, int64_t r1,
                                        int64_t step) {
  typename R::Acc acc = R::init();
  for (int64_t r = r0; r < r1; r += step) {
    acc = R::merge(acc, R::element(x, base + reduced_offset(g, r), r));
  }
  return acc;
}

// __shfl_down_sync has no bool overload.
template <typename V>
__device__ V shuffle_down(V v, int delta) {
  constexpr unsigned kAllLanes = 0xffffffffu;
  if constexpr (std::is_same_v<V, bool>) {
    return __shfl_down_sync(kAllLanes, static_cast<int>(v), delta) != 0;
  } else {
    return __shfl_down_sync(kAllLanes, v, delta);
  }
}

template <typename R, typename T, typename Out>
__global__ void thread_per_result(ReduceGeometry g, const T* x, Out* out) {
  const int64_t o = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (o >= g.n_out) return;
  const int64_t base = offset_of(o, g.kept_ndim, g.kept_sizes, g.kept_strides);
  out[o] = scalar::convert<Out>(reduce_range<R>(x, g, base, 0, g.n_red, 1));
}

// Warp w of block b reduces result b * kWarpsPerBlock + w: lane l takes
// r = l, l + 32, ... (coalesced along the contiguous run), then the shuffle
// tree of reduce_geometry.h leaves the warp's total in lane 0.
template <typename R, typename T, typename Out>
__global__ void warp_per_result(ReduceGeometry g, const T* x, Out* out) {
  const int64_t o = warp_result(blockIdx.x, static_cast<int>(threadIdx.x));
  if (o >= g.n_out) return;  // the whole warp: o is the same for its lanes
  const int lane = warp_lane(static_cast<int>(threadIdx.x));
  const int64_t base = offset_of(o, g.kept_ndim, g.kept_sizes, g.kept_strides);
  typename R::Acc acc = reduce_range<R>(x, g, base, lane, g.n_red, kWarp);
  for (int delta = kFirstShuffleDelta; delta > 0; delta /= 2) {
    acc = R::merge(acc, shuffle_down(acc, delta));
  }
  if (lane == 0) out[o] = scalar::convert<Out>(acc);
}

// Block (o, c) reduces chunk c of result o; writes Out when there is one
// chunk, else the Acc partial at [o * chunks + c].
template <typename R, typename T, typename Out>
__global__ void block_per_result(ReduceGeometry g, int64_t chunk_len,
                                 const T* x, Out* out,
                                 typename R::Acc* partial) {
  using Acc = typename R::Acc;
  __shared__ Acc shared[kThreads];
  const int64_t o = blockIdx.x;
  const int64_t c = blockIdx.y;
  const int64_t base = offset_of(o, g.kept_ndim, g.kept_sizes, g.kept_strides);
  const int64_t r0 = c * chunk_len;
  const int64_t r1 = min(g.n_red, r0 + chunk_len);
  shared[threadIdx.x] =
      reduce_range<R>(x, g, base, r0 + threadIdx.x, r1, blockDim.x);
  __syncthreads();
  for (int s = kThreads / 2; s > 0; s >>= 1) {
    if (threadIdx.x < s) {
      shared[threadIdx.x] =
          R::merge(shared[threadIdx.x], shared[threadIdx.x + s]);
    }
    __syncthreads();
  }
  if (threadIdx.x != 0) return;
  if (gridDim.y == 1) {
    out[o] = scalar::convert<Out>(shared[0]);
  } else {
    partial[o * gridDim.y + c] = shared[0];
  }
}

// Block (bx, by): 32 adjacent results (reduce_geometry.h: column_result)
// over split by of the range, 8 rows of threads; row 0 merges the rows.
// Writes Out when there is one split, else the Acc partial at
// [by * n_out + o].
template <typename R, typename T, typename Out>
__global__ void columns(ReduceGeometry g, int64_t split_len, const T* x,
                        Out* out, typename R::Acc* partial) {
  using Acc = typename R::Acc;
  __shared__ Acc rows[kWarpsPerBlock][kWarp];
  const int t = static_cast<int>(threadIdx.x);
  const int lane = t % kWarp;
  const int row = column_row(t);
  const int64_t o = column_result(blockIdx.x, t);
  const int64_t r0 = static_cast<int64_t>(blockIdx.y) * split_len;
  const int64_t r1 = min(g.n_red, r0 + split_len);
  Acc acc = R::init();
  if (o < g.n_out) {
    const int64_t base =
        offset_of(o, g.kept_ndim, g.kept_sizes, g.kept_strides);
    acc = reduce_range<R>(x, g, base, r0 + row, r1, kWarpsPerBlock);
  }
  rows[row][lane] = acc;
  __syncthreads();
  if (row != 0 || o >= g.n_out) return;
  for (int k = 1; k < kWarpsPerBlock; ++k) acc = R::merge(acc, rows[k][lane]);
  if (gridDim.y == 1) {
    out[o] = R::template finish<Out>(acc);
  } else {
    partial[static_cast<int64_t>(blockIdx.y) * g.n_out + o] = acc;
  }
}

static_assert(kWarpsPerBlock * kWarp == kThreads);

// Chunks of the reduced range for few results with long reductions: 2^16
// elements each, longer when that would need more chunks than gridDim.y
// allows (a reduction of more than 2^32 elements).
constexpr int64_t kChunk = int64_t{1} << 16;
constexpr int64_t kMaxChunks = 65535;

int64_t chunk_len_for(const ReduceGeometry& g) {
  return std::max(kChunk, (g.n_red + kMaxChunks - 1) / kMaxChunks);
}

int64_t chunks_for(const ReduceGeometry& g) {
  if (reduce_path(g) != ReducePath::kBlocksPerResult) return 0;
  const int64_t len = chunk_len_for(g);
  return (g.n_red + len - 1) / len;
}

// Partial results per result that a first pass leaves for a second.
int64_t partials_for(const ReduceGeometry& g, ReducePath path) {
  if (path == ReducePath::kColumns) {
    const int64_t splits = column_splits(g);
    return splits > 1 ? splits : 0;
  }
  const int64_t chunks = chunks_for(g);
  return chunks > 1 ? chunks : 0;
}

// The columns path's two passes for any reducer R (sums, max/min, arg):
// the splits' partials are (splits, n_out) in `workspace`, results
// adjacent again for the second pass.
template <typename R, typename T, typename Out>
cudaError_t columns_reduce(const ReduceGeometry& g, const T* x, Out* out,
                           void* workspace, cudaStream_t stream) {
  using Acc = typename R::Acc;
  const int64_t splits = column_splits(g);
  const unsigned blocks = static_cast<unsigned>(column_blocks(g));
  Acc* partial = static_cast<Acc*>(workspace);
  launch(columns<R, T, Out>, dim3(blocks, static_cast<unsigned>(splits)),
         kThreads, stream, g, column_split_len(g, splits), x, out, partial);
  cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess || splits == 1) return err;
  ReduceGeometry g2;
  g2.kept_ndim = 1;
  g2.kept_sizes[0] = g.n_out;
  g2.kept_strides[0] = 1;
  g2.red_ndim = 1;
  g2.red_sizes[0] = splits;
  g2.red_strides[0] = g.n_out;
  g2.n_out = g.n_out;
  g2.n_red = splits;
  launch(columns<PartialsOf<R>, Acc, Out>, dim3(blocks, 1), kThreads, stream,
         g2, splits, partial, out, nullptr);
  return cudaGetLastError();
}

unsigned warp_grid(const ReduceGeometry& g) {
  return static_cast<unsigned>(warp_blocks(g.n_out));
}

template <ReduceOp K, typename T, typename Out>
cudaError_t reduce_typed(const ReduceGeometry& g, const T* x, Out* out,
                         void* workspace, cudaStream_t stream) {
  using R = Reducer<K, T>;
  using Acc = typename R::Acc;
  const ReducePath path = reduce_path(g);
  if (path == ReducePath::kWarpPerResult) {
    launch(warp_per_result<R, T, Out>, warp_grid(g), kThreads, stream, g, x,
           out);
    return cudaGetLastError();
  }
  if (path == ReducePath::kThreadPerResult) {
    launch(thread_per_result<R, T, Out>, blocks_for(g.n_out * kUnroll),
           kThreads, stream, g, x, out);
    return cudaGetLastError();
  }
  if (path == ReducePath::kColumns) {
    return columns_reduce<R, T, Out>(g, x, out, workspace, stream);
  }
  const int64_t chunks = chunks_for(g);
  Acc* partial = static_cast<Acc*>(workspace);
  const dim3 grid(static_cast<unsigned>(g.n_out),
                  static_cast<unsigned>(chunks));
  launch(block_per_result<R, T, Out>, grid, kThreads, stream, g,
         chunk_len_for(g), x, out, partial);
  cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess || chunks == 1) return err;
  // Second pass: each result's chunks are contiguous partials of type Acc.
  ReduceGeometry g2;
  g2.kept_ndim = 1;
  g2.kept_sizes[0] = g.n_out;
  g2.kept_strides[0] = chunks;
  g2.red_ndim = 1;
  g2.red_sizes[0] = chunks;
  g2.red_strides[0] = 1;
  g2.n_out = g.n_out;
  g2.n_red = chunks;
  launch(block_per_result<PartialsOf<R>, Acc, Out>,
         dim3(static_cast<unsigned>(g.n_out), 1), kThreads, stream, g2, chunks,
         partial, out, nullptr);
  return cudaGetLastError();
}

template <bool kMax, typename T>
__global__ void arg_kernel(ReduceGeometry g, int64_t n, int64_t stride,
                           const T* x, int64_t* out) {
  const int64_t o = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (o >= g.n_out) return;
  const T* p = x + offset_of(o, g.kept_ndim, g.kept_sizes, g.kept_strides);
  T best = p[0];
  int64_t best_i = 0;
  bool is_nan = false;
  if constexpr (std::is_floating_point_v<T>) is_nan = best != best;
  for (int64_t j = 1; j < n && !is_nan; ++j) {
    const T v = p[j * stride];
    if constexpr (std::is_floating_point_v<T>) {
      if (v != v) {
        best_i = j;
        break;
      }
    }
    if (kMax ? v > best : v < best) {
      best = v;
      best_i = j;
    }
  }
  out[o] = best_i;
}

// A warp per result, as warp_per_result: each lane's best candidate
// (arg_lane), then the shuffle tree over (value, index) pairs.
template <bool kMax, typename T>
__global__ void arg_warp_kernel(ReduceGeometry g, int64_t n, int64_t stride,
                                const T* x, int64_t* out) {
  const int64_t o = warp_result(blockIdx.x, static_cast<int>(threadIdx.x));
  if (o >= g.n_out) return;  // the whole warp
  const int lane = warp_lane(static_cast<int>(threadIdx.x));
  const T* p = x + offset_of(o, g.kept_ndim, g.kept_sizes, g.kept_strides);
  ArgCandidate<T> best = arg_lane<kMax>(p, n, stride, lane);
  for (int delta = kFirstShuffleDelta; delta > 0; delta /= 2) {
    const ArgCandidate<T> other{shuffle_down(best.value, delta),
                                shuffle_down(best.index, delta)};
    best = arg_better<kMax>(best, other);
  }
  if (lane == 0) out[o] = best.index;
}

}  // namespace

int64_t reduce_workspace_bytes(const ReduceGeometry& g) {
  // Acc is at most 8 bytes.
  return g.n_out * partials_for(g, reduce_path(g)) * 8;
}

int64_t arg_reduce_workspace_bytes(const ReduceGeometry& g) {
  // An ArgCandidate is at most 16 bytes.
  const ReducePath path = arg_reduce_path(g);
  return path == ReducePath::kColumns ? g.n_out * partials_for(g, path) * 16
                                      : 0;
}

cudaError_t launch_reduce(ReduceOp op, Scalar in, Scalar out,
                          const ReduceGeometry& g, const void* x, void* result,
                          void* workspace, cudaStream_t stream) {
  if (g.n_out <= 0) return cudaSuccess;
  return dispatch_all(in, [&]<typename T>() {
    const T* px = static_cast<const T*>(x);
    if (op == ReduceOp::Sum) {
      // Sum of a float type gives that type; of an integer type, int64.
      if constexpr (std::is_floating_point_v<T>) {
        if (out != in) return cudaErrorInvalidValue;
        return reduce_typed<ReduceOp::Sum>(g, px, static_cast<T*>(result),
                                           workspace, stream);
      } else {
        if (out != Scalar::Int64) return cudaErrorInvalidValue;
        return reduce_typed<ReduceOp::Sum>(g, px, static_cast<int64_t*>(result),
                                           workspace, stream);
      }
    }
    if (out != in) return cudaErrorInvalidValue;
    if (op == ReduceOp::Max) {
      return reduce_typed<ReduceOp::Max>(g, px, static_cast<T*>(result),
                                         workspace, stream);
    }
    return reduce_typed<ReduceOp::Min>(g, px, static_cast<T*>(result),
                                       workspace, stream);
  });
}

cudaError_t launch_arg_reduce(bool is_max, Scalar in, const ReduceGeometry& g,
                              int64_t n, int64_t stride, const void* x,
                              int64_t* result, void* workspace,
                              cudaStream_t stream) {
  if (g.n_out <= 0) return cudaSuccess;
  if (arg_reduce_path(g) == ReducePath::kColumns) {
    return dispatch_all(in, [&]<typename T>() {
      const T* px = static_cast<const T*>(x);
      return is_max ? columns_reduce<ArgReducer<true, T>, T, int64_t>(
                          g, px, result, workspace, stream)
                    : columns_reduce<ArgReducer<false, T>, T, int64_t>(
                          g, px, result, workspace, stream);
    });
  }
  const bool warp = arg_reduce_path(g) == ReducePath::kWarpPerResult;
  const unsigned blocks =
      warp ? warp_grid(g)
           : static_cast<unsigned>((g.n_out + kThreads - 1) / kThreads);
  return dispatch_all(in, [&]<typename T>() {
    const T* px = static_cast<const T*>(x);
    auto kernel =
        is_max ? (warp ? arg_warp_kernel<true, T> : arg_kernel<true, T>)
               : (warp ? arg_warp_kernel<false, T> : arg_kernel<false, T>);
    launch(kernel, blocks, kThreads, stream, g, n, stride, px, result);
    return cudaGetLastError();
  });
}

}  // namespace fnx::cuda
