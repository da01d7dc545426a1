// Reductions over dims: Sum, Amax, Amin (NaN-propagating) and
// Argmax/Argmin over one dim (first occurrence wins, NaN counts as the
// extreme). Float sums accumulate in double, integer sums in int64.
//
// The input's dims split into kept dims (one result element per index) and
// reduced dims. When the innermost kept dim is the fastest in memory
// ("vertical": e.g. summing a matrix over its rows) the kernel accumulates
// tiles of adjacent results at once; otherwise ("horizontal") each result
// reduces its own runs of memory, and a reduction to very few results is
// split into fixed-size chunks whose partial results merge in order (so the
// answer does not depend on the thread count).
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "backends/common/reduce_split.h"
#include "backends/common/scalar_ops.h"
#include "backends/cpu/common.h"
#include "backends/cpu/loops.h"
#include "core/registry.h"

namespace fnx::cpu {
namespace {

enum class ReduceKind { Sum, Max, Min };

template <ReduceKind K, typename T>
struct Reducer {
  using Acc = std::conditional_t<
      K == ReduceKind::Sum,
      std::conditional_t<std::is_floating_point_v<T>, double, int64_t>, T>;

  static Acc init() {
    if constexpr (K == ReduceKind::Sum) {
      return Acc(0);
    } else if constexpr (std::is_floating_point_v<T>) {
      return K == ReduceKind::Max ? -std::numeric_limits<T>::infinity()
                                  : std::numeric_limits<T>::infinity();
    } else {
      return K == ReduceKind::Max ? std::numeric_limits<T>::lowest()
                                  : std::numeric_limits<T>::max();
    }
  }
  static Acc merge(Acc a, Acc b) {
    if constexpr (K == ReduceKind::Sum) {
      return scalar::AddOp{}(a, b);
    } else if constexpr (K == ReduceKind::Max) {
      return scalar::MaximumOp{}(a, b);
    } else {
      return scalar::MinimumOp{}(a, b);
    }
  }
  static Acc step(Acc acc, T x) { return merge(acc, static_cast<Acc>(x)); }
};

// Reduces n elements at byte stride `stride` (independent lanes over
// contiguous data so the loop pipelines and vectorizes).
template <typename R, typename T>
typename R::Acc reduce_run(const char* p, int64_t stride, int64_t n) {
  using Acc = typename R::Acc;
  Acc acc = R::init();
  if (stride == sizeof(T)) {
    const T* x = reinterpret_cast<const T*>(p);
    constexpr int kLanes = 8;
    Acc lanes[kLanes];
    for (auto& l : lanes) l = R::init();
    int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes) {
      for (int j = 0; j < kLanes; ++j) lanes[j] = R::step(lanes[j], x[i + j]);
    }
    for (int j = 0; j < kLanes; ++j) acc = R::merge(acc, lanes[j]);
    for (; i < n; ++i) acc = R::step(acc, x[i]);
    return acc;
  }
  for (int64_t i = 0; i < n; ++i) {
    acc = R::step(acc, *reinterpret_cast<const T*>(p + i * stride));
  }
  return acc;
}

using Split = ReduceSplit;  // backends/common/reduce_split.h

Split split_dims(const Tensor& x, const Dims& dims) {
  return split_reduction(x.shape(), x.strides(), dims);
}

template <ReduceKind K, typename T, typename Out>
void reduce_impl(const Tensor& x, const Split& s, Out* out, int64_t n_out) {
  using R = Reducer<K, T>;
  using Acc = typename R::Acc;
  const char* base = byte_ptr(x);
  const int64_t n_red = s.n_red;
  const auto rplan = make_plan<1>(s.red_sizes, {&s.red_strides}, {sizeof(T)});
  const int64_t nk = static_cast<int64_t>(s.kept_sizes.size());
  auto reduce_range = [&](const char* p, int64_t b, int64_t e) {
    Acc acc = R::init();
    run_plan_range<1>(rplan, {const_cast<char*>(p)}, b, e,
                      [&](const std::array<char*, 1>& q,
                          const std::array<int64_t, 1>& st, int64_t len) {
                        acc = R::merge(acc, reduce_run<R, T>(q[0], st[0], len));
                      });
    return acc;
  };
  int64_t min_red_stride = std::numeric_limits<int64_t>::max();
  for (int64_t st : s.red_strides)
    min_red_stride = std::min(min_red_stride, std::abs(st));
  const bool vertical = nk > 0 && !s.red_sizes.empty() &&
                        std::abs(s.kept_strides.back()) < min_red_stride;
  if (vertical) {
    constexpr int64_t kTile = 256;
    const int64_t inner = s.kept_sizes.back();
    const int64_t ks = s.kept_strides.back();
    const int64_t n_tiles = (inner + kTile - 1) / kTile;
    const int64_t n_outer = n_out / inner;
    parallel_for(
        0, n_outer * n_tiles, grain_for(kTile * n_red),
        [&](int64_t b, int64_t e) {
          Acc acc[kTile];
          for (int64_t item = b; item < e; ++item) {
            const int64_t outer = item / n_tiles;
            const int64_t j0 = (item % n_tiles) * kTile;
            const int64_t len = std::min(kTile, inner - j0);
            const T* p =
                reinterpret_cast<const T*>(base) +
                offset_of(outer, s.kept_sizes, s.kept_strides, nk - 1) +
                j0 * ks;
            std::fill(acc, acc + len, R::init());
            run_plan_range<1>(
                rplan, {reinterpret_cast<char*>(const_cast<T*>(p))}, 0, n_red,
                [&](const std::array<char*, 1>& q,
                    const std::array<int64_t, 1>& st, int64_t runs) {
                  for (int64_t r = 0; r < runs; ++r) {
                    const T* row = reinterpret_cast<const T*>(q[0] + r * st[0]);
                    if (ks == 1) {
                      for (int64_t j = 0; j < len; ++j)
                        acc[j] = R::step(acc[j], row[j]);
                    } else {
                      for (int64_t j = 0; j < len; ++j)
                        acc[j] = R::step(acc[j], row[j * ks]);
                    }
                  }
                });
            Out* o = out + outer * inner + j0;
            for (int64_t j = 0; j < len; ++j)
              o[j] = scalar::convert<Out>(acc[j]);
          }
        });
    return;
  }
  const int64_t item = sizeof(T);
  if (n_out >= max_threads() || n_red < 2 * kGrainSize) {
    parallel_for(0, n_out, grain_for(n_red), [&](int64_t b, int64_t e) {
      for (int64_t o = b; o < e; ++o) {
        const char* p =
            base + offset_of(o, s.kept_sizes, s.kept_strides, nk) * item;
        out[o] = scalar::convert<Out>(reduce_range(p, 0, n_red));
      }
    });
    return;
  }
  // Few results, long reductions: fixed-size chunks in parallel.
  const int64_t n_chunks = (n_red + kGrainSize - 1) / kGrainSize;
  std::vector<Acc> partial(n_chunks);
  for (int64_t o = 0; o < n_out; ++o) {
    const char* p =
        base + offset_of(o, s.kept_sizes, s.kept_strides, nk) * item;
    parallel_for(0, n_chunks, 1, [&](int64_t b, int64_t e) {
      for (int64_t c = b; c < e; ++c) {
        partial[c] = reduce_range(p, c * kGrainSize,
                                  std::min(n_red, (c + 1) * kGrainSize));
      }
    });
    Acc acc = R::init();
    for (const Acc& v : partial) acc = R::merge(acc, v);
    out[o] = scalar::convert<Out>(acc);
  }
}

template <ReduceKind K>
Tensor reduce_kernel(const OpCall& call, const OutMeta& out) {
  const Tensor& x = call.inputs[0];
  const auto& attrs = call.attr<ReduceAttrs>();
  Tensor result = make_result(out);
  const int64_t n_out = numel(out.shape);
  if (n_out == 0) return result;
  const Split s = split_dims(x, attrs.dims);
  FNX_CHECK(n_out * s.n_red == x.numel(), call.name(), "result shape ",
            shape_str(out.shape), " does not match reducing ",
            shape_str(x.shape()));
  if (s.n_red == 0) {
    FNX_CHECK(K == ReduceKind::Sum, call.name(),
              "cannot reduce over a zero-size dim of a tensor of shape ",
              shape_str(x.shape()), " (the reduction has no identity)");
    fill(byte_ptr(result), out.dtype, n_out, 0);
    return result;
  }
  FNX_DISPATCH_ALL_TYPES(x.dtype(), [&] {
    using T = scalar_t;
    FNX_DISPATCH_ALL_TYPES(out.dtype, [&] {
      reduce_impl<K, T>(x, s, data_ptr<scalar_t>(result), n_out);
    });
  });
  return result;
}

template <bool kMax>
Tensor arg_kernel(const OpCall& call, const OutMeta& out) {
  const Tensor& x = call.inputs[0];
  const auto& attrs = call.attr<ReduceAttrs>();
  FNX_CHECK(out.dtype == DType::Int64, call.name(), "result must be int64");
  Tensor result = make_result(out);
  int64_t* o = data_ptr<int64_t>(result);
  const int64_t n_out = numel(out.shape);
  if (n_out == 0) return result;
  if (x.dim() == 0) {
    *o = 0;
    return result;
  }
  FNX_CHECK(attrs.dims.size() == 1, call.name(), "expects exactly one dim");
  const int64_t dim = attrs.dims[0];
  const int64_t n = x.shape()[dim];
  FNX_CHECK(n > 0, call.name(), "cannot reduce over dim ", dim,
            " of size 0 (shape ", shape_str(x.shape()),
            "); the result would be undefined");
  const int64_t sd = x.strides()[dim];
  const Split s = split_dims(x, Dims{dim});
  const int64_t nk = static_cast<int64_t>(s.kept_sizes.size());
  FNX_DISPATCH_ALL_TYPES(x.dtype(), [&] {
    using T = scalar_t;
    const T* base = data_ptr<T>(x);
    parallel_for(0, n_out, grain_for(n), [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) {
        const T* p = base + offset_of(i, s.kept_sizes, s.kept_strides, nk);
        T best = p[0];
        int64_t best_i = 0;
        bool is_nan = false;
        if constexpr (std::is_floating_point_v<T>) is_nan = std::isnan(best);
        for (int64_t j = 1; j < n && !is_nan; ++j) {
          const T v = p[j * sd];
          if constexpr (std::is_floating_point_v<T>) {
            if (std::isnan(v)) {
              best_i = j;
              break;
            }
          }
          if (kMax ? v > best : v < best) {
            best = v;
            best_i = j;
          }
        }
        o[i] = best_i;
      }
    });
  });
  return result;
}

}  // namespace

FNX_REGISTER_PLUGIN("cpu") {
  constexpr DeviceType kCpu = DeviceType::CPU;
  r.kernel(kCpu, Prim::Sum, &reduce_kernel<ReduceKind::Sum>);
  r.kernel(kCpu, Prim::Amax, &reduce_kernel<ReduceKind::Max>);
  r.kernel(kCpu, Prim::Amin, &reduce_kernel<ReduceKind::Min>);
  r.kernel(kCpu, Prim::Argmax, &arg_kernel<true>);
  r.kernel(kCpu, Prim::Argmin, &arg_kernel<false>);
}

}  // namespace fnx::cpu
