// The max-pooling primitives. MaxPoolSelect(x, v): for every window, v at
// the place of x's maximum. MaxPoolScatter(x, g): g added at those places
// of a zero tensor of x's shape. The place is the first maximum in window
// order (row-major over the kernel), a NaN counting as the maximum; padding
// is never chosen (the shape rule makes sure every window touches the
// input). Both run over (N, C) as N * C independent planes, in parallel
// across planes, so the scatter's sums are serial per plane: deterministic.
#include <cmath>
#include <type_traits>

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

template <typename T>
bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>) {
    return std::isnan(v);
  } else {
    return false;
  }
}

// The in-plane index of window o's maximum: first in window order, NaN
// wins over numbers.
template <typename T>
int64_t window_argmax(const T* plane, const PoolPlan& p, int64_t o) {
  const int64_t o2 = o % p.out[2];
  const int64_t o1 = (o / p.out[2]) % p.out[1];
  const int64_t o0 = o / (p.out[2] * p.out[1]);
  int64_t best = -1;
  T best_value{};
  for (int64_t k0 = 0; k0 < p.kernel[0]; ++k0) {
    const int64_t i0 = o0 * p.stride[0] - p.padding[0] + k0 * p.dilation[0];
    if (i0 < 0 || i0 >= p.in[0]) continue;
    for (int64_t k1 = 0; k1 < p.kernel[1]; ++k1) {
      const int64_t i1 = o1 * p.stride[1] - p.padding[1] + k1 * p.dilation[1];
      if (i1 < 0 || i1 >= p.in[1]) continue;
      for (int64_t k2 = 0; k2 < p.kernel[2]; ++k2) {
        const int64_t i2 = o2 * p.stride[2] - p.padding[2] + k2 * p.dilation[2];
        if (i2 < 0 || i2 >= p.in[2]) continue;
        const int64_t at = (i0 * p.in[1] + i1) * p.in[2] + i2;
        const T v = plane[at];
        // A NaN replaces a number; nothing replaces a NaN.
        if (best < 0 || v > best_value || (is_nan(v) && !is_nan(best_value))) {
          best = at;
          best_value = v;
        }
      }
    }
  }
  return best;
}

// Calls fn(plane, o, argmax) for every window of every plane, planes in
// parallel.
template <typename T, typename F>
void for_each_window(const T* x, const PoolPlan& p, const F& fn) {
  const int64_t grain = grain_for(p.out_numel * p.kernel_numel);
  parallel_for(0, p.planes, grain, [&](int64_t b, int64_t e) {
    for (int64_t plane = b; plane < e; ++plane) {
      const T* xp = x + plane * p.in_numel;
      for (int64_t o = 0; o < p.out_numel; ++o) {
        fn(plane, o, window_argmax(xp, p, o));
      }
    }
  });
}

Tensor max_pool_select_kernel(const OpCall& call, const OutMeta& out) {
  const Tensor x = contiguous(cast_to(call.inputs[0], out.dtype));
  const Tensor v = contiguous(cast_to(call.inputs[1], out.dtype));
  const PoolPlan p = make_plan(call, x.shape());
  Tensor result = make_result(out);
  if (numel(out.shape) == 0) return result;
  FNX_DISPATCH_ALL_TYPES(out.dtype, [&] {
    using T = scalar_t;
    const T* vp = data_ptr<T>(v);
    T* yp = data_ptr<T>(result);
    for_each_window(data_ptr<T>(x), p,
                    [&](int64_t plane, int64_t o, int64_t at) {
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
