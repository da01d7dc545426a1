// The max-pooling primitives. MaxPoolSelect(x, v): for every window, v at
// the place of x's maximum. MaxPoolScatter(x, g): g added at those places
// of a zero tensor of x's shape. The place is the first maximum in window
// order (row-major over the kernel), a NaN counting as the maximum; padding
// is never chosen (the shape rule makes sure every window touches the
// input). Both run over (N, C) as N * C independent planes, in parallel
// across planes, so the scatter's sums are serial per plane: deterministic.
#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <memory>
#include <type_traits>
#include <vector>

#include "backends/cpu/common.h"
#include "backends/cpu/loops.h"
#include "core/registry.h"

namespace fnx::cpu {
namespace {

// 1-3 spatial dims, padded to 3 with leading size-1 dims.
struct PoolPlan {
  int64_t planes = 0;
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, kernel[3] = {1, 1, 1};
  int64_t stride[3] = {1, 1, 1}, padding[3] = {0, 0, 0},
          dilation[3] = {1, 1, 1};
  int64_t in_numel = 1, out_numel = 1, kernel_numel = 1;
};

PoolPlan make_plan(const OpCall& call, const Shape& x_shape) {
  const auto& a = call.attr<UnfoldAttrs>();
  const int n = static_cast<int>(a.kernel.size());
  FNX_CHECK(n >= 1 && n <= 3 && static_cast<int>(x_shape.size()) == n + 2,
            call.name(), "expects (N, C, *spatial) with 1-3 spatial dims, got ",
            shape_str(x_shape));
  PoolPlan p;
  p.planes = x_shape[0] * x_shape[1];
  for (int i = 0; i < n; ++i) {
    const int j = 3 - n + i;
    p.in[j] = x_shape[2 + i];
    p.kernel[j] = a.kernel[i];
    p.stride[j] = a.stride[i];
    p.padding[j] = a.padding[i];
    p.dilation[j] = a.dilation[i];
    const int64_t span = a.dilation[i] * (a.kernel[i] - 1) + 1;
    p.out[j] = (p.in[j] + 2 * p.padding[j] - span) / p.stride[j] + 1;
  }
  for (int j = 0; j < 3; ++j) {
    p.in_numel *= p.in[j];
    p.out_numel *= p.out[j];
    p.kernel_numel *= p.kernel[j];
  }
  return p;
}

// Keys that order values as max pooling does, as integers of the value's
// width (so that the update below is branch-free and vectorizes): numbers
// in their order (-0 equal to +0), every NaN above +inf and equal to each
// other. Integers are their own keys.
template <typename T>
struct PoolKey {
  using type = std::conditional_t<sizeof(T) == 8, int64_t, int32_t>;
  static type of(T v) {
    if constexpr (std::is_floating_point_v<T>) {
      // Bit tricks rather than branches, so that loops over keys vectorize.
      using U = std::conditional_t<sizeof(T) == 8, uint64_t, uint32_t>;
      constexpr int kSignShift = sizeof(T) * 8 - 1;
      constexpr type kMagnitude = std::numeric_limits<type>::max();
      constexpr type kInfBits = static_cast<type>(
          std::bit_cast<U>(std::numeric_limits<T>::infinity()));
      const type bits = static_cast<type>(std::bit_cast<U>(v));
      // Negative numbers: flip the magnitude bits (larger magnitude, smaller
      // key), then step up by one so that -0.0 meets +0.0 at 0.
      type key = bits ^ ((bits >> kSignShift) & kMagnitude);
      key -= key >> kSignShift;
      return (bits & kMagnitude) > kInfBits ? kMagnitude : key;
    } else {
      return static_cast<type>(v);
    }
  }
};

// For each kernel position k2 of the last dim, the outputs o2 in
// [lo[k2], hi[k2]) whose window reads inside the input there: the loops
// over them need no bounds checks (and no divisions).
void inside_ranges(const PoolPlan& p, int64_t* lo, int64_t* hi) {
  const int64_t stride = p.stride[2], in = p.in[2];
  for (int64_t k2 = 0; k2 < p.kernel[2]; ++k2) {
    const int64_t offset = k2 * p.dilation[2] - p.padding[2];
    lo[k2] = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
    hi[k2] = in - 1 - offset < 0
                 ? 0
                 : std::min(p.out[2], (in - 1 - offset) / stride + 1);
  }
}

// For a row of windows whose first two dims start at (s0, s1): calls
// fn(k2, first) for every kernel position (k0, k1, k2) in window order
// whose first two coordinates fall inside the input, with `first` the
// in-plane place that output 0 of the row reads there (lo/hi of
// inside_ranges say which outputs read inside along the last dim).
template <typename F>
void for_each_kernel_position(const PoolPlan& p, int64_t s0, int64_t s1,
                              const F& fn) {
  for (int64_t k0 = 0; k0 < p.kernel[0]; ++k0) {
    const int64_t i0 = s0 + k0 * p.dilation[0];
    if (i0 < 0 || i0 >= p.in[0]) continue;
    for (int64_t k1 = 0; k1 < p.kernel[1]; ++k1) {
      const int64_t i1 = s1 + k1 * p.dilation[1];
      if (i1 < 0 || i1 >= p.in[1]) continue;
      const int64_t row = (i0 * p.in[1] + i1) * p.in[2];
      for (int64_t k2 = 0; k2 < p.kernel[2]; ++k2) {
        fn(k2, row + k2 * p.dilation[2] - p.padding[2]);
      }
    }
  }
}

// One kernel position over a row of windows: window o2 reads src[o2 *
// stride] (at in-plane place first + o2 * stride) and takes it when it is
// larger than the best so far or the window has none yet. kStride 0 means
// `stride`; 1 and 2 are compiled apart so that their loads vectorize.
template <int64_t kStride, typename T, typename K>
void update_row(const T* __restrict src, K first, int64_t stride, int64_t lo,
                int64_t hi, K* __restrict best_key, K* __restrict best) {
  const int64_t st = kStride > 0 ? kStride : stride;
  for (int64_t o2 = lo; o2 < hi; ++o2) {
    const K key = PoolKey<T>::of(src[o2 * st]);
    const K at = first + static_cast<K>(o2 * st);
    // Float keys start below every value's key; integers may equal the
    // start, so an empty window takes its first element whatever it is.
    bool take = key > best_key[o2];
    if constexpr (!std::is_floating_point_v<T>) take = take | (best[o2] < 0);
    best_key[o2] = take ? key : best_key[o2];
    best[o2] = take ? at : best[o2];
  }
}

// The in-plane places of the maxima of one output row's windows (their
// first dims start at s0, s1; padding offsets included): first in window
// order, NaN winning over numbers. Kernel positions go in window order,
// each a branch-free pass over the row (data-dependent branches on random
// values would mispredict half the time).
template <typename T, typename K>
void row_argmax(const T* plane, const PoolPlan& p, int64_t s0, int64_t s1,
                const int64_t* lo, const int64_t* hi, K* best_key, K* best) {
  std::fill(best, best + p.out[2], K{-1});
  std::fill(best_key, best_key + p.out[2], std::numeric_limits<K>::min());
  const int64_t st = p.stride[2];
  for_each_kernel_position(p, s0, s1, [&](int64_t k2, int64_t first) {
    const T* src = plane + first;
    const K at = static_cast<K>(first);
    if (st == 1) {
      update_row<1, T>(src, at, st, lo[k2], hi[k2], best_key, best);
    } else if (st == 2) {
      update_row<2, T>(src, at, st, lo[k2], hi[k2], best_key, best);
    } else {
      update_row<0, T>(src, at, st, lo[k2], hi[k2], best_key, best);
    }
  });
}

// Calls row_fn(plane, o, s0, s1, lo, hi) for every row of windows (o: the
// row's first output in the plane; s0, s1: where its windows start in the
// first two spatial dims), planes in parallel.
template <typename RowFn>
void for_each_row(const PoolPlan& p, const RowFn& row_fn) {
  const int64_t grain = grain_for(p.out_numel * p.kernel_numel);
  parallel_for(0, p.planes, grain, [&](int64_t b, int64_t e) {
    const auto lo = std::make_unique<int64_t[]>(p.kernel[2]);
    const auto hi = std::make_unique<int64_t[]>(p.kernel[2]);
    inside_ranges(p, lo.get(), hi.get());
    for (int64_t plane = b; plane < e; ++plane) {
      int64_t o = 0;
      for (int64_t o0 = 0; o0 < p.out[0]; ++o0) {
        const int64_t s0 = o0 * p.stride[0] - p.padding[0];
        for (int64_t o1 = 0; o1 < p.out[1]; ++o1, o += p.out[2]) {
          const int64_t s1 = o1 * p.stride[1] - p.padding[1];
          row_fn(plane, o, s0, s1, lo.get(), hi.get());
        }
      }
    }
  });
}

// Calls fn(plane, o, argmax) for every window o of every plane.
template <typename T, typename F>
void for_each_window(const T* x, const PoolPlan& p, const F& fn) {
  using K = typename PoolKey<T>::type;
  // Places are K-wide: a 32-bit type's planes must fit in int32.
  FNX_CHECK(p.in_numel <= std::numeric_limits<K>::max(), "max_pool",
            "an image of ", p.in_numel,
            " elements is too large for 32-bit places; use float64");
  static thread_local std::vector<K> scratch;
  for_each_row(p, [&](int64_t plane, int64_t o, int64_t s0, int64_t s1,
                      const int64_t* lo, const int64_t* hi) {
    scratch.resize(static_cast<std::size_t>(2 * p.out[2]));
    K* best_key = scratch.data();
    K* best = best_key + p.out[2];
    row_argmax(x + plane * p.in_numel, p, s0, s1, lo, hi, best_key, best);
    for (int64_t o2 = 0; o2 < p.out[2]; ++o2) {
      fn(plane, o + o2, static_cast<int64_t>(best[o2]));
    }
  });
}

template <typename T>
bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>) {
    return std::isnan(v);
  } else {
    return false;
  }
}

