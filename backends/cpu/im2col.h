// im2col / col2im over 1, 2 or 3 (any number >= 1) spatial dims, shared by
// Conv, its two gradients, Unfold and Fold. An image is (C, *in) contiguous;
// its column matrix is (C * prod(kernel), prod(out)) contiguous, row
// (c, k_0, ..., k_{D-1}) holding, for every output position o, the input
// element at o * stride - padding + k * dilation (or the pad value).
#pragma once

#include <cstdint>
#include <string_view>

#include "core/shape.h"

namespace fnx::cpu {

struct ConvGeometry {
  int64_t channels = 0;
  Shape in, kernel, out, stride, padding, dilation;  // one per spatial dim
  int64_t in_numel = 1, kernel_numel = 1, out_numel = 1;

  int64_t spatial() const { return static_cast<int64_t>(in.size()); }
  int64_t col_rows() const { return channels * kernel_numel; }
  // The column matrix is the image itself (1x1 kernel, stride 1, no pad).
  bool col_is_image() const;
};

// Empty stride / padding / dilation mean 1 / 0 / 1 for every dim. The
// output size per dim is (in + 2p - d(k-1) - 1) / s + 1, or 0 when the
// (dilated) kernel does not fit.
ConvGeometry make_conv_geometry(std::string_view op, int64_t channels,
                                const Shape& in, const Shape& kernel,
                                const Shape& stride, const Shape& padding,
                                const Shape& dilation);

// The column matrix of `n` images side by side: images (n, channels, *in)
// contiguous, col (channels * prod(kernel), n * prod(out)) row-major with
// image j's columns starting at column j * prod(out). One parallel loop
// over (image, channel) pairs.
template <typename T>
void im2col_batch(const T* images, int64_t n, const ConvGeometry& g,
                  T pad_value, T* col);

// The transpose: adds every column entry of the same layout into its image
// position (padding entries dropped). `images` must be initialized (usually
// zeros). Parallel over (image, channel) pairs, which never share outputs.
template <typename T>
void col2im_batch(const T* col, int64_t n, const ConvGeometry& g, T* images);

}  // namespace fnx::cpu
