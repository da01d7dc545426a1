// Cumulative and sorting ops (core/ops/sort.h): cumsum and argsort dispatch
// their primitive; the rest are composites over argsort, gather and slices,
// so gather's derivative rules give theirs (ties: the gradient goes to the
// element the stable order picked).
#include "core/dispatch.h"
#include "core/error.h"
#include "core/ops/ops.h"

namespace fnx {
namespace {

// A 0-d tensor is one fiber of one element: the primitives run on shape [1]
// and the result is reshaped back.
Tensor along_dim(Prim prim, const Tensor& x, int64_t dim, bool flag,
                 int64_t k = -1) {
  const int64_t d = normalize_dim(dim, x.dim(), prim_name(prim));
  const Tensor in = x.dim() == 0 ? reshape(x, {1}) : x;
  const Attrs attrs = prim == Prim::Cumsum ? Attrs{ScanAttrs{d, flag}}
                                           : Attrs{SortAttrs{d, flag, k}};
  const Tensor inputs[] = {in};
  const Tensor out = dispatch(prim, attrs, inputs);
  return x.dim() == 0 ? reshape(out, {}) : out;
}

// The size of `dim` (normalized), 1 for a 0-d tensor.
int64_t size_along(const Tensor& x, int64_t dim, std::string_view op) {
  const int64_t d = normalize_dim(dim, x.dim(), op);
  return x.dim() == 0 ? 1 : x.shape()[d];
}

}  // namespace

Tensor cumsum(const Tensor& x, int64_t dim) {
  const bool small_int = x.dtype() == DType::Bool || x.dtype() == DType::Int32;
  return along_dim(Prim::Cumsum, small_int ? cast(x, DType::Int64) : x, dim,
                   /*reverse=*/false);
}

Tensor argsort(const Tensor& x, int64_t dim, bool descending) {
  return along_dim(Prim::Argsort, x, dim, descending);
}

SortResult sort(const Tensor& x, int64_t dim, bool descending) {
  Tensor indices = argsort(x, dim, descending);
  if (x.dim() == 0) return {x, indices};
  return {gather(x, dim, indices), std::move(indices)};
}

Tensor msort(const Tensor& x) { return sort(x, 0).values; }

SortResult topk(const Tensor& x, int64_t k, int64_t dim, bool largest) {
  const int64_t n = size_along(x, dim, "topk");
  FNX_CHECK(k >= 0 && k <= n, "topk", "k = ", k,
            " is out of range for a dim of size ", n,
            " (expected 0 <= k <= size)");
  // Only the first k positions of the order: a selection, not a sort.
  Tensor indices = along_dim(Prim::Argsort, x, dim, largest, k);
  if (x.dim() == 0) return {x, indices};
  return {gather(x, dim, indices), indices};
}

SortResult kthvalue(const Tensor& x, int64_t k, int64_t dim, bool keepdim) {
  const int64_t n = size_along(x, dim, "kthvalue");
  FNX_CHECK(k >= 1 && k <= n, "kthvalue", "k = ", k,
            " is out of range for a dim of size ", n,
            " (expected 1 <= k <= size)");
  // The first k positions of the order (a selection), then the k-th.
  const Tensor first_k = along_dim(Prim::Argsort, x, dim, false, k);
  if (x.dim() == 0) return {x, first_k};
  const int64_t d = normalize_dim(dim, x.dim(), "kthvalue");
  Tensor indices = slice(first_k, d, k - 1, k);
  Tensor values = gather(x, d, indices);
  if (keepdim) return {std::move(values), std::move(indices)};
  return {squeeze(values, d), squeeze(indices, d)};
}

SortResult median(const Tensor& x, int64_t dim, bool keepdim) {
  const int64_t n = size_along(x, dim, "median");
  FNX_CHECK(n > 0, "median", "needs a non-empty dim; dim ", dim, " of shape ",
            shape_str(x.shape()), " has size 0");
  return kthvalue(x, (n - 1) / 2 + 1, dim, keepdim);
}

Tensor searchsorted(const Tensor& sorted_sequence, const Tensor& values,
                    bool right) {
  FNX_CHECK(sorted_sequence.dim() >= 1, "searchsorted",
            "sorted_sequence must have at least one dim, got shape ",
            shape_str(sorted_sequence.shape()));
  if (sorted_sequence.dim() > 1) {
    FNX_CHECK(values.dim() == sorted_sequence.dim(), "searchsorted",
              "values of shape ", shape_str(values.shape()),
              " must have the rank of sorted_sequence ",
              shape_str(sorted_sequence.shape()),
              " (or pass a 1-d sorted_sequence)");
  }
  // (..., N, 1) against (..., 1, M), or (..., 1) against (M) for a 1-d
  // sequence: one comparison per pair, counted over M.
  const Tensor s = sorted_sequence.dim() > 1 ? unsqueeze(sorted_sequence, -2)
                                             : sorted_sequence;
  const Tensor v = unsqueeze(values, -1);
  const Tensor hit = right ? s <= v : s < v;
  return sum(cast(hit, DType::Int64), {-1});
}

Tensor bucketize(const Tensor& x, const Tensor& boundaries, bool right) {
  FNX_CHECK(boundaries.dim() == 1, "bucketize",
            "boundaries must be 1-d, got shape ",
            shape_str(boundaries.shape()));
  return searchsorted(boundaries, x, right);
}

}  // namespace fnx
