#include "transforms/vmap/batching_util.h"

#include "core/ops/ops.h"

namespace fnx::vmap_internal {

Tensor batch_first(const BatchedValue& v) {
  return v.bdim == 0 ? v.value : movedim(v.value, v.bdim, 0);
}

Tensor batch_first_materialized(const BatchedValue& v, int64_t batch_size) {
  if (v.batched()) return batch_first(v);
  return expand(unsqueeze(v.value, 0),
                with_dim(v.value.shape(), 0, batch_size));
}

Tensor pad_after_batch(const Tensor& batch_first, int64_t logical_rank) {
  const int64_t missing = logical_rank - (batch_first.dim() - 1);
  if (missing <= 0) return batch_first;
  Shape shape = batch_first.shape();
  shape.insert(shape.begin() + 1, missing, 1);
  return reshape(batch_first, shape);
}

Tensor merge_batch_into_next(const Tensor& batch_first) {
  Shape shape(batch_first.shape().begin() + 1, batch_first.shape().end());
  shape[0] *= batch_first.shape()[0];
  return reshape(batch_first, shape);
}

Tensor unmerge_batch(const Tensor& merged, int64_t batch_size, int64_t n) {
  Shape shape = merged.shape();
  shape[0] = n;
  shape.insert(shape.begin(), batch_size);
  return reshape(merged, shape);
}

Shape with_dim(const Shape& shape, int64_t dim, int64_t size) {
  Shape out = shape;
  out.insert(out.begin() + dim, size);
  return out;
}

}  // namespace fnx::vmap_internal
