// Resampling composites (core/ops/resample.h). Shapes and interpolate's
// source positions are static, so they are computed on the host and enter
// as constant index and weight tensors; grid_sample's positions depend on
// the grid, so they are computed with tensor ops and read with gather.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/ops/ops.h"

namespace fnx {
namespace {

Shape leading(const Tensor& x, int64_t trailing) {
  return Shape(x.shape().begin(), x.shape().end() - trailing);
}

Shape concat(Shape a, const Shape& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// 0, 1, ..., n - 1, then `tail` shifted by n.
Dims identity_then(int64_t n, const Dims& tail) {
  Dims perm;
  for (int64_t i = 0; i < n; ++i) perm.push_back(i);
  for (int64_t t : tail) perm.push_back(n + t);
  return perm;
}

// One spatial dim's source positions for interpolate.
struct Taps {
  std::vector<int64_t> lo, hi;     // neighbours
  std::vector<double> w_lo, w_hi;  // their weights (nearest: 1 and 0)
};

Taps taps_for(int64_t in, int64_t out, bool linear, bool align_corners,
              double scale_factor) {
  Taps t;
  for (int64_t dst = 0; dst < out; ++dst) {
    if (!linear) {
      const double scale =
          scale_factor > 0 ? 1.0 / scale_factor : static_cast<double>(in) / out;
      const int64_t src = std::min<int64_t>(
          static_cast<int64_t>(std::floor(dst * scale)), in - 1);
      t.lo.push_back(src);
      t.hi.push_back(src);
      t.w_lo.push_back(1);
      t.w_hi.push_back(0);
      continue;
    }
    double src;
    if (align_corners) {
      src = out > 1 ? dst * static_cast<double>(in - 1) / (out - 1) : 0;
    } else {
      const double scale =
          scale_factor > 0 ? 1.0 / scale_factor : static_cast<double>(in) / out;
      src = std::max((dst + 0.5) * scale - 0.5, 0.0);
    }
    const int64_t lo = std::min<int64_t>(static_cast<int64_t>(src), in - 1);
    const double frac = src - static_cast<double>(lo);
    t.lo.push_back(lo);
    t.hi.push_back(std::min<int64_t>(lo + 1, in - 1));
    t.w_lo.push_back(1 - frac);
    t.w_hi.push_back(frac);
  }
  return t;
}

// x resampled along dim d (of rank k) by taps: lo and hi rows mixed.
Tensor resample_dim(const Tensor& x, int64_t d, const Taps& t, bool linear) {
  const int64_t out = static_cast<int64_t>(t.lo.size());
  const Device dev = x.device();
  const Tensor lo =
      index_select(x, d, from_vector(t.lo, {out}, DType::Int64, dev));
  if (!linear) return lo;
  const Tensor hi =
      index_select(x, d, from_vector(t.hi, {out}, DType::Int64, dev));
  Shape along(static_cast<size_t>(x.dim() - d), 1);
  along[0] = out;
  const Tensor w_lo = from_vector(t.w_lo, along, x.dtype(), dev);
  const Tensor w_hi = from_vector(t.w_hi, along, x.dtype(), dev);
  return lo * w_lo + hi * w_hi;
}

// torch's base coordinates: n points in [-1, 1], pulled in by (n - 1) / n
// without align_corners (pixel centres); 0 for a single point.
std::vector<double> base_coordinates(int64_t n, bool align_corners) {
  std::vector<double> v(static_cast<size_t>(n), 0.0);
  if (n <= 1) return v;
  const double shrink = align_corners ? 1.0 : static_cast<double>(n - 1) / n;
  for (int64_t i = 0; i < n; ++i) {
    v[i] = (-1.0 + 2.0 * static_cast<double>(i) / (n - 1)) * shrink;
  }
  return v;
}

}  // namespace

Tensor pixel_shuffle(const Tensor& x, int64_t r) {
  FNX_CHECK(r >= 1, "pixel_shuffle", "upscale_factor must be >= 1, got ", r);
  FNX_CHECK(x.dim() >= 3, "pixel_shuffle", "needs (*, C, H, W), got shape ",
            shape_str(x.shape()));
  const int64_t k = x.dim();
  const int64_t c = x.shape()[k - 3], h = x.shape()[k - 2],
                w = x.shape()[k - 1];
  FNX_CHECK(c % (r * r) == 0, "pixel_shuffle", "channels ", c,
            " are not divisible by upscale_factor^2 = ", r * r);
  const Shape lead = leading(x, 3);
  const Tensor split = reshape(x, concat(lead, {c / (r * r), r, r, h, w}));
  const Tensor moved = permute(split, identity_then(k - 3, {0, 3, 1, 4, 2}));
  return reshape(moved, concat(lead, {c / (r * r), h * r, w * r}));
}

Tensor pixel_unshuffle(const Tensor& x, int64_t r) {
  FNX_CHECK(r >= 1, "pixel_unshuffle", "downscale_factor must be >= 1, got ",
            r);
  FNX_CHECK(x.dim() >= 3, "pixel_unshuffle", "needs (*, C, H, W), got shape ",
            shape_str(x.shape()));
  const int64_t k = x.dim();
  const int64_t c = x.shape()[k - 3], h = x.shape()[k - 2],
                w = x.shape()[k - 1];
  FNX_CHECK(h % r == 0 && w % r == 0, "pixel_unshuffle", "height ", h,
            " and width ", w, " must be divisible by downscale_factor ", r);
  const Shape lead = leading(x, 3);
  const Tensor split = reshape(x, concat(lead, {c, h / r, r, w / r, r}));
  const Tensor moved = permute(split, identity_then(k - 3, {0, 2, 4, 1, 3}));
  return reshape(moved, concat(lead, {c * r * r, h / r, w / r}));
}

Tensor interpolate(const Tensor& x, const InterpolateOptions& o) {
  constexpr std::string_view op = "interpolate";
  const int64_t spatial = x.dim() - 2;
  FNX_CHECK(spatial >= 1 && spatial <= 3, op,
            "needs (N, C, *spatial) with 1 to 3 spatial dims, got shape ",
            shape_str(x.shape()));
  const bool linear = o.mode == "linear" || o.mode == "bilinear";
  FNX_CHECK(o.mode == "nearest" || linear, op, "unknown mode '", o.mode,
            "'; use nearest, linear or bilinear");
  FNX_CHECK(o.mode != "linear" || spatial == 1, op,
            "mode linear needs a 3-d input (N, C, L), got shape ",
            shape_str(x.shape()));
  FNX_CHECK(o.mode != "bilinear" || spatial == 2, op,
            "mode bilinear needs a 4-d input (N, C, H, W), got shape ",
            shape_str(x.shape()));
  FNX_CHECK(linear || !o.align_corners, op,
            "align_corners applies to the linear modes only, not nearest");
  FNX_CHECK(o.size.empty() != o.scale_factor.empty(), op,
            "give exactly one of size and scale_factor");
  const size_t n = static_cast<size_t>(spatial);
  FNX_CHECK(o.size.empty() || o.size.size() == n, op, "size has ",
            o.size.size(), " values for ", spatial, " spatial dims");
  FNX_CHECK(o.scale_factor.empty() || o.scale_factor.size() == 1 ||
                o.scale_factor.size() == n,
            op, "scale_factor has ", o.scale_factor.size(), " values for ",
            spatial, " spatial dims");
  Tensor out = x;
  for (size_t i = 0; i < n; ++i) {
    const int64_t d = static_cast<int64_t>(i) + 2;
    const int64_t in = x.shape()[d];
    double factor = 0;
    int64_t size;
    if (o.size.empty()) {
      factor =
          o.scale_factor.size() == 1 ? o.scale_factor[0] : o.scale_factor[i];
      FNX_CHECK(factor > 0, op, "scale_factor must be > 0, got ", factor);
      size = static_cast<int64_t>(std::floor(in * factor));
    } else {
      size = o.size[i];
    }
    FNX_CHECK(size > 0 && in > 0, op, "spatial sizes must be > 0 (input ",
              shape_str(x.shape()), ", output size ", size, ")");
    out = resample_dim(
        out, d, taps_for(in, size, linear, o.align_corners, factor), linear);
  }
  return out;
}

Tensor affine_grid(const Tensor& theta, const Shape& size, bool align_corners) {
  constexpr std::string_view op = "affine_grid";
  FNX_CHECK(size.size() == 4, op, "size must be {N, C, H, W}, got ",
            shape_str(size));
  const int64_t n = size[0], h = size[2], w = size[3];
  FNX_CHECK(theta.dim() == 3 && theta.shape()[0] == n &&
                theta.shape()[1] == 2 && theta.shape()[2] == 3,
            op, "theta must be (N, 2, 3) with N = ", n, ", got ",
            shape_str(theta.shape()));
  const std::vector<double> xs = base_coordinates(w, align_corners);
  const std::vector<double> ys = base_coordinates(h, align_corners);
  std::vector<double> base;
  for (int64_t i = 0; i < h; ++i) {
    for (int64_t j = 0; j < w; ++j) {
      base.insert(base.end(), {xs[j], ys[i], 1.0});
    }
  }
  const Tensor b =
      from_vector(base, {1, h * w, 3}, theta.dtype(), theta.device());
  return reshape(matmul(b, transpose(theta, 1, 2)), {n, h, w, 2});
}

Tensor grid_sample(const Tensor& x, const Tensor& grid,
                   const GridSampleOptions& o) {
  constexpr std::string_view op = "grid_sample";
  FNX_CHECK(x.dim() == 4, op, "input must be (N, C, H, W), got shape ",
            shape_str(x.shape()));
  FNX_CHECK(grid.dim() == 4 && grid.shape()[0] == x.shape()[0] &&
                grid.shape()[3] == 2,
            op, "grid must be (N, Ho, Wo, 2) with the input's N, got shape ",
            shape_str(grid.shape()), " for input ", shape_str(x.shape()));
  FNX_CHECK(o.mode == "bilinear" || o.mode == "nearest", op, "unknown mode '",
            o.mode, "'; use bilinear or nearest");
  FNX_CHECK(o.padding_mode == "zeros" || o.padding_mode == "border", op,
            "unknown padding_mode '", o.padding_mode, "'; use zeros or border");
  const int64_t n = x.shape()[0], c = x.shape()[1], h = x.shape()[2],
                w = x.shape()[3];
  const int64_t ho = grid.shape()[1], wo = grid.shape()[2];
  // Pixel coordinates (torch's grid_sampler_unnormalize, then clipping).
  auto pixel = [&](const Tensor& g, int64_t size) {
    Tensor p = o.align_corners
                   ? (g + 1.0) * (0.5 * (size - 1))
                   : ((g + 1.0) * static_cast<double>(size) - 1.0) * 0.5;
    if (o.padding_mode == "border") {
      p = clamp(p, 0.0, static_cast<double>(size - 1));
    }
    return p;
  };
  const Tensor ix = pixel(select(grid, 3, 0), w);
  const Tensor iy = pixel(select(grid, 3, 1), h);
  const Tensor flat = reshape(x, {n, c, h * w});
  // weight * x[yy, xx], 0 where (yy, xx) falls outside the input.
  auto corner = [&](const Tensor& yy, const Tensor& xx, const Tensor& weight) {
    const Tensor inside = logical_and(
        logical_and(xx >= scalar_like(0, xx),
                    xx <= scalar_like(static_cast<double>(w - 1), xx)),
        logical_and(yy >= scalar_like(0, yy),
                    yy <= scalar_like(static_cast<double>(h - 1), yy)));
    const Tensor index = cast(
        where(inside, yy * static_cast<double>(w) + xx, 0.0), DType::Int64);
    const Tensor picked = gather(
        flat, 2, expand(reshape(index, {n, 1, ho * wo}), {n, c, ho * wo}));
    return reshape(picked, {n, c, ho, wo}) *
           unsqueeze(where(inside, weight, 0.0), 1);
  };
  if (o.mode == "nearest") {
    return corner(round(iy), round(ix), ones_like(ix));
  }
  const Tensor x0 = floor(ix), y0 = floor(iy);
  const Tensor x1 = x0 + 1.0, y1 = y0 + 1.0;
  const Tensor wx1 = ix - x0, wy1 = iy - y0;
  const Tensor wx0 = 1.0 - wx1, wy0 = 1.0 - wy1;
  return corner(y0, x0, wy0 * wx0) + corner(y0, x1, wy0 * wx1) +
         corner(y1, x0, wy1 * wx0) + corner(y1, x1, wy1 * wx1);
}

}  // namespace fnx
