// Unfold (patches of every window, padding reads pad_value) and Fold (its
// transpose). Fold is written as a gather: each image element sums the
// patch entries that read it, so no atomics and a deterministic order.
#include "backends/common/scalar_ops.h"
#include "backends/cuda/kernels.h"
#include "backends/cuda/launch.h"
#include "backends/cuda/loop.cuh"
#include "backends/cuda/window.h"

namespace fnx::cuda {
namespace {

// One thread per patch entry (image, k, o). kSpatial: g.spatial, fixed at
// compile time (window.h).
template <typename T, int kSpatial>
__global__ void unfold_kernel(WindowGeometry g, const T* x, T* patches,
                              T pad_value) {
  const int64_t total = g.images * g.kernel_numel * g.out_numel;
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= total) return;
  const int64_t source = unfold_source<kSpatial>(g, i);
  patches[i] = source >= 0 ? x[source] : pad_value;
}

// One thread per image element: the sum of the patch entries that read it.
template <typename T, int kSpatial>
__global__ void fold_kernel(WindowGeometry g, const T* patches, T* images) {
  const int64_t total = g.images * g.in_numel;
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= total) return;
  T acc = T(0);
  for_each_reader<kSpatial>(
      g, i, [&](int64_t p) { acc = scalar::AddOp{}(acc, patches[p]); });
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
    with_spatial_dims(g, [&]<int kSpatial>() {
      launch(unfold_kernel<T, kSpatial>, blocks_of(total), kThreads, stream, g,
             static_cast<const T*>(x), static_cast<T*>(patches),
             scalar::convert<T>(pad_value));
    });
    return cudaGetLastError();
  });
}

cudaError_t launch_fold(Scalar t, const WindowGeometry& g, const void* patches,
                        void* images, cudaStream_t stream) {
  const int64_t total = g.images * g.in_numel;
  if (total <= 0) return cudaSuccess;
  return dispatch_all(t, [&]<typename T>() {
    with_spatial_dims(g, [&]<int kSpatial>() {
      launch(fold_kernel<T, kSpatial>, blocks_of(total), kThreads, stream, g,
             static_cast<const T*>(patches), static_cast<T*>(images));
    });
    return cudaGetLastError();
  });
}

}  // namespace fnx::cuda
