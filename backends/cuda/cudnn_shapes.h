// How fnx's contiguous (N, C, *spatial) tensors are described to cuDNN,
// shared by convolution (conv.cc) and pooling (pool.cc).
#pragma once

#include <limits>
#include <vector>

#include "core/error.h"
#include "core/shape.h"

namespace fnx::cuda {

// cuDNN wants 4 or 5 dims: 1-d tensors get a trailing spatial dim of 1.
// Its descriptors take int: larger tensors are refused, not truncated.
inline std::vector<int> dims4(const Shape& s) {
  FNX_CHECK(numel(s) <= std::numeric_limits<int>::max(), "cudnn",
            "tensors of more than 2^31 - 1 elements are not supported by "
            "cuDNN's descriptors, got shape ",
            shape_str(s), "; split the batch");
  std::vector<int> d(s.begin(), s.end());
  if (d.size() == 3) d.push_back(1);
  return d;
}

// Row-major strides of dims.
inline std::vector<int> packed_strides(const std::vector<int>& dims) {
  std::vector<int> s(dims.size());
  int acc = 1;
  for (int i = static_cast<int>(dims.size()) - 1; i >= 0; --i) {
    s[i] = acc;
    acc *= dims[i];
  }
  return s;
}

// A per-spatial-dim parameter padded with `fill` to n dims (the trailing
// dim of a 1-d tensor).
inline std::vector<int> spatial_param(const Shape& v, std::size_t n, int fill) {
  std::vector<int> out(v.begin(), v.end());
  while (out.size() < n) out.push_back(fill);
  return out;
}

}  // namespace fnx::cuda
