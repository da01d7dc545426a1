// Unfold (patches of every window, padding reads pad_value) and Fold (its
// transpose). Fold is written as a gather: each image element sums the
// patch entries that read it, so no atomics and a deterministic order.
#include "backends/cuda/kernels.h"
#include "backends/cuda/loop.cuh"
#include "backends/cuda/scalar_ops.cuh"

namespace fnx::cuda {
namespace {

// Unravels i (row-major over sizes[0..n)) into idx.
__device__ __forceinline__ void unravel(int64_t i, int n, const int64_t* sizes,
                                        int64_t* idx) {
  for (int d = n - 1; d >= 0; --d) {
    idx[d] = i % sizes[d];
    i /= sizes[d];
  }
}

// One thread per patch entry (image, k, o).
template <typename T>
__global__ void unfold_kernel(WindowGeometry g, const T* x, T* patches,
                              T pad_value) {
  const int64_t total = g.images * g.kernel_numel * g.out_numel;
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= total) return;
  const int64_t o = i % g.out_numel;
  const int64_t k = (i / g.out_numel) % g.kernel_numel;
  const int64_t image = i / (g.out_numel * g.kernel_numel);
  int64_t oi[kMaxSpatial], ki[kMaxSpatial];
  unravel(o, g.spatial, g.out, oi);
  unravel(k, g.spatial, g.kernel, ki);
  int64_t at = 0;
  bool inside = true;
  for (int d = 0; d < g.spatial; ++d) {
    const int64_t pos =
        oi[d] * g.stride[d] - g.padding[d] + ki[d] * g.dilation[d];
    inside = inside && pos >= 0 && pos < g.in[d];
    at = at * g.in[d] + pos;
  }
  patches[i] = inside ? x[image * g.in_numel + at] : pad_value;
}

// One thread per image element (image, position): sums every (k, o) with
// o * stride - padding + k * dilation == position.
template <typename T>
__global__ void fold_kernel(WindowGeometry g, const T* patches, T* images) {
  const int64_t total = g.images * g.in_numel;
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= total) return;
  const int64_t image = i / g.in_numel;
  int64_t pi[kMaxSpatial];
  unravel(i % g.in_numel, g.spatial, g.in, pi);
  const T* base = patches + image * g.kernel_numel * g.out_numel;
  T acc = T(0);
  for (int64_t k = 0; k < g.kernel_numel; ++k) {
    int64_t ki[kMaxSpatial];
    unravel(k, g.spatial, g.kernel, ki);
    int64_t o = 0;
    bool hit = true;
    for (int d = 0; d < g.spatial && hit; ++d) {
      const int64_t num = pi[d] + g.padding[d] - ki[d] * g.dilation[d];
      hit = num >= 0 && num % g.stride[d] == 0 && num / g.stride[d] < g.out[d];
      o = o * g.out[d] + (hit ? num / g.stride[d] : 0);
    }
    if (hit) acc = AddOp{}(acc, base[k * g.out_numel + o]);
  }
  images[i] = acc;
}

unsigned blocks_of(int64_t n) {
  return static_cast<unsigned>((n + kThreads - 1) / kThreads);
}

}  // namespace

cudaError_t launch_unfold(Scalar t, const WindowGeometry& g, const void* x,
                          void* patches, double pad_value,
                          cudaStream_t stream) {
  const int64_t total = g.images * g.kernel_numel * g.out_numel;
  if (total <= 0) return cudaSuccess;
  return dispatch_all(t, [&]<typename T>() {
    unfold_kernel<T><<<blocks_of(total), kThreads, 0, stream>>>(
        g, static_cast<const T*>(x), static_cast<T*>(patches),
        convert<T>(pad_value));
    return cudaGetLastError();
  });
}

cudaError_t launch_fold(Scalar t, const WindowGeometry& g, const void* patches,
                        void* images, cudaStream_t stream) {
  const int64_t total = g.images * g.in_numel;
  if (total <= 0) return cudaSuccess;
  return dispatch_all(t, [&]<typename T>() {
    fold_kernel<T><<<blocks_of(total), kThreads, 0, stream>>>(
        g, static_cast<const T*>(patches), static_cast<T*>(images));
    return cudaGetLastError();
  });
}

}  // namespace fnx::cuda
