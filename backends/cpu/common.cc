#include "backends/cpu/common.h"

#include <algorithm>
#include <cstring>

#include "backends/cpu/loops.h"

namespace fnx::cpu {

Strides broadcast_strides(const Tensor& t, const Shape& shape) {
  return fnx::broadcast_strides(t.shape(), t.strides(), shape);
}

namespace {

template <typename To, typename From>
void copy_run(char* dst, int64_t ds, const char* src, int64_t ss, int64_t n) {
  if (ds == sizeof(To) && ss == sizeof(From)) {
    To* d = reinterpret_cast<To*>(dst);
    const From* s = reinterpret_cast<const From*>(src);
    if constexpr (std::is_same_v<To, From>) {
      std::memcpy(d, s, n * sizeof(To));
    } else {
      for (int64_t i = 0; i < n; ++i) d[i] = scalar::convert<To>(s[i]);
    }
  } else if (ds == sizeof(To) && ss == 0) {
    To* d = reinterpret_cast<To*>(dst);
    const To v = scalar::convert<To>(*reinterpret_cast<const From*>(src));
    for (int64_t i = 0; i < n; ++i) d[i] = v;
  } else {
    for (int64_t i = 0; i < n; ++i) {
      *reinterpret_cast<To*>(dst + i * ds) =
          scalar::convert<To>(*reinterpret_cast<const From*>(src + i * ss));
    }
  }
}

// A copy whose destination is contiguous along the last dim and whose
// source is contiguous along dim `d` (a transpose, possibly batched): done
// in square tiles so both sides stay in cache.
template <typename To, typename From>
void tiled_transpose_copy(const LoopPlan<2>& plan, int d, char* dst,
                          const char* src) {
  constexpr int64_t kTile = 32;
  const int nd = plan.ndim();
  const int64_t rows = plan.sizes[d];
  const int64_t cols = plan.sizes[nd - 1];
  const int64_t drs = plan.strides[0][d] / int64_t{sizeof(To)};
  const int64_t scs = plan.strides[1][nd - 1] / int64_t{sizeof(From)};
  Shape outer_sizes;
  Strides outer_dst, outer_src;  // bytes
  for (int k = 0; k < nd - 1; ++k) {
    if (k == d) continue;
    outer_sizes.push_back(plan.sizes[k]);
    outer_dst.push_back(plan.strides[0][k]);
    outer_src.push_back(plan.strides[1][k]);
  }
  const int64_t n_outer = numel(outer_sizes);
  const int64_t n_outer_dims = static_cast<int64_t>(outer_sizes.size());
  const int64_t row_tiles = (rows + kTile - 1) / kTile;
  parallel_for(
      0, n_outer * row_tiles, grain_for(kTile * cols),
      [&](int64_t b, int64_t e) {
        for (int64_t item = b; item < e; ++item) {
          const int64_t o = item / row_tiles;
          const int64_t r0 = (item % row_tiles) * kTile;
          const int64_t r1 = std::min(rows, r0 + kTile);
          To* dbase = reinterpret_cast<To*>(
              dst + offset_of(o, outer_sizes, outer_dst, n_outer_dims));
          const From* sbase = reinterpret_cast<const From*>(
              src + offset_of(o, outer_sizes, outer_src, n_outer_dims));
          for (int64_t c0 = 0; c0 < cols; c0 += kTile) {
            const int64_t c1 = std::min(cols, c0 + kTile);
            for (int64_t r = r0; r < r1; ++r) {
              To* drow = dbase + r * drs;
              const From* scol = sbase + r;
              for (int64_t c = c0; c < c1; ++c) {
                drow[c] = scalar::convert<To>(scol[c * scs]);
              }
            }
          }
        }
      });
}

// The dim (other than the last) along which the source is contiguous when
// the destination is contiguous along the last dim and the source is not;
// -1 when the plain row loop is as good.
int transpose_dim(const LoopPlan<2>& plan, int64_t dst_item, int64_t src_item) {
  const int nd = plan.ndim();
  if (nd < 2 || plan.strides[0][nd - 1] != dst_item ||
      plan.strides[1][nd - 1] == src_item || plan.strides[1][nd - 1] == 0 ||
      plan.sizes[nd - 1] < 8) {
    return -1;
  }
  for (int k = nd - 2; k >= 0; --k) {
    if (plan.strides[1][k] == src_item && plan.sizes[k] >= 8) return k;
  }
  return -1;
}

}  // namespace

void strided_copy(const Shape& shape, void* dst, DType dst_dtype,
                  const Strides& dst_strides, const void* src, DType src_dtype,
                  const Strides& src_strides) {
  const int64_t dst_item = static_cast<int64_t>(itemsize(dst_dtype));
  const int64_t src_item = static_cast<int64_t>(itemsize(src_dtype));
  const auto plan =
      make_plan<2>(shape, {&dst_strides, &src_strides}, {dst_item, src_item});
  if (plan.numel == 0) return;
  const std::array<char*, 2> base = {
      static_cast<char*>(dst), static_cast<char*>(const_cast<void*>(src))};
  const int tdim = transpose_dim(plan, dst_item, src_item);
  FNX_DISPATCH_ALL_TYPES(dst_dtype, [&] {
    using To = scalar_t;
    FNX_DISPATCH_ALL_TYPES(src_dtype, [&] {
      using From = scalar_t;
      if (tdim >= 0) {
        tiled_transpose_copy<To, From>(plan, tdim, base[0], base[1]);
        return;
      }
      run_plan(
          plan, base,
          [](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s,
             int64_t n) { copy_run<To, From>(p[0], s[0], p[1], s[1], n); });
    });
  });
}

Tensor contiguous_copy(const Tensor& t, DType dtype) {
  Tensor out = empty(t.shape(), dtype, t.device());
  strided_copy(t.shape(), byte_ptr(out), dtype, contiguous_strides(t.shape()),
               byte_ptr(t), t.dtype(), t.strides());
  return out;
}

Tensor contiguous_copy(const Tensor& t) {
  return contiguous_copy(t, t.dtype());
}

Tensor contiguous(const Tensor& t) {
  return t.is_contiguous() ? t : contiguous_copy(t);
}

Tensor cast_to(const Tensor& t, DType dtype) {
  return t.dtype() == dtype ? t : contiguous_copy(t, dtype);
}

void fill(void* dst, DType dtype, int64_t n, double value) {
  FNX_DISPATCH_ALL_TYPES(dtype, [&] {
    const scalar_t v = scalar::convert<scalar_t>(value);
    scalar_t* d = static_cast<scalar_t*>(dst);
    parallel_for(0, n, kGrainSize, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) d[i] = v;
    });
  });
}

}  // namespace fnx::cpu
