#include "backends/cuda/reduce_plan.h"

#include <algorithm>
#include <cstdlib>
#include <utility>
#include <vector>

#include "backends/common/reduce_split.h"
#include "core/error.h"

namespace fnx::cuda {
namespace {

void copy_dims(std::string_view op, const Shape& sizes, const Strides& strides,
               int& ndim, int64_t* out_sizes, int64_t* out_strides) {
  FNX_CHECK(static_cast<int>(sizes.size()) <= kMaxDims, op,
            "the CUDA backend reduces tensors with at most ", kMaxDims,
            " kept or reduced dims that cannot be merged");
  ndim = static_cast<int>(sizes.size());
  for (int d = 0; d < ndim; ++d) {
    out_sizes[d] = sizes[d];
    out_strides[d] = strides[d];
  }
}

}  // namespace

ReduceGeometry reduce_geometry(std::string_view op, const Shape& shape,
                               const Strides& strides, const Dims& dims) {
  const ReduceSplit s = split_reduction(shape, strides, dims);
  ReduceGeometry g;
  copy_dims(op, s.kept_sizes, s.kept_strides, g.kept_ndim, g.kept_sizes,
            g.kept_strides);
  copy_dims(op, s.red_sizes, s.red_strides, g.red_ndim, g.red_sizes,
            g.red_strides);
  g.n_red = s.n_red;
  g.n_out = numel(s.kept_sizes);
  return g;
}

}  // namespace fnx::cuda