// The maxima of one row of windows into y (plain max pooling needs the
// values only): NaN-propagating, branch-free.
template <typename T>
void row_max(const T* plane, const PoolPlan& p, int64_t s0, int64_t s1,
             const int64_t* lo, const int64_t* hi, T* __restrict y) {
  constexpr T kStart = std::is_floating_point_v<T>
                           ? -std::numeric_limits<T>::infinity()
                           : std::numeric_limits<T>::lowest();
  std::fill(y, y + p.out[2], kStart);
  const int64_t st = p.stride[2];
  for_each_kernel_position(p, s0, s1, [&](int64_t k2, int64_t first) {
    const T* __restrict src = plane + first;
    for (int64_t o2 = lo[k2]; o2 < hi[k2]; ++o2) {
      const T v = src[o2 * st];
      const T m = y[o2];
      y[o2] = (m >= v || is_nan(m)) ? m : v;
    }
  });
}

Tensor max_pool_select_kernel(const OpCall& call, const OutMeta& out) {
  // The same elements twice (max_pool2d, or the batch folded under vmap).
  const Tensor& a = call.inputs[0];
  const Tensor& b = call.inputs[1];
  const bool pooling_itself = byte_ptr(a) == byte_ptr(b) &&
                              a.shape() == b.shape() &&
                              a.strides() == b.strides();
  const Tensor x = contiguous(cast_to(call.inputs[0], out.dtype));
  const Tensor v =
      pooling_itself ? x : contiguous(cast_to(call.inputs[1], out.dtype));
  const PoolPlan p = make_plan(call, x.shape());
  Tensor result = make_result(out);
  if (numel(out.shape) == 0) return result;
  FNX_DISPATCH_ALL_TYPES(out.dtype, [&] {
    using T = scalar_t;
    const T* xp = data_ptr<T>(x);
    T* yp = data_ptr<T>(result);
    if (pooling_itself) {
      // max_pool_select(x, x): the value at the first maximum is the
      // maximum (a NaN if there is one).
      for_each_row(p, [&](int64_t plane, int64_t o, int64_t s0, int64_t s1,
                          const int64_t* lo, const int64_t* hi) {
        row_max(xp + plane * p.in_numel, p, s0, s1, lo, hi,
                yp + plane * p.out_numel + o);
      });
      return;
    }
    const T* vp = data_ptr<T>(v);
    for_each_window(xp, p, [&](int64_t plane, int64_t o, int64_t at) {
      yp[plane * p.out_numel + o] = vp[plane * p.in_numel + at];
    });
  });
  return result;
}

