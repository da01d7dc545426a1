// Resampling functions of torch.nn.functional, as composites of public ops
// (reshape and permute, index_select, gather and arithmetic), so every
// transform supports them with no rule of their own: pixel_shuffle and
// pixel_unshuffle, interpolate (nearest, linear, bilinear), affine_grid and
// grid_sample (bilinear, nearest; zeros or border padding). Index formulas
// are torch's, so results match it (separable bilinear sums may differ in
// the last bit).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace fnx {

// (*, C r^2, H, W) -> (*, C, H r, W r): out[c, h r + i, w r + j] =
// x[c r^2 + i r + j, h, w].
Tensor pixel_shuffle(const Tensor& x, int64_t upscale_factor);
// Its inverse: (*, C, H r, W r) -> (*, C r^2, H, W).
Tensor pixel_unshuffle(const Tensor& x, int64_t downscale_factor);

struct InterpolateOptions {
  Shape size = {};  // the output's spatial size, or
  // the factor per spatial dim (one value: every dim); out = floor(in s)
  std::vector<double> scale_factor = {};
  std::string mode = "nearest";  // "nearest", "linear" (1-d), "bilinear" (2-d)
  bool align_corners = false;    // linear modes only
};
// x (N, C, *spatial) with 1 or 2 spatial dims (nearest: 1 to 3). As torch:
// nearest takes src = min(floor(dst * scale), in - 1); the linear modes
// take src = dst * (in - 1) / (out - 1) with align_corners, else
// max((dst + 0.5) * scale - 0.5, 0), where scale = 1 / scale_factor when
// given, else in / out.
Tensor interpolate(const Tensor& x, const InterpolateOptions& options);

// theta (N, 2, 3) -> the sampling grid (N, H, W, 2) of (x, y) in [-1, 1]
// for an output of size {N, C, H, W}, as torch.nn.functional.affine_grid.
Tensor affine_grid(const Tensor& theta, const Shape& size,
                   bool align_corners = false);

struct GridSampleOptions {
  std::string mode = "bilinear";       // or "nearest" (round half to even)
  std::string padding_mode = "zeros";  // or "border"
  bool align_corners = false;
};
// x (N, C, H, W) sampled at grid (N, Ho, Wo, 2) of (x, y) in [-1, 1]:
// (N, C, Ho, Wo), as torch.nn.functional.grid_sample (2-d). Differentiable
// in x and (bilinear) in grid.
Tensor grid_sample(const Tensor& x, const Tensor& grid,
                   const GridSampleOptions& options = {});

}  // namespace fnx
