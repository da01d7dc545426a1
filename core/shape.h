// Shapes, strides and the helpers every shape rule uses. Shapes are small
// inline vectors: no heap allocation for tensors of rank <= 6.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "absl/container/inlined_vector.h"

namespace fnx {

using Shape = absl::InlinedVector<int64_t, 6>;
using Strides = absl::InlinedVector<int64_t, 6>;
using Dims = absl::InlinedVector<int64_t, 6>;

int64_t numel(const Shape& shape);
// A row-major shape seen as (outer, n, inner) around dim: the product of the
// dims before it, its size, the product of the dims after it (what a kernel
// along one dim of a contiguous tensor iterates over).
struct DimSplit {
  int64_t outer = 1, n = 1, inner = 1;
};
DimSplit split_at_dim(const Shape& shape, int64_t dim);
Strides contiguous_strides(const Shape& shape);
// Whether (shape, strides) lays the elements out row-major without gaps
// (size-1 dims may have any stride; a tensor with no elements is).
bool is_contiguous(const Shape& shape, const Strides& strides);
// The strides that read a tensor of (shape, strides) broadcast to `to`
// (NumPy rules from the right; broadcast dims step 0).
Strides broadcast_strides(const Shape& shape, const Strides& strides,
                          const Shape& to);
std::string shape_str(const Shape& shape);  // "[2, 3]"

// Maps dim in [-rank, rank) to [0, rank); anything else is an fnx::Error
// naming `op`.
int64_t normalize_dim(int64_t dim, int64_t rank, std::string_view op);
// Normalizes, sorts and deduplicates-checks a list of dims; an empty list
// means "all dims" when `empty_means_all` is set.
Dims normalize_dims(const Dims& dims, int64_t rank, std::string_view op,
                    bool empty_means_all);

// NumPy broadcasting of two shapes; an fnx::Error naming `op` and both
// shapes when they do not broadcast.
Shape broadcast_shapes(const Shape& a, const Shape& b, std::string_view op);

}  // namespace fnx
