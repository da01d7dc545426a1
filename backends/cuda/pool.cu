// Max pooling's two primitives. MaxPoolSelect: a thread per window picks
// its argmax (window.h) and reads the values there. MaxPoolScatter, where
// windows are disjoint (stride >= kernel, max_pool2d's default): a thread
// per window writes its whole window, the gradient at the argmax and zeros
// elsewhere, in one pass. Where they overlap it is a gather, as Fold: a
// first pass writes every window's argmax, then each image element sums the
// gradients of the windows whose argmax it is, in kernel order. Neither
// needs atomics: the same result on every run.
#include "backends/common/scalar_ops.h"
#include "backends/cuda/kernels.h"
#include "backends/cuda/launch.h"
#include "backends/cuda/loop.cuh"
#include "backends/cuda/window.h"

namespace fnx::cuda {
namespace {

// One thread per window (image, o). kSpatial: g.spatial, fixed at compile
// time (window.h).
template <typename T, int kSpatial>
__global__ void select_kernel(WindowGeometry g, const T* x, const T* values,
                              T* out) {
  const int64_t total = g.images * g.out_numel;
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= total) return;
  const int64_t image = index_div(i, g.out_numel);
  const int64_t at = window_argmax<kSpatial>(g, x + image * g.in_numel,
                                             i - image * g.out_numel);
  out[i] = values[image * g.in_numel + at];
}

template <typename T, int kSpatial>
__global__ void argmax_kernel(WindowGeometry g, const T* x, int32_t* places) {
  const int64_t total = g.images * g.out_numel;
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= total) return;
  const int64_t image = index_div(i, g.out_numel);
  places[i] = static_cast<int32_t>(window_argmax<kSpatial>(
      g, x + image * g.in_numel, i - image * g.out_numel));
}

// One thread per window; windows_disjoint(g).
template <typename T, int kSpatial>
__global__ void scatter_disjoint_kernel(WindowGeometry g, const T* x,
                                        const T* grad, T* dx) {
  const int64_t total = g.images * g.out_numel;
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= total) return;
  const int64_t image = index_div(i, g.out_numel);
  const int64_t o = i - image * g.out_numel;
  const int64_t at = window_argmax<kSpatial>(g, x + image * g.in_numel, o);
  const T value = grad[i];
  T* image_dx = dx + image * g.in_numel;
  for_each_window_element<kSpatial>(
      g, o, [&](int64_t pos) { image_dx[pos] = pos == at ? value : T(0); });
}

// One thread per image element.
template <typename T, int kSpatial>
__global__ void scatter_kernel(WindowGeometry g, const int32_t* places,
                               const T* grad, T* dx) {
  const int64_t total = g.images * g.in_numel;
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= total) return;
  const int64_t image = index_div(i, g.in_numel);
  const int64_t pos = i - image * g.in_numel;
  const int64_t base = image * g.out_numel;
  T acc = T(0);
  for_each_covering_window<kSpatial>(g, pos, [&](int64_t, int64_t o) {
    if (places[base + o] == pos) acc = scalar::AddOp{}(acc, grad[base + o]);
  });
  dx[i] = acc;
}

unsigned blocks_of(int64_t n) {
  return static_cast<unsigned>((n + kThreads - 1) / kThreads);
}

}  // namespace

cudaError_t launch_max_pool_select(Scalar t, const WindowGeometry& g,
                                   const void* x, const void* values, void* out,
                                   cudaStream_t stream) {
  const int64_t total = g.images * g.out_numel;
  if (total <= 0) return cudaSuccess;
  return dispatch_all(t, [&]<typename T>() {
    with_spatial_dims(g, [&]<int kSpatial>() {
      launch(select_kernel<T, kSpatial>, blocks_of(total), kThreads, stream, g,
             static_cast<const T*>(x), static_cast<const T*>(values),
             static_cast<T*>(out));
    });
    return cudaGetLastError();
  });
}

cudaError_t launch_max_pool_scatter(Scalar t, const WindowGeometry& g,
                                    const void* x, const void* grad, void* dx,
                                    int32_t* places, cudaStream_t stream) {
  const int64_t windows = g.images * g.out_numel;
  const int64_t total = g.images * g.in_numel;
  if (total <= 0) return cudaSuccess;
  return dispatch_all(t, [&]<typename T>() {
    if (windows_disjoint(g)) {
      // Elements that no window reads (a remainder, gaps, dilation's holes)
      // get zeros first.
      if (!windows_cover_image(g) || windows == 0) {
        const cudaError_t err =
            cudaMemsetAsync(dx, 0, total * sizeof(T), stream);
        if (err != cudaSuccess) return err;
      }
      if (windows > 0) {
        with_spatial_dims(g, [&]<int kSpatial>() {
          launch(scatter_disjoint_kernel<T, kSpatial>, blocks_of(windows),
                 kThreads, stream, g, static_cast<const T*>(x),
                 static_cast<const T*>(grad), static_cast<T*>(dx));
        });
      }
      return cudaGetLastError();
    }
    if (windows > 0) {
      with_spatial_dims(g, [&]<int kSpatial>() {
        launch(argmax_kernel<T, kSpatial>, blocks_of(windows), kThreads, stream,
               g, static_cast<const T*>(x), places);
      });
      const cudaError_t err = cudaGetLastError();
      if (err != cudaSuccess) return err;
    }
    with_spatial_dims(g, [&]<int kSpatial>() {
      launch(scatter_kernel<T, kSpatial>, blocks_of(total), kThreads, stream, g,
             places, static_cast<const T*>(grad), static_cast<T*>(dx));
    });
    return cudaGetLastError();
  });
}

}  // namespace fnx::cuda
