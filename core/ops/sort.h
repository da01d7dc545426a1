// Cumulative and sorting ops, as torch spells them. Two primitives carry
// them: Cumsum (linear, so every derivative is another cumsum) and Argsort
// (a stable sort order, int64, not differentiable). Sorted values are
// gather(x, argsort(x)), so sort, topk, kthvalue, median and msort are
// composites whose gradients flow through gather's rules; every transform
// supports them with no rule of its own. A 0-d tensor is a fiber of one
// element (dim 0 or -1), as in torch.
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace fnx {

// Running sum along dim. bool and int32 are summed as int64 (torch).
Tensor cumsum(const Tensor& x, int64_t dim);

// The positions that sort x along dim: stable (equal values keep their
// order) and NaN above +inf, so NaN comes last ascending, first descending.
Tensor argsort(const Tensor& x, int64_t dim = -1, bool descending = false);

struct SortResult {
  Tensor values;   // x's dtype
  Tensor indices;  // int64 positions along dim
};
// values = gather(x, dim, indices), indices = argsort(x, dim, descending).
SortResult sort(const Tensor& x, int64_t dim = -1, bool descending = false);
// sort(x, 0).values (numpy's msort).
Tensor msort(const Tensor& x);
// The k largest (or smallest) along dim, in sorted order; ties keep the
// earlier position first. 0 <= k <= size of dim.
SortResult topk(const Tensor& x, int64_t k, int64_t dim = -1,
                bool largest = true);
// The k-th smallest (1-based) along dim and its position; keepdim keeps dim
// as size 1.
SortResult kthvalue(const Tensor& x, int64_t k, int64_t dim = -1,
                    bool keepdim = false);
// The lower median along dim (torch's: element (n - 1) / 2 of the sorted
// fiber) and its position. Needs a non-empty dim.
SortResult median(const Tensor& x, int64_t dim, bool keepdim = false);

// For each value, the position in sorted_sequence that keeps it sorted:
// the number of elements < value (right: <= value), int64. sorted_sequence
// is 1-d (shared by every value, values of any shape) or (..., M) with
// values (..., N) and leading dims that broadcast. A composite of one
// comparison and a sum over M: O(M * N) work and memory, no primitive, so
// every transform batches it (a binary-search primitive is the faster
// follow-up). Every comparison with a NaN value is false, so a NaN value
// gets 0 (torch puts it last).
Tensor searchsorted(const Tensor& sorted_sequence, const Tensor& values,
                    bool right = false);
// The bucket of each x among 1-d ascending boundaries: searchsorted
// (torch.bucketize: right = false means boundaries[i-1] < x <= boundaries[i]).
Tensor bucketize(const Tensor& x, const Tensor& boundaries, bool right = false);

}  // namespace fnx
