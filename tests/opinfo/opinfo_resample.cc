// Resampling functions (core/ops/resample.h): pixel_shuffle,
// pixel_unshuffle, interpolate (nearest, linear, bilinear; align_corners;
// size or scale_factor), affine_grid, grid_sample (bilinear, nearest;
// zeros, border). References loop over output elements with torch's index
// formulas written out again in plain float64 C++ (bilinear as four taps,
// not the composite's two separable passes).
#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include "tests/opinfo/opinfo_util.h"

namespace fnx::opinfo {
namespace {

using Samples = std::vector<SampleInput>;

OpInfo resample_entry(std::string name, std::vector<int> diff_args) {
  OpInfo info;
  info.name = std::move(name);
  info.family = "nn";
  info.impl = Impl::kComposite;
  info.dtypes = floating_dtypes();
  info.diff_args = std::move(diff_args);
  info.needs_scalar = false;
  return info;
}

// ---- pixel_shuffle / pixel_unshuffle: (N, C r^2, H, W) <-> (N, C, Hr, Wr)
Nd shuffle_ref(const Nd& x, int64_t r, bool up) {
  const int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
  const Shape out_shape = up ? Shape{n, c / (r * r), h * r, w * r}
                             : Shape{n, c * r * r, h / r, w / r};
  Nd y = full_nd(out_shape, 0, x.dtype);
  // Walk the large (shuffled) side: element (b, k, hh, ww) there is channel
  // k r^2 + (hh % r) r + ww % r at (hh / r, ww / r) on the small side.
  const Shape big = up ? out_shape : x.shape;
  for (int64_t i = 0; i < count(big); ++i) {
    const Index at = unravel(i, big);
    const Index small = {at[0], at[1] * r * r + (at[2] % r) * r + at[3] % r,
                         at[2] / r, at[3] / r};
    if (up) {
      y[at] = x[small];
    } else {
      y[small] = x[at];
    }
  }
  return y;
}

// ---- interpolate ----
struct Tap {
  int64_t lo, hi;
  double w_hi;
};

Tap tap_ref(int64_t dst, int64_t in, int64_t out, bool linear, bool align,
            double factor) {
  const double scale = factor > 0 ? 1 / factor : double(in) / double(out);
  if (!linear) {
    const int64_t s =
        std::min<int64_t>(int64_t(std::floor(dst * scale)), in - 1);
    return {s, s, 0};
  }
  double src = align ? (out > 1 ? dst * double(in - 1) / double(out - 1) : 0)
                     : std::max(scale * (dst + 0.5) - 0.5, 0.0);
  const int64_t lo = std::min<int64_t>(int64_t(src), in - 1);
  return {lo, std::min(lo + 1, in - 1), src - double(lo)};
}

Nd interpolate_ref(const Nd& x, const Shape& size, double factor, bool linear,
                   bool align) {
  Shape out_shape = {x.shape[0], x.shape[1]};
  for (size_t i = 2; i < x.shape.size(); ++i) {
    out_shape.push_back(size.empty() ? int64_t(std::floor(x.shape[i] * factor))
                                     : size[i - 2]);
  }
  Nd y = full_nd(out_shape, 0, x.dtype);
  const size_t k = x.shape.size() - 2;
  for (int64_t i = 0; i < count(out_shape); ++i) {
    const Index at = unravel(i, out_shape);
    std::vector<Tap> taps;
    for (size_t d = 0; d < k; ++d) {
      taps.push_back(tap_ref(at[d + 2], x.shape[d + 2], out_shape[d + 2],
                             linear, align, size.empty() ? factor : 0));
    }
    double v = 0;
    for (int corner = 0; corner < (1 << k); ++corner) {
      Index src = {at[0], at[1]};
      double weight = 1;
      for (size_t d = 0; d < k; ++d) {
        const bool hi = (corner >> d) & 1;
        src.push_back(hi ? taps[d].hi : taps[d].lo);
        weight *= hi ? taps[d].w_hi : 1 - taps[d].w_hi;
      }
      if (weight != 0) v += weight * x[src];
    }
    y[at] = v;
  }
  return y;
}

// ---- affine_grid / grid_sample ----
double base_ref(int64_t i, int64_t n, bool align) {
  if (n <= 1) return 0;
  const double v = -1 + 2.0 * double(i) / double(n - 1);
  return align ? v : v * double(n - 1) / double(n);
}

Nd affine_grid_ref(const Nd& theta, int64_t h, int64_t w, bool align) {
  const int64_t n = theta.shape[0];
  Nd g = full_nd({n, h, w, 2}, 0, theta.dtype);
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t i = 0; i < h; ++i) {
      for (int64_t j = 0; j < w; ++j) {
        const double base[3] = {base_ref(j, w, align), base_ref(i, h, align),
                                1};
        for (int64_t r = 0; r < 2; ++r) {
          double s = 0;
          for (int64_t q = 0; q < 3; ++q) s += theta[{b, r, q}] * base[q];
          g[{b, i, j, r}] = s;
        }
      }
    }
  }
  return g;
}

