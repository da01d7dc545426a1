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
  const Attrs attrs = prim == Prim::Argsort ? Attrs{SortAttrs{d, flag, k}}
                                            : Attrs{ScanAttrs{d, flag}};
  const Tensor inputs[] = {in};
  const Tensor out = dispatch(prim, attrs, inputs);
  return x.dim() == 0 ? reshape(out, {}) : out;
}

// The size of `dim` (normalized), 1 for a 0-d tensor.
int64_t size_along(const Tensor& x, int64_t dim, std::string_view op) {
  const int64_t d = normalize_dim(dim, x.dim(), op);
  return x.dim() == 0 ? 1 : x.shape()[d];
}

// bool and int32 scan as int64 (torch's cumsum and cumprod).
Tensor widened(const Tensor& x) {
  const bool small_int = x.dtype() == DType::Bool || x.dtype() == DType::Int32;
  return small_int ? cast(x, DType::Int64) : x;
}

// values = x at the running max / min position (gather, so its rules give
// the derivatives).
SortResult running_extreme(Prim prim, const Tensor& x, int64_t dim) {
  Tensor indices = along_dim(prim, x, dim, /*reverse=*/false);
  if (x.dim() == 0) return {x, indices};
  return {gather(x, dim, indices), std::move(indices)};
}

}  // namespace

Tensor cumsum(const Tensor& x, int64_t dim) {
  return along_dim(Prim::Cumsum, widened(x), dim, /*reverse=*/false);
}

Tensor cumprod(const Tensor& x, int64_t dim) {
  return along_dim(Prim::Cumprod, widened(x), dim, /*reverse=*/false);
}

Tensor logcumsumexp(const Tensor& x, int64_t dim) {
  return along_dim(Prim::Logcumsumexp, x, dim, /*reverse=*/false);
}

SortResult cummax(const Tensor& x, int64_t dim) {
  return running_extreme(Prim::CummaxIndex, x, dim);
}

SortResult cummin(const Tensor& x, int64_t dim) {
  return running_extreme(Prim::CumminIndex, x, dim);
}

Tensor argsort(const Tensor& x, int64_t dim, bool descending) {
  return along_dim(Prim::Argsort, x, dim, descending);
}

SortResult sort(const Tensor& x, int64_t dim, bool descending) {
  Tensor indices = argsort(x, dim, descending);
  if (x.dim() == 0) return {x, indices};
  return {gather(x, dim, indices), std::move(indices)};
}

// In the sorted flat x, a value starts where it differs from its left
// neighbour; its slot is the count of starts so far minus one.
UniqueResult unique(const Tensor& x, int64_t size, double fill,
                    bool return_inverse, bool return_counts) {
  FNX_CHECK(size >= 0, "unique", "size must be >= 0, got ", size);
  const int64_t n = x.numel();
  const Tensor flat = reshape(x, {n});
  const Tensor order = argsort(flat, 0);
  const Tensor sorted = gather(flat, 0, order);
  const Tensor starts =
      n == 0 ? zeros({0}, DType::Bool, x.device())
             : cat({ones({1}, DType::Bool, x.device()),
                    ne(slice(sorted, 0, 1, n), slice(sorted, 0, 0, n - 1))},
                   0);
  UniqueResult r;
  r.values = masked_select(sorted, starts, size, fill);
  // (masked_select pads bool with an int64 fill)
  if (r.values.dtype() != x.dtype()) r.values = cast(r.values, x.dtype());
  if (!return_inverse && !return_counts) return r;
  const Tensor slot = cumsum(starts, 0) - 1.0;
  if (return_inverse) {
    r.inverse =
        reshape(index_add(zeros({n}, DType::Int64, x.device()), 0, order, slot),
                x.shape());
  }
  if (return_counts) {
    const Tensor dump =
        full({}, static_cast<double>(size), DType::Int64, x.device());
    const Tensor kept = where(slot < dump, slot, dump);
    r.counts = slice(index_add(zeros({size + 1}, DType::Int64, x.device()), 0,
                               kept, ones({n}, DType::Int64, x.device())),
                     0, 0, size);
  }
  return r;
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
