// Shared pieces of the VJP rules (all written with public ops, so they are
// differentiable and batchable themselves).
#pragma once

#include "core/ops/ops.h"
#include "core/primitive.h"
#include "core/tensor.h"
#include "transforms/grad/tape.h"

namespace fnx::grad_internal {

// The transpose of broadcasting: sums `g` over the dims that broadcasting
// (or expand) added or stretched, giving a tensor of `shape`.
Tensor sum_to(const Tensor& g, const Shape& shape);

// The transpose of a reduction over `dims`: puts the reduced dims back (as
// size 1 unless keepdim) and expands to `in_shape`.
Tensor unreduce(const Tensor& g, const Shape& in_shape, const Dims& dims,
                bool keepdim);

// sum(t, dims, keepdim = true), where empty dims reduce nothing.
Tensor sum_keepdim(const Tensor& t, const Dims& dims);

// Zeros with the shape, dtype and device of a recorded input.
Tensor zeros_of(const TensorMeta& meta);

// Pads dim `dim` of t with `lo` zeros before and `hi` after (negative
// amounts crop).
Tensor pad_dim(const Tensor& t, int64_t dim, int64_t lo, int64_t hi);

// The op API's option structs for a primitive's attributes.
ConvOptions conv_options(const ConvAttrs& a);
PoolOptions pool_options(const UnfoldAttrs& a);

}  // namespace fnx::grad_internal
