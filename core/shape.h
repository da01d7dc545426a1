// Shapes, strides and the helpers every shape rule uses. Shapes are small
// inline vectors: no heap allocation for tensors of rank <= 6.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "absl/container/inlined_vector.h"

namespace fnx {

using Shape = absl::InlinedVector<int64_t, 6>;
using Strides = absl::InlinedVector<int64_t, 6>;
using Dims = absl::InlinedVector<int64_t, 6>;

// The most dims a tensor may have (a deeper one is an fnx::Error, from the
// op that would make it and from file parsers).
inline constexpr int64_t kMaxRank = 64;

// Checked size arithmetic, the one place shape sizes are added and
// multiplied where they could overflow: an fnx::Error naming `op` that the
// shape is too large instead of a wrapped value.
int64_t checked_add(int64_t a, int64_t b, std::string_view op);
int64_t checked_mul(int64_t a, int64_t b, std::string_view op);
// Validates a shape a tensor of `itemsize`-byte elements is about to have:
// rank <= kMaxRank, no negative size, and its element count, every
// contiguous stride and its byte size within int64 (an fnx::Error naming
// `op` otherwise).
void check_shape(const Shape& shape, std::string_view op,
                 std::size_t itemsize = 1);

// The element count (an fnx::Error when it overflows int64).
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
// The strides that view (old_shape, old_strides) as new_shape without a
// copy, or nullopt when no strides can (torch's computeStride).
std::optional<Strides> view_strides(const Shape& old_shape,
                                    const Strides& old_strides,
                                    const Shape& new_shape);
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
