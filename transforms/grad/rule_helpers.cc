#include "transforms/grad/rule_helpers.h"

#include <vector>

namespace fnx::grad_internal {

Tensor sum_to(const Tensor& g, const Shape& shape) {
  if (g.shape() == shape) return g;
  const int64_t lead = g.dim() - static_cast<int64_t>(shape.size());
  Dims dims;
  for (int64_t d = 0; d < g.dim(); ++d) {
    if (d < lead || (shape[d - lead] == 1 && g.shape()[d] != 1)) {
      dims.push_back(d);
    }
  }
  Tensor s = dims.empty() ? g : sum(g, dims, /*keepdim=*/true);
  return reshape(s, shape);
}

Tensor unreduce(const Tensor& g, const Shape& in_shape, const Dims& dims,
                bool keepdim) {
  if (in_shape.empty() || dims.empty()) return reshape(g, in_shape);
  Tensor t = g;
  if (!keepdim) {
    Shape kept = in_shape;
    for (int64_t d : dims) kept[d] = 1;
    t = reshape(t, kept);
  }
  return expand(t, in_shape);
}

Tensor sum_keepdim(const Tensor& t, const Dims& dims) {
  if (dims.empty() || t.dim() == 0) return t;
  return sum(t, dims, /*keepdim=*/true);
}

Tensor zeros_of(const TensorMeta& meta) {
  return zeros(meta.shape, meta.dtype, meta.device);
}

Tensor pad_dim(const Tensor& t, int64_t dim, int64_t lo, int64_t hi) {
  if (lo == 0 && hi == 0) return t;
  // pad() takes (lo, hi) pairs from the last dim backwards.
  std::vector<int64_t> pads(2 * static_cast<std::size_t>(t.dim() - dim), 0);
  const std::size_t at = 2 * static_cast<std::size_t>(t.dim() - 1 - dim);
  pads[at] = lo;
  pads[at + 1] = hi;
  return pad(t, pads, 0.0);
}

ConvOptions conv_options(const ConvAttrs& a) {
  ConvOptions o;
  o.stride = a.stride;
  o.padding = a.padding;
  o.dilation = a.dilation;
  o.groups = a.groups;
  return o;
}

PoolOptions pool_options(const UnfoldAttrs& a) {
  PoolOptions o;
  o.kernel = a.kernel;
  o.stride = a.stride;
  o.padding = a.padding;
  o.dilation = a.dilation;
  return o;
}

}  // namespace fnx::grad_internal
