// The index arithmetic of Unfold and Fold (unfold.cu) and of max pooling
// (pool.cu), also compiled for the host (tests/cuda/window_test.cc checks
// it against the CPU backend).
// An image is (C, *in) contiguous; its patches are (prod(kernel),
// prod(out)) contiguous, entry (k, o) reading the input element at
// o * stride - padding + k * dilation per spatial dim, or padding.
#pragma once

#include <cstdint>
#include <type_traits>

#include "backends/common/host_device.h"

namespace fnx::cuda {

inline constexpr int kMaxSpatial = 3;
struct WindowGeometry {
  int spatial = 0;
  int64_t images = 0;  // N * C
  int64_t in[kMaxSpatial] = {}, kernel[kMaxSpatial] = {}, out[kMaxSpatial] = {};
  int64_t stride[kMaxSpatial] = {}, padding[kMaxSpatial] = {},
          dilation[kMaxSpatial] = {};
  int64_t in_numel = 1, kernel_numel = 1, out_numel = 1;
};

// Unravels i (row-major over sizes[0..n)) into idx.
FNX_HD void unravel(int64_t i, int n, const int64_t* sizes, int64_t* idx) {
  for (int d = n - 1; d >= 0; --d) {
    idx[d] = i % sizes[d];
    i /= sizes[d];
  }
}

// Patch entry i of (images, kernel_numel, out_numel): the flat index of the
// image element it reads (image * in_numel + position), or -1 for padding.
FNX_HD int64_t unfold_source(const WindowGeometry& g, int64_t i) {
  const int64_t o = i % g.out_numel;
  const int64_t k = (i / g.out_numel) % g.kernel_numel;
  const int64_t image = i / (g.out_numel * g.kernel_numel);
  int64_t oi[kMaxSpatial], ki[kMaxSpatial];
  unravel(o, g.spatial, g.out, oi);
  unravel(k, g.spatial, g.kernel, ki);
  int64_t at = 0;
  for (int d = 0; d < g.spatial; ++d) {
    const int64_t pos =
        oi[d] * g.stride[d] - g.padding[d] + ki[d] * g.dilation[d];
    if (pos < 0 || pos >= g.in[d]) return -1;
    at = at * g.in[d] + pos;
  }
  return image * g.in_numel + at;
}

// For in-image position i: calls f(k, o) for every window o that covers it
// and the kernel offset k at which it does, in kernel order (the windows
// whose argmax may be i; the patch entries that read i).
template <typename F>
FNX_HD void for_each_covering_window(const WindowGeometry& g, int64_t i,
                                     F&& f) {
  int64_t pi[kMaxSpatial];
  unravel(i, g.spatial, g.in, pi);
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
    if (hit) f(k, o);
  }
}

// For image element i (image * in_numel + position): calls f(p) for the
// flat index p of every patch entry that reads it, in kernel order (the
// transpose of unfold_source; Fold sums them).
template <typename F>
FNX_HD void for_each_reader(const WindowGeometry& g, int64_t i, F&& f) {
  const int64_t base = (i / g.in_numel) * g.kernel_numel * g.out_numel;
  for_each_covering_window(g, i % g.in_numel, [&](int64_t k, int64_t o) {
    f(base + k * g.out_numel + o);
  });
}

// Max pooling: the in-image position of window o's first maximum (kernel
// order) in `image` (contiguous, in_numel elements), a NaN counting as the
// maximum; padding is never chosen (the shape rule makes sure every window
// touches the image).
template <typename T>
FNX_HD int64_t window_argmax(const WindowGeometry& g, const T* image,
                             int64_t o) {
  int64_t oi[kMaxSpatial];
  unravel(o, g.spatial, g.out, oi);
  int64_t best = -1;
  T best_value{};
  for (int64_t k = 0; k < g.kernel_numel; ++k) {
    int64_t ki[kMaxSpatial];
    unravel(k, g.spatial, g.kernel, ki);
    int64_t at = 0;
    bool inside = true;
    for (int d = 0; d < g.spatial && inside; ++d) {
      const int64_t pos =
          oi[d] * g.stride[d] - g.padding[d] + ki[d] * g.dilation[d];
      inside = pos >= 0 && pos < g.in[d];
      at = at * g.in[d] + pos;
    }
    if (!inside) continue;
    const T v = image[at];
    if (best < 0 || v > best_value ||
        (is_nan_value(v) && !is_nan_value(best_value))) {
      best = at;
      best_value = v;
    }
  }
  return best;
}

}  // namespace fnx::cuda
