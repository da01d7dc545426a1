#include "backends/common/reduce_split.h"

#include <algorithm>
#include <cstdlib>
#include <utility>
#include <vector>

namespace fnx {

void coalesce_dims(Shape& sizes, Strides& strides) {
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

// Kept dims in order; reduced dims by decreasing stride (memory order).
ReduceSplit split_reduction(const Shape& shape, const Strides& strides,
                            const Dims& dims) {
  ReduceSplit s;
  std::vector<std::pair<int64_t, int64_t>> red;  // (stride, size)
  for (std::size_t d = 0; d < shape.size(); ++d) {
    const int64_t size = shape[d];
    const bool reduced =
        std::binary_search(dims.begin(), dims.end(), static_cast<int64_t>(d));
    if (reduced) s.n_red *= size;
    if (size == 1) continue;
    if (reduced) {
      red.emplace_back(strides[d], size);
    } else {
      s.kept_sizes.push_back(size);
      s.kept_strides.push_back(strides[d]);
    }
  }
  std::stable_sort(red.begin(), red.end(), [](const auto& a, const auto& b) {
    return std::abs(a.first) > std::abs(b.first);
  });
  for (const auto& [stride, size] : red) {
    s.red_sizes.push_back(size);
    s.red_strides.push_back(stride);
  }
  coalesce_dims(s.kept_sizes, s.kept_strides);
  coalesce_dims(s.red_sizes, s.red_strides);
  return s;
}

}  // namespace fnx
