// Argsort along the middle dim of a contiguous (outer, n, inner) tensor: a
// stable merge sort of (key, position) pairs, every fiber at once. Values
// become order-preserving integer keys (host_device.h, shared with the
// CPU), laid out fiber-major; then ceil(log2 n) passes each merge adjacent
// sorted runs of width w into runs of 2w, one thread per element: an
// element's place in the merged run is its place in its own run plus the
// number of keys of the other run before it (binary search; equal keys of
// the left run go first, so the sort is stable). O(n log^2 n) work, fully
// parallel, no shared memory or block size assumptions.
#include <cstdint>

#include "backends/common/host_device.h"

#include "backends/cuda/kernels.h"
#include "backends/cuda/launch.h"
#include "backends/cuda/loop.cuh"

namespace fnx::cuda {
namespace {

template <typename T>
__global__ void make_keys_kernel(int64_t outer, int64_t n, int64_t inner,
                                 bool descending, const T* x,
                                 SortKeyOf<T>* keys, int64_t* pos) {
  const int64_t t = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (t >= outer * n * inner) return;
  const int64_t fiber = t / n, j = t - fiber * n;
  const int64_t o = fiber / inner, i = fiber - o * inner;
  const SortKeyOf<T> key = sort_key(x[(o * n + j) * inner + i]);
  keys[t] = descending ? ~key : key;
  pos[t] = j;
}

// The number of keys in [lo, hi) below `key` (or not above it, for
// `inclusive`): keys[lo, hi) is sorted.
template <typename U>
__device__ __forceinline__ int64_t rank_in(const U* keys, int64_t lo,
                                           int64_t hi, U key, bool inclusive) {
  int64_t a = lo, b = hi;
  while (a < b) {
    const int64_t mid = a + (b - a) / 2;
    const bool before = inclusive ? keys[mid] <= key : keys[mid] < key;
    if (before) {
      a = mid + 1;
    } else {
      b = mid;
    }
  }
  return a - lo;
}

template <typename U>
__global__ void merge_pass_kernel(int64_t total, int64_t n, int64_t width,
                                  const U* keys_in, const int64_t* pos_in,
                                  U* keys_out, int64_t* pos_out) {
  const int64_t t = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (t >= total) return;
  const int64_t fiber = t / n, j = t - fiber * n;
  const U* k = keys_in + fiber * n;
  const int64_t run = j / width;
  const int64_t base = (run / 2) * 2 * width;
  const int64_t mid = base + width < n ? base + width : n;
  const int64_t end = base + 2 * width < n ? base + 2 * width : n;
  int64_t dest;
  if (run % 2 == 0) {  // left run: after the right run's strictly smaller keys
    dest = j + rank_in(k, mid, end, k[j], false);
  } else {  // right run: after the left run's keys not above it
    dest = base + (j - mid) + rank_in(k, base, mid, k[j], true);
  }
  keys_out[fiber * n + dest] = k[j];
  pos_out[fiber * n + dest] = pos_in[t];
}

__global__ void write_order_kernel(int64_t outer, int64_t n, int64_t inner,
                                   const int64_t* pos, int64_t* y) {
  const int64_t t = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (t >= outer * n * inner) return;
  const int64_t fiber = t / n, j = t - fiber * n;
  const int64_t o = fiber / inner, i = fiber - o * inner;
  y[(o * n + j) * inner + i] = pos[t];
}

unsigned blocks_of(int64_t n) {
  return static_cast<unsigned>((n + kThreads - 1) / kThreads);
}

}  // namespace

cudaError_t launch_argsort(Scalar t, int64_t outer, int64_t n, int64_t inner,
                           bool descending, const void* x, int64_t* y,
                           const ArgsortScratch& scratch,
                           cudaStream_t stream) {
  const int64_t total = outer * n * inner;
  if (total <= 0) return cudaSuccess;
  return dispatch_all(t, [&]<typename T>() {
    using U = SortKeyOf<T>;
    U* keys[2] = {static_cast<U*>(scratch.keys[0]),
                  static_cast<U*>(scratch.keys[1])};
    int64_t* pos[2] = {scratch.positions[0], scratch.positions[1]};
    launch(make_keys_kernel<T>, blocks_of(total), kThreads, stream, outer, n,
           inner, descending, static_cast<const T*>(x), keys[0], pos[0]);
    int cur = 0;
    for (int64_t width = 1; width < n; width *= 2, cur = 1 - cur) {
      launch(merge_pass_kernel<U>, blocks_of(total), kThreads, stream, total,
             n, width, keys[cur], pos[cur], keys[1 - cur], pos[1 - cur]);
    }
    launch(write_order_kernel, blocks_of(total), kThreads, stream, outer, n,
           inner, pos[cur], y);
    return cudaGetLastError();
  });
}

}  // namespace fnx::cuda
