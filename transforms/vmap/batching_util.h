// Small helpers the family rules share: moving the batch dim, giving an
// unbatched value a batch dim, mapping logical dims to physical ones. All
// of them are views (no copies) unless a reshape cannot be one.
#pragma once

#include <cstdint>

#include "core/shape.h"
#include "core/tensor.h"
#include "transforms/vmap/batching_rule.h"

namespace fnx::vmap_internal {

// The physical dim of logical dim `d` of a value batched at `bdim`.
inline int64_t physical_dim(int64_t d, int64_t bdim) {
  return d < bdim ? d : d + 1;
}

// A batched value's physical tensor with the batch dim first.
Tensor batch_first(const BatchedValue& v);

// Batch dim first; an unbatched value is expanded (a view) to batch size
// `batch_size`.
Tensor batch_first_materialized(const BatchedValue& v, int64_t batch_size);

// (B, *l) -> (B, 1, ..., 1, *l) with `logical_rank` dims after B.
Tensor pad_after_batch(const Tensor& batch_first, int64_t logical_rank);

// (B, n, *rest) -> (B * n, *rest), and back.
Tensor merge_batch_into_next(const Tensor& batch_first);
Tensor unmerge_batch(const Tensor& merged, int64_t batch_size, int64_t n);

// `shape` with `size` inserted at `dim`.
Shape with_dim(const Shape& shape, int64_t dim, int64_t size);

inline BatchedValue batched_at(Tensor value, int64_t bdim) {
  return {std::move(value), bdim};
}
inline BatchedValue unbatched(Tensor value) { return {std::move(value), -1}; }

}  // namespace fnx::vmap_internal
