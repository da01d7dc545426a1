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

// The helpers below take the number of spatial dims as a template argument
// kSpatial (1-3) when the caller fixes it at compile time, as the kernels
// do: the per-dim loops then unroll and the index arrays stay in registers
// instead of local memory. kSpatial = 0 reads g.spatial at run time.
template <int kSpatial>
FNX_HD int spatial_dims(const WindowGeometry& g) {
  static_assert(kSpatial >= 0 && kSpatial <= kMaxSpatial);
  return kSpatial > 0 ? kSpatial : g.spatial;
}

// Calls body.template operator()<kSpatial>() with g.spatial (1-3) as a
// compile-time constant.
template <typename Body>
auto with_spatial_dims(const WindowGeometry& g, Body&& body) {
  if (g.spatial == 1) return body.template operator()<1>();
  if (g.spatial == 2) return body.template operator()<2>();
  return body.template operator()<3>();
}

// a / b for a >= 0, b > 0: in 32 bits when both fit. A GPU divides by a
// run-time value in software, and a 64-bit division costs several 32-bit
// ones; the indices here almost always fit.
FNX_HD int64_t index_div(int64_t a, int64_t b) {
  if (static_cast<uint64_t>(a | b) <= 0xffffffffu) {
    return static_cast<uint32_t>(a) / static_cast<uint32_t>(b);
  }
  return a / b;
}

// Unravels i (row-major over sizes[0..n)) into idx.
FNX_HD void unravel(int64_t i, int n, const int64_t* sizes, int64_t* idx) {
  for (int d = n - 1; d >= 0; --d) {
    const int64_t q = index_div(i, sizes[d]);
    idx[d] = i - q * sizes[d];
    i = q;
  }
}

// Steps idx (row-major over sizes[0..n)) to the next index: the kernel
// loops walk their window this way instead of unravelling every offset.
FNX_HD void next_index(int n, const int64_t* sizes, int64_t* idx) {
  for (int d = n - 1; d >= 0; --d) {
    if (++idx[d] < sizes[d]) return;
    idx[d] = 0;
  }
}

// Patch entry i of (images, kernel_numel, out_numel): the flat index of the
// image element it reads (image * in_numel + position), or -1 for padding.
template <int kSpatial = 0>
FNX_HD int64_t unfold_source(const WindowGeometry& g, int64_t i) {
  const int n = spatial_dims<kSpatial>(g);
  const int64_t q = index_div(i, g.out_numel);
  const int64_t o = i - q * g.out_numel;
  const int64_t image = index_div(q, g.kernel_numel);
  const int64_t k = q - image * g.kernel_numel;
  int64_t oi[kMaxSpatial], ki[kMaxSpatial];
  unravel(o, n, g.out, oi);
  unravel(k, n, g.kernel, ki);
  int64_t at = 0;
  for (int d = 0; d < n; ++d) {
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
template <int kSpatial = 0, typename F>
FNX_HD void for_each_covering_window(const WindowGeometry& g, int64_t i,
                                     F&& f) {
  const int n = spatial_dims<kSpatial>(g);
  int64_t pi[kMaxSpatial];
  unravel(i, n, g.in, pi);
  int64_t ki[kMaxSpatial] = {};
  for (int64_t k = 0; k < g.kernel_numel; ++k, next_index(n, g.kernel, ki)) {
    int64_t o = 0;
    bool hit = true;
    for (int d = 0; d < n && hit; ++d) {
      const int64_t num = pi[d] + g.padding[d] - ki[d] * g.dilation[d];
      if (num < 0) {
        hit = false;
        break;
      }
      const int64_t q = index_div(num, g.stride[d]);
      hit = q * g.stride[d] == num && q < g.out[d];
      o = o * g.out[d] + q;
    }
    if (hit) f(k, o);
  }
}

// For image element i (image * in_numel + position): calls f(p) for the
// flat index p of every patch entry that reads it, in kernel order (the
// transpose of unfold_source; Fold sums them).
template <int kSpatial = 0, typename F>
FNX_HD void for_each_reader(const WindowGeometry& g, int64_t i, F&& f) {
  const int64_t image = index_div(i, g.in_numel);
  const int64_t base = image * g.kernel_numel * g.out_numel;
  for_each_covering_window<kSpatial>(
      g, i - image * g.in_numel,
      [&](int64_t k, int64_t o) { f(base + k * g.out_numel + o); });
}

// Calls f(at) for the in-image position of every element of window o that
// is not padding, in kernel order.
template <int kSpatial = 0, typename F>
FNX_HD void for_each_window_element(const WindowGeometry& g, int64_t o, F&& f) {
  const int n = spatial_dims<kSpatial>(g);
  int64_t oi[kMaxSpatial];
  unravel(o, n, g.out, oi);
  int64_t ki[kMaxSpatial] = {};
  for (int64_t k = 0; k < g.kernel_numel; ++k, next_index(n, g.kernel, ki)) {
    int64_t at = 0;
    bool inside = true;
    for (int d = 0; d < n && inside; ++d) {
      const int64_t pos =
          oi[d] * g.stride[d] - g.padding[d] + ki[d] * g.dilation[d];
      inside = pos >= 0 && pos < g.in[d];
      at = at * g.in[d] + pos;
    }
    if (inside) f(at);
  }
}

// Max pooling: the in-image position of window o's first maximum (kernel
// order) in `image` (contiguous, in_numel elements), a NaN counting as the
// maximum; padding is never chosen (the shape rule makes sure every window
// touches the image).
template <int kSpatial = 0, typename T>
FNX_HD int64_t window_argmax(const WindowGeometry& g, const T* image,
                             int64_t o) {
  int64_t best = -1;
  T best_value{};
  for_each_window_element<kSpatial>(g, o, [&](int64_t at) {
    const T v = image[at];
    if (best < 0 || v > best_value ||
        (is_nan_value(v) && !is_nan_value(best_value))) {
      best = at;
      best_value = v;
    }
  });
  return best;
}

// No image element lies in two windows: on every dim the stride is at least
// the dilated kernel's span (max pooling's default, stride == kernel). Then
// a window can write its own elements' gradients without a gather.
inline bool windows_disjoint(const WindowGeometry& g) {
  for (int d = 0; d < g.spatial; ++d) {
    if (g.stride[d] < g.dilation[d] * (g.kernel[d] - 1) + 1) return false;
  }
  return true;
}

// Every image element lies in some window (and, with windows_disjoint, in
// exactly one): no padding or dilation, and the windows tile each dim.
inline bool windows_cover_image(const WindowGeometry& g) {
  for (int d = 0; d < g.spatial; ++d) {
    if (g.padding[d] != 0 || g.dilation[d] != 1 || g.stride[d] != g.kernel[d] ||
        g.out[d] * g.kernel[d] != g.in[d]) {
      return false;
    }
  }
  return true;
}

}  // namespace fnx::cuda
