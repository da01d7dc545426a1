// Cumulative and sorting ops, as torch spells them. Scan primitives carry
// the running ops: Cumsum (linear, so every derivative is another cumsum),
// Cumprod and Logcumsumexp (derivatives written with public scans), and
// CummaxIndex / CumminIndex (int64 positions). Argsort is a stable sort
// order (int64, not differentiable). Sorted values are gather(x, argsort(x))
// and cummax / cummin values gather at their positions, so sort, topk,
// kthvalue, median, msort, cummax and cummin are composites whose gradients
// flow through gather's rules. A 0-d tensor is a fiber of one element
// (dim 0 or -1), as in torch.
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace fnx {

// Running sum along dim. bool and int32 are summed as int64 (torch).
Tensor cumsum(const Tensor& x, int64_t dim);

// Running product along dim; bool and int32 multiply as int64 (torch).
// Its derivatives are exact with zeros in x (see transforms/grad/rules_scan.cc).
Tensor cumprod(const Tensor& x, int64_t dim);

// log(cumsum(exp(x))) along dim, computed stably (a running max rescales the
// sum, so neither overflow nor underflow of exp). Floating point only.
Tensor logcumsumexp(const Tensor& x, int64_t dim);

// The positions that sort x along dim: stable (equal values keep their
// order) and NaN above +inf, so NaN comes last ascending, first descending.
Tensor argsort(const Tensor& x, int64_t dim = -1, bool descending = false);

struct SortResult {
  Tensor values;   // x's dtype
  Tensor indices;  // int64 positions along dim
};
// values = gather(x, dim, indices), indices = argsort(x, dim, descending).
SortResult sort(const Tensor& x, int64_t dim = -1, bool descending = false);
// The running max (min) along dim and its position, as torch: of equal
// values the last position wins, and a NaN, once met, is the max (min) from
// there on (its position, the latest NaN). values = gather(x, dim, indices),
// so gradients reach the element each position names.
SortResult cummax(const Tensor& x, int64_t dim);
SortResult cummin(const Tensor& x, int64_t dim);
struct UniqueResult {
  Tensor values;   // (size): the distinct values ascending, then `fill`
  Tensor inverse;  // x's shape, int64: each element's slot in values
  Tensor counts;   // (size), int64: each value's count, 0 in the padding
};
// The distinct values of x (flattened), sorted, as torch.unique(sorted=True)
// but with a static size as jnp.unique(size=, fill_value=): the first
// `size` distinct values, padded with `fill`. inverse and counts are
// computed only when asked (otherwise undefined); an element whose value is
// past the first `size` gets its slot >= size in inverse. NaNs are distinct
// values (NaN != NaN), sorted last. A composite of argsort, cumsum,
// masked_select and index_add; values are differentiable through gather.
UniqueResult unique(const Tensor& x, int64_t size, double fill = 0,
                    bool return_inverse = false, bool return_counts = false);

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