Tensor max_pool_scatter_kernel(const OpCall& call, const OutMeta& out) {
  const Tensor x = contiguous(cast_to(call.inputs[0], out.dtype));
  const Tensor g = contiguous(cast_to(call.inputs[1], out.dtype));
  const PoolPlan p = make_plan(call, x.shape());
  Tensor result = make_result(out);
  const int64_t total = numel(out.shape);
  if (total == 0) return result;
  fill(byte_ptr(result), out.dtype, total, 0);
  FNX_DISPATCH_ALL_TYPES(out.dtype, [&] {
    using T = scalar_t;
    const T* gp = data_ptr<T>(g);
    T* dx = data_ptr<T>(result);
    for_each_window(
        data_ptr<T>(x), p, [&](int64_t plane, int64_t o, int64_t at) {
          dx[plane * p.in_numel + at] += gp[plane * p.out_numel + o];
        });
  });
  return result;
}

}  // namespace

FNX_REGISTER_PLUGIN("cpu") {
  constexpr DeviceType kCpu = DeviceType::CPU;
  r.kernel(kCpu, Prim::MaxPoolSelect, &max_pool_select_kernel);
  r.kernel(kCpu, Prim::MaxPoolScatter, &max_pool_scatter_kernel);
}

}  // namespace fnx::cpu