Nd grid_sample_ref(const Nd& x, const Nd& grid, bool nearest, bool border,
                   bool align) {
  const int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
  const int64_t ho = grid.shape[1], wo = grid.shape[2];
  Nd y = full_nd({n, c, ho, wo}, 0, x.dtype);
  auto pixel = [&](double g, int64_t size) {
    double p = align ? (g + 1) / 2 * double(size - 1)
                     : ((g + 1) * double(size) - 1) / 2;
    if (border) p = std::clamp(p, 0.0, double(size - 1));
    return p;
  };
  auto at = [&](int64_t b, int64_t ch, int64_t yy, int64_t xx) {
    return yy < 0 || yy >= h || xx < 0 || xx >= w ? 0.0 : x[{b, ch, yy, xx}];
  };
  for (int64_t b = 0; b < n; ++b) {
    for (int64_t i = 0; i < ho; ++i) {
      for (int64_t j = 0; j < wo; ++j) {
        const double px = pixel(grid[{b, i, j, 0}], w);
        const double py = pixel(grid[{b, i, j, 1}], h);
        for (int64_t ch = 0; ch < c; ++ch) {
          double v;
          if (nearest) {
            v = at(b, ch, int64_t(std::nearbyint(py)),
                   int64_t(std::nearbyint(px)));
          } else {
            const int64_t x0 = int64_t(std::floor(px));
            const int64_t y0 = int64_t(std::floor(py));
            const double fx = px - double(x0), fy = py - double(y0);
            v = at(b, ch, y0, x0) * (1 - fy) * (1 - fx) +
                at(b, ch, y0, x0 + 1) * (1 - fy) * fx +
                at(b, ch, y0 + 1, x0) * fy * (1 - fx) +
                at(b, ch, y0 + 1, x0 + 1) * fy * fx;
          }
          y[{b, ch, i, j}] = v;
        }
      }
    }
  }
  return y;
}

// A grid of (x, y) uniform in +-1.15: some points fall outside the input.
Tensor make_grid(const Shape& shape, DType dtype, Generator& gen) {
  return rand(shape, dtype, &gen) * 2.3 - 1.15;
}

}  // namespace

