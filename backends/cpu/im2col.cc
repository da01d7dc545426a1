#include "backends/cpu/im2col.h"

#include <algorithm>
#include <cstring>

#include "backends/common/scalar_ops.h"
#include "backends/cpu/loops.h"
#include "core/error.h"

namespace fnx::cpu {

bool ConvGeometry::col_is_image() const {
  for (int64_t d = 0; d < spatial(); ++d) {
    if (kernel[d] != 1 || stride[d] != 1 || padding[d] != 0) return false;
  }
  return true;
}

ConvGeometry make_conv_geometry(std::string_view op, int64_t channels,
                                const Shape& in, const Shape& kernel,
                                const Shape& stride, const Shape& padding,
                                const Shape& dilation) {
  const int64_t d = static_cast<int64_t>(in.size());
  FNX_CHECK(d >= 1, op, "needs at least one spatial dim");
  auto per_dim = [&](const Shape& v, int64_t fallback, std::string_view what) {
    if (v.empty()) return Shape(d, fallback);
    FNX_CHECK(static_cast<int64_t>(v.size()) == d, op, what, " ", shape_str(v),
              " must have one entry per spatial dim (", d, ")");
    return v;
  };
  ConvGeometry g;
  g.channels = channels;
  g.in = in;
  g.kernel = per_dim(kernel, 1, "kernel size");
  g.stride = per_dim(stride, 1, "stride");
  g.padding = per_dim(padding, 0, "padding");
  g.dilation = per_dim(dilation, 1, "dilation");
  g.out = Shape(d);
  for (int64_t i = 0; i < d; ++i) {
    FNX_CHECK(g.stride[i] >= 1 && g.dilation[i] >= 1 && g.padding[i] >= 0 &&
                  g.kernel[i] >= 1,
              op, "stride ", shape_str(g.stride), " and dilation ",
              shape_str(g.dilation), " must be >= 1, padding ",
              shape_str(g.padding), " >= 0, kernel ", shape_str(g.kernel),
              " >= 1");
    const int64_t span =
        in[i] + 2 * g.padding[i] - g.dilation[i] * (g.kernel[i] - 1) - 1;
    g.out[i] = span < 0 ? 0 : span / g.stride[i] + 1;
  }
  g.in_numel = numel(g.in);
  g.kernel_numel = numel(g.kernel);
  g.out_numel = numel(g.out);
  return g;
}

namespace {

// visit_row for 2 spatial dims (conv2d, unfold, pooling: the hot case),
// without the generic walk over dims: one bounds check per output row.
template <typename Visit>
void visit_row_2d(const ConvGeometry& g, int64_t kidx, const Visit& visit) {
  const int64_t kh = kidx / g.kernel[1];
  const int64_t kw = kidx % g.kernel[1];
  const int64_t s = g.stride[1];
  const int64_t off = kw * g.dilation[1] - g.padding[1];
  const int64_t n_in = g.in[1];
  const int64_t n_out = g.out[1];
  int64_t hi = n_in - off <= 0 ? 0 : (n_in - off + s - 1) / s;
  hi = std::min(hi, n_out);
  const int64_t lo = std::min(off >= 0 ? 0 : (-off + s - 1) / s, hi);
  const int64_t ih0 = kh * g.dilation[0] - g.padding[0];
  for (int64_t oh = 0; oh < g.out[0]; ++oh) {
    const int64_t ih = ih0 + oh * g.stride[0];
    if (ih >= 0 && ih < g.in[0]) {
      visit(oh, lo, hi, ih * n_in + lo * s + off);
    } else {
      visit(oh, int64_t{0}, int64_t{0}, int64_t{0});
    }
  }
}

// Visits column row (c, kernel index kidx): for each group of output
// positions sharing all but the last spatial index (q = 0, 1, ...) calls
// visit(q, lo, hi, src) where output positions [lo, hi) of the last dim read
// image element src + (o - lo) * stride_last and the rest are padding.
template <typename Visit>
void visit_row(const ConvGeometry& g, int64_t kidx, const Visit& visit) {
  if (g.spatial() == 2) return visit_row_2d(g, kidx, visit);
  const int64_t nd = g.spatial();
  const int64_t last = nd - 1;
  int64_t k[8];
  int64_t in_stride[8];
  int64_t o[8] = {0};
  FNX_CHECK(nd <= 8, "conv", "at most 8 spatial dims are supported, got ", nd);
  for (int64_t d = last, rest = kidx, st = 1; d >= 0; --d) {
    k[d] = rest % g.kernel[d];
    rest /= g.kernel[d];
    in_stride[d] = st;
    st *= g.in[d];
  }
  const int64_t s = g.stride[last];
  const int64_t off = k[last] * g.dilation[last] - g.padding[last];
  const int64_t n_in = g.in[last];
  const int64_t n_out = g.out[last];
  int64_t hi = n_in - off <= 0 ? 0 : (n_in - off + s - 1) / s;
  hi = std::min(hi, n_out);
  const int64_t lo = std::min(off >= 0 ? 0 : (-off + s - 1) / s, hi);
  const int64_t n_outer = n_out == 0 ? 0 : g.out_numel / n_out;
  for (int64_t q = 0; q < n_outer; ++q) {
    bool valid = true;
    int64_t base = 0;
    for (int64_t d = 0; d < last; ++d) {
      const int64_t i =
          o[d] * g.stride[d] + k[d] * g.dilation[d] - g.padding[d];
      valid = valid && i >= 0 && i < g.in[d];
      base += i * in_stride[d];
    }
    if (valid) {
      visit(q, lo, hi, base + lo * s + off);
    } else {
      visit(q, int64_t{0}, int64_t{0}, int64_t{0});
    }
    for (int64_t d = last - 1; d >= 0; --d) {
      if (++o[d] < g.out[d]) break;
      o[d] = 0;
    }
  }
}

}  // namespace

template <typename T>
void im2col_batch(const T* images, int64_t n, const ConvGeometry& g,
                  T pad_value, T* col) {
  const int64_t kk = g.kernel_numel;
  const int64_t p = g.out_numel;
  const int64_t ld = n * p;
  const int64_t n_out = g.out[g.spatial() - 1];
  const int64_t s = g.stride[g.spatial() - 1];
  parallel_for(0, n * g.channels, grain_for(kk * p), [&](int64_t b, int64_t e) {
    for (int64_t item = b; item < e; ++item) {
      const int64_t j = item / g.channels;
      const int64_t c = item % g.channels;
      const T* src_c = images + item * g.in_numel;
      for (int64_t kidx = 0; kidx < kk; ++kidx) {
        T* row = col + (c * kk + kidx) * ld + j * p;
        visit_row(g, kidx, [&](int64_t q, int64_t lo, int64_t hi, int64_t src) {
          T* dst = row + q * n_out;
          for (int64_t i = 0; i < lo; ++i) dst[i] = pad_value;
          const T* in = src_c + src;
          if (s == 1) {
            // Runs are short (an output row): memcpy beats the vectorized
            // loop's scalar remainder.
            if (hi > lo) std::memcpy(dst + lo, in, (hi - lo) * sizeof(T));
          } else {
            for (int64_t i = lo; i < hi; ++i) dst[i] = in[(i - lo) * s];
          }
          for (int64_t i = hi; i < n_out; ++i) dst[i] = pad_value;
        });
      }
    }
  });
}

template <typename T>
void col2im_batch(const T* col, int64_t n, const ConvGeometry& g, T* images) {
  const int64_t kk = g.kernel_numel;
  const int64_t p = g.out_numel;
  const int64_t ld = n * p;
  const int64_t n_out = g.out[g.spatial() - 1];
  const int64_t s = g.stride[g.spatial() - 1];
  parallel_for(0, n * g.channels, grain_for(kk * p), [&](int64_t b, int64_t e) {
    for (int64_t item = b; item < e; ++item) {
      const int64_t j = item / g.channels;
      const int64_t c = item % g.channels;
      T* dst_c = images + item * g.in_numel;
      for (int64_t kidx = 0; kidx < kk; ++kidx) {
        const T* row = col + (c * kk + kidx) * ld + j * p;
        visit_row(g, kidx, [&](int64_t q, int64_t lo, int64_t hi, int64_t dst) {
          const T* src = row + q * n_out;
          T* out = dst_c + dst;
          for (int64_t i = lo; i < hi; ++i) {
            T& v = out[(i - lo) * s];
            v = scalar::AddOp{}(v, src[i]);
          }
        });
      }
    }
  });
}

#define FNX_CPU_INSTANTIATE_IM2COL(T)                                      \
  template void im2col_batch<T>(const T*, int64_t, const ConvGeometry&, T, \
                                T*);                                       \
  template void col2im_batch<T>(const T*, int64_t, const ConvGeometry&, T*);
FNX_CPU_INSTANTIATE_IM2COL(bool)
FNX_CPU_INSTANTIATE_IM2COL(int32_t)
FNX_CPU_INSTANTIATE_IM2COL(int64_t)
FNX_CPU_INSTANTIATE_IM2COL(float)
FNX_CPU_INSTANTIATE_IM2COL(double)
#undef FNX_CPU_INSTANTIATE_IM2COL

}  // namespace fnx::cpu
