#include "backends/cuda/reduce_plan.h"

#include <algorithm>
#include <cstdlib>
#include <utility>
#include <vector>

#include "core/error.h"

namespace fnx::cuda {
namespace {

// Merges adjacent dims that step through memory as one.
void coalesce(Shape& sizes, Strides& strides) {
  Shape s;
  Strides t;
  for (std::size_t d = 0; d < sizes.size(); ++d) {
    if (!s.empty() && t.back() == strides[d] * sizes[d]) {
      s.back() *= sizes[d];
      t.back() = strides[d];
    } else {
      s.push_back(sizes[d]);
      t.push_back(strides[d]);
    }
  }
  sizes = std::move(s);
  strides = std::move(t);
}

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

// Kept dims in order; reduced dims by decreasing stride (memory order).
ReduceGeometry reduce_geometry(std::string_view op, const Shape& shape,
                               const Strides& strides, const Dims& dims) {
  Shape kept_sizes, red_sizes;
  Strides kept_strides, red_strides;
  int64_t n_red = 1;
  std::vector<std::pair<int64_t, int64_t>> red;  // (stride, size)
  for (int64_t d = 0; d < static_cast<int64_t>(shape.size()); ++d) {
    const int64_t size = shape[d];
    const bool reduced = std::binary_search(dims.begin(), dims.end(), d);
    if (reduced) n_red *= size;
    if (size == 1) continue;
    if (reduced) {
      red.emplace_back(strides[d], size);
    } else {
      kept_sizes.push_back(size);
      kept_strides.push_back(strides[d]);
    }
  }
  std::stable_sort(red.begin(), red.end(), [](const auto& a, const auto& b) {
    return std::abs(a.first) > std::abs(b.first);
  });
  for (const auto& [stride, size] : red) {
    red_sizes.push_back(size);
    red_strides.push_back(stride);
  }
  coalesce(kept_sizes, kept_strides);
  coalesce(red_sizes, red_strides);
  ReduceGeometry g;
  copy_dims(op, kept_sizes, kept_strides, g.kept_ndim, g.kept_sizes,
            g.kept_strides);
  copy_dims(op, red_sizes, red_strides, g.red_ndim, g.red_sizes, g.red_strides);
  g.n_red = n_red;
  g.n_out = numel(kept_sizes);
  return g;
}

}  // namespace fnx::cuda