void add_resample_ops(std::vector<OpInfo>& db) {
  for (bool up : {true, false}) {
    OpInfo info = resample_entry(up ? "pixel_shuffle" : "pixel_unshuffle", {0});
    info.op = [up](const TensorList& in) {
      return up ? pixel_shuffle(in.at(0), 2) : pixel_unshuffle(in.at(0), 2);
    };
    info.reference = [up](const TensorList& in) {
      return shuffle_ref(read(in.at(0)), 2, up);
    };
    info.samples = [up](DType dtype, Generator& gen) {
      Samples v;
      const Shape basic = up ? Shape{2, 8, 3, 2} : Shape{2, 3, 4, 6};
      v.push_back(sample({make(basic, dtype, gen)}, {"basic"}));
      v.push_back(sample({make_noncontig(basic, dtype, gen)}, {"noncontig"}));
      v.push_back(
          sample({make(up ? Shape{0, 4, 2, 2} : Shape{0, 1, 2, 2}, dtype, gen)},
                 {"zero-size"}));
      return v;
    };
    info.is_view = false;
    db.push_back(std::move(info));
  }

  // interpolate: (mode, align_corners, size or factor) per sample.
  struct Case {
    std::string mode;
    bool align;
    Shape input, size;
    double factor;
  };
  const std::vector<Case> cases = {
      {"nearest", false, {2, 3, 5}, {8}, 0},
      {"nearest", false, {2, 2, 4, 5}, {}, 1.5},
      {"nearest", false, {1, 2, 6, 7}, {3, 4}, 0},
      {"nearest", false, {1, 1, 2, 3, 2}, {3, 2, 4}, 0},
      {"linear", false, {2, 3, 5}, {9}, 0},
      {"linear", true, {2, 3, 5}, {9}, 0},
      {"linear", false, {2, 2, 6}, {}, 0.5},
      {"bilinear", false, {2, 2, 3, 4}, {5, 7}, 0},
      {"bilinear", true, {2, 2, 3, 4}, {5, 7}, 0},
      {"bilinear", false, {1, 2, 4, 4}, {}, 2.5},
      {"bilinear", true, {1, 3, 5, 6}, {2, 1}, 0},
  };
  OpInfo interp = resample_entry("interpolate", {0});
  auto interp_op = [](const Case& k) {
    return [k](const TensorList& in) {
      InterpolateOptions o;
      o.mode = k.mode;
      o.align_corners = k.align;
      o.size = k.size;
      if (k.size.empty()) o.scale_factor = {k.factor};
      return interpolate(in.at(0), o);
    };
  };
  auto interp_ref = [](const Case& k) {
    return [k](const TensorList& in) {
      return interpolate_ref(read(in.at(0)), k.size, k.factor,
                             k.mode != "nearest", k.align);
    };
  };
  interp.op = interp_op(cases[4]);
  interp.reference = interp_ref(cases[4]);
  interp.samples = [cases, interp_op, interp_ref](DType dtype, Generator& gen) {
    Samples v;
    for (const Case& k : cases) {
      const std::string desc =
          k.mode + (k.align ? " align_corners" : "") +
          (k.size.empty() ? " scale " + std::to_string(k.factor) : " size");
      v.push_back(sample_with({make(k.input, dtype, gen)}, {"basic"}, desc,
                              interp_op(k), interp_ref(k)));
    }
    v.push_back(sample_with({make_noncontig({2, 3, 4, 5}, dtype, gen)},
                            {"noncontig"}, "bilinear size", interp_op(cases[7]),
                            interp_ref(cases[7])));
    v.push_back(sample_with({make({0, 2, 5}, dtype, gen)}, {"zero-size"},
                            "linear size", interp_op(cases[4]),
                            interp_ref(cases[4])));
    return v;
  };
  db.push_back(std::move(interp));

  for (bool align : {false, true}) {
    OpInfo grid = resample_entry(
        align ? "affine_grid.align_corners" : "affine_grid", {0});
    grid.op = [align](const TensorList& in) {
      return affine_grid(in.at(0), {in.at(0).shape()[0], 1, 3, 4}, align);
    };
    grid.reference = [align](const TensorList& in) {
      return affine_grid_ref(read(in.at(0)), 3, 4, align);
    };
    grid.samples = [](DType dtype, Generator& gen) {
      Samples v;
      v.push_back(sample({make({2, 2, 3}, dtype, gen)}, {"basic"}));
      v.push_back(
          sample({make_noncontig({2, 2, 3}, dtype, gen)}, {"noncontig"}));
      v.push_back(sample({make({0, 2, 3}, dtype, gen)}, {"zero-size"}));
      return v;
    };
    db.push_back(std::move(grid));
  }

  for (bool nearest : {false, true}) {
    for (bool border : {false, true}) {
      for (bool align : {false, true}) {
        std::string name = "grid_sample";
        if (nearest) name += ".nearest";
        if (border) name += ".border";
        if (align) name += ".align_corners";
        // nearest: piecewise constant in the grid, so x only.
        OpInfo info = resample_entry(
            name, nearest ? std::vector<int>{0} : std::vector<int>{0, 1});
        info.op = [=](const TensorList& in) {
          return grid_sample(in.at(0), in.at(1),
                             {nearest ? "nearest" : "bilinear",
                              border ? "border" : "zeros", align});
        };
        info.reference = [=](const TensorList& in) {
          return grid_sample_ref(read(in.at(0)), read(in.at(1)), nearest,
                                 border, align);
        };
        info.samples = [](DType dtype, Generator& gen) {
          Samples v;
          v.push_back(sample({make({2, 3, 4, 5}, dtype, gen),
                              make_grid({2, 3, 2, 2}, dtype, gen)},
                             {"basic"}));
          v.push_back(sample({make({1, 2, 3, 3}, dtype, gen),
                              make_grid({1, 4, 5, 2}, dtype, gen)},
                             {"basic"}));
          v.push_back(sample(
              {make_noncontig({2, 3, 4, 5}, dtype, gen),
               make_grid({2, 3, 2, 2}, dtype, gen).permute({0, 2, 1, 3})},
              {"noncontig"}));
          v.push_back(sample({make({0, 2, 3, 3}, dtype, gen),
                              make_grid({0, 2, 2, 2}, dtype, gen)},
                             {"zero-size"}));
          return v;
        };
        db.push_back(std::move(info));
      }
    }
  }
}

}  // namespace fnx::opinfo
