// The layout of a reduction as the kernels (reduce.cu) see it, the choice
// of kernel, and the index arithmetic the kernels use, compiled for the host
// too. Plain types only: nvcc includes this. The host builds the geometry
// with reduce_plan.h; tests/cuda/reduce_plan_test.cc runs the arithmetic
// below through host models of the kernels.
#pragma once

#include <cstdint>
#include <type_traits>

#include "backends/common/host_device.h"

namespace fnx::cuda {

// Iteration spaces have at most this many dims after size-1 dims are
// dropped and mergeable dims coalesced (the host checks).
inline constexpr int kMaxDims = 8;

inline constexpr int kWarp = 32;
// Warps per block of kThreads (loop.cuh) threads; reduce.cu checks.
inline constexpr int kWarpsPerBlock = 8;

// Result o reduces the elements at offset(o over kept) + offset(r over
// reduced), r < n_red (offsets in elements).
struct ReduceGeometry {
  int kept_ndim = 0, red_ndim = 0;
  int64_t kept_sizes[kMaxDims] = {}, kept_strides[kMaxDims] = {};
  int64_t red_sizes[kMaxDims] = {}, red_strides[kMaxDims] = {};
  int64_t n_out = 0, n_red = 0;
};

// Offset of the i-th index (row-major over sizes) through strides.
FNX_HD int64_t offset_of(int64_t i, int ndim, const int64_t* sizes,
                         const int64_t* strides) {
  int64_t off = 0;
  for (int d = ndim - 1; d >= 0; --d) {
    off += (i % sizes[d]) * strides[d];
    i /= sizes[d];
  }
  return off;
}

// ---- Which kernel reduces ----

enum class ReducePath : uint8_t {
  kThreadPerResult,  // one thread walks a result's whole range
  kWarpPerResult,    // 32 lanes stride across the range, then shuffle
  kBlocksPerResult,  // a block per (result, chunk), then a pass over chunks
  kColumns,  // 32 adjacent results x 8 rows a block, splits of the range
};

// From this many results one thread (or warp) per result fills the GPU;
// below it a result's range is split over a block, or several.
inline constexpr int64_t kManyResults = 2048;
// A warp reads 32 consecutive elements per step: worth it once the
// contiguous run is about half a warp long (shorter runs leave most lanes
// idle, and then a thread per result is as good).
inline constexpr int64_t kWarpMinRun = 16;

// Length of the innermost reduced dim when it is contiguous (stride 1),
// else 0. Along it a thread per result is uncoalesced: neighbouring threads
// (neighbouring results) read at least a run apart.
inline int64_t contiguous_run(const ReduceGeometry& g) {
  if (g.red_ndim == 0 || g.red_strides[g.red_ndim - 1] != 1) return 0;
  return g.red_sizes[g.red_ndim - 1];
}

// Whether results are adjacent in memory: the innermost kept dim has
// stride 1 (reducing over rows: sum(x, 0), bias gradients, batch
// statistics), so 32 threads on 32 adjacent results read one coalesced
// line per reduced element.
inline bool results_adjacent(const ReduceGeometry& g) {
  return g.kept_ndim > 0 && g.kept_strides[g.kept_ndim - 1] == 1;
}

// The columns path wants at least a warp of adjacent results and enough
// reduced elements for its 8 rows of threads.
inline constexpr int64_t kColumnsMinRows = 32;

// Whether the columns path takes a reduction (reduce_path): results
// adjacent, the reduced elements not contiguous, enough of both.
inline bool columns_fit(const ReduceGeometry& g) {
  return contiguous_run(g) == 0 && results_adjacent(g) && g.n_out >= kWarp &&
         g.n_red >= kColumnsMinRows;
}

// Sum/Amax/Amin. Over rows (results adjacent), a block takes 32 adjacent
// results and its 8 warps split the rows, and gridDim.y splits the range
// further until the GPU has work: a thread per result would leave it idle
// for a few thousand results over a long range.
inline ReducePath reduce_path(const ReduceGeometry& g) {
  if (columns_fit(g)) return ReducePath::kColumns;
  if (g.n_out < kManyResults) return ReducePath::kBlocksPerResult;
  return contiguous_run(g) >= kWarpMinRun ? ReducePath::kWarpPerResult
                                          : ReducePath::kThreadPerResult;
}

// Argmax/Argmin have no blocks path: the columns path over rows, a warp per
// result whenever the run is long enough (also for few results, where one
// thread per result would leave the GPU nearly idle), else a thread per
// result.
inline ReducePath arg_reduce_path(const ReduceGeometry& g) {
  if (columns_fit(g)) return ReducePath::kColumns;
  return contiguous_run(g) >= kWarpMinRun ? ReducePath::kWarpPerResult
                                          : ReducePath::kThreadPerResult;
}

// ---- A warp per result ----

inline int64_t warp_blocks(int64_t n_out) {
  return (n_out + kWarpsPerBlock - 1) / kWarpsPerBlock;
}
// Thread t of block b is lane warp_lane(t) of the warp reducing result
// warp_result(b, t). A warp's 32 threads share a result, so a warp past
// n_out returns as a whole and the shuffles see every lane.
FNX_HD int64_t warp_result(int64_t block, int thread) {
  return block * kWarpsPerBlock + thread / kWarp;
}
FNX_HD int warp_lane(int thread) { return thread % kWarp; }
// Lane l reduces r = l, l + kWarp, ... < n_red (step kWarp from l): at each
// step the warp reads 32 consecutive r, adjacent in memory along the run.
// Then, for delta = 16, 8, 4, 2, 1, every lane merges in the value of lane
// + delta (__shfl_down_sync; lanes past 31 keep their own): lane 0 ends up
// with all 32.
inline constexpr int kFirstShuffleDelta = kWarp / 2;

// ---- Columns: results adjacent in memory ----

// Thread t of block (bx, by) reduces result column_result(bx, t) over the
// rows r = r0 + column_row(t), + kWarpsPerBlock, ... < r1 of split by
// (column_rows); row 0's threads merge the block's rows in order and write
// the split's value (the result itself when there is one split, else a
// partial at [by * n_out + o] that a second columns pass reduces).
FNX_HD int64_t column_result(int64_t bx, int thread) {
  return bx * kWarp + thread % kWarp;
}
FNX_HD int column_row(int thread) { return thread / kWarp; }

// Splits of the reduced range (gridDim.y): enough blocks for a large GPU
// (kColumnsBlocks, about 8 per multiprocessor of an H100), each split at
// least kColumnsSplitRows rows long, at most 65535 (gridDim.y's limit).
inline constexpr int64_t kColumnsBlocks = 1024;
inline constexpr int64_t kColumnsSplitRows = 256;
inline constexpr int64_t kMaxGridY = 65535;

inline int64_t column_blocks(const ReduceGeometry& g) {
  return (g.n_out + kWarp - 1) / kWarp;
}
inline int64_t column_splits(const ReduceGeometry& g) {
  const int64_t want =
      (kColumnsBlocks + column_blocks(g) - 1) / column_blocks(g);
  int64_t most = g.n_red / kColumnsSplitRows;
  most = most < 1 ? 1 : (most > kMaxGridY ? kMaxGridY : most);
  return want < most ? want : most;
}
// Rows per split; the last split may be shorter.
inline int64_t column_split_len(const ReduceGeometry& g, int64_t splits) {
  return (g.n_red + splits - 1) / splits;
}

// Argmax/Argmin's candidate: a value and its index along the dim; index -1
// for none (a lane with no elements when n < 32).
template <typename T>
struct ArgCandidate {
  T value;
  int64_t index;
};

// The better of two candidates with different indices: NaN beats any
// number; otherwise the larger (kMax) or smaller value; equal values or
// two NaNs, the lower index. This is a total order on (value, index), so
// merging lanes in any tree gives what the CPU's one pass gives: the first
// NaN, else the first index of the max (min).
template <bool kMax, typename T>
FNX_HD ArgCandidate<T> arg_better(ArgCandidate<T> a, ArgCandidate<T> b) {
  if (b.index < 0) return a;
  if (a.index < 0) return b;
  const bool a_nan = is_nan_value(a.value), b_nan = is_nan_value(b.value);
  if (a_nan != b_nan) return a_nan ? a : b;
  if (!a_nan) {
    if (kMax ? a.value > b.value : a.value < b.value) return a;
    if (kMax ? b.value > a.value : b.value < a.value) return b;
  }
  return a.index < b.index ? a : b;
}

// Lane `lane`'s candidate over p[j * stride], j = lane, lane + kWarp, ...
// < n. Its indices increase, so once it holds a NaN nothing later wins.
template <bool kMax, typename T>
FNX_HD ArgCandidate<T> arg_lane(const T* p, int64_t n, int64_t stride,
                                int lane) {
  ArgCandidate<T> best{T(), -1};
  for (int64_t j = lane; j < n && !is_nan_value(best.value); j += kWarp) {
    best = arg_better<kMax>(best, ArgCandidate<T>{p[j * stride], j});
  }
  return best;
}

}  // namespace fnx::cuda
