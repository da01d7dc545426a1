// Matrix helpers over the trailing two dims (diagonal, diag_embed, trace,
// tril, triu) and the finiteness tests, written in public ops so that every
// transform handles them.
#include <algorithm>
#include <limits>

#include "core/dispatch.h"
#include "core/error.h"
#include "core/ops/ops.h"

namespace fnx {
namespace {

void check_matrix(std::string_view op, const Tensor& x) {
  FNX_CHECK(x.dim() >= 2, op, "expects a matrix or a batch of matrices ",
            "(rank >= 2), got shape ", shape_str(x.shape()));
}

// Column indices (1, n) and row indices shifted by the diagonal (m, 1):
// tril keeps j <= i + diagonal, triu j >= i + diagonal. Compared as they
// broadcast, the (m, n) mask is the only full-size pass (an int64 grid of
// j - i first was two more, the larger part of tril on 256 x 256).
struct TriangleIndices {
  Tensor cols, shifted_rows;
};
TriangleIndices triangle_indices(int64_t m, int64_t n, int64_t diagonal,
                                 Device device) {
  return {reshape(arange(n, DType::Int64, device), {1, n}),
          reshape(arange(m, DType::Int64, device), {m, 1}) +
              scalar_tensor(diagonal, DType::Int64, device)};
}

}  // namespace

Tensor diagonal(const Tensor& x, int64_t offset) {
  check_matrix("diagonal", x);
  const int64_t m = x.shape()[x.dim() - 2], n = x.shape()[x.dim() - 1];
  const int64_t row0 = offset < 0 ? -offset : 0;
  const int64_t col0 = offset > 0 ? offset : 0;
  const int64_t k = std::max<int64_t>(0, std::min(m - row0, n - col0));
  // The k x k block starting at the diagonal, flattened: its diagonal is
  // every (k + 1)-th element.
  Tensor block = slice(slice(x, -2, row0, row0 + k), -1, col0, col0 + k);
  Shape flat(x.shape().begin(), x.shape().end() - 2);
  flat.push_back(k * k);
  return slice(reshape(block, flat), -1, 0, k * k, k + 1);
}

Tensor diag_embed(const Tensor& x) {
  FNX_CHECK(x.dim() >= 1, "diag_embed", "expects rank >= 1, got a 0-d tensor");
  const int64_t n = x.shape().back();
  return unsqueeze(x, -1) * eye(n, x.dtype(), x.device());
}

Tensor trace(const Tensor& x) {
  check_matrix("trace", x);
  return sum(diagonal(x), {-1});
}

Tensor tril(const Tensor& x, int64_t diagonal) {
  check_matrix("tril", x);
  const auto [cols, rows] = triangle_indices(
      x.shape()[x.dim() - 2], x.shape().back(), diagonal, x.device());
  return where(le(cols, rows), x, zeros({}, x.dtype(), x.device()));
}

Tensor triu(const Tensor& x, int64_t diagonal) {
  check_matrix("triu", x);
  const auto [cols, rows] = triangle_indices(
      x.shape()[x.dim() - 2], x.shape().back(), diagonal, x.device());
  return where(ge(cols, rows), x, zeros({}, x.dtype(), x.device()));
}

Tensor isfinite(const Tensor& x) {
  if (!is_floating(x.dtype())) return ones(x.shape(), DType::Bool, x.device());
  // NaN compares false.
  return abs(x) < std::numeric_limits<double>::infinity();
}

Tensor isnan(const Tensor& x) { return ne(x, x); }

Tensor isinf(const Tensor& x) {
  if (!is_floating(x.dtype())) return zeros(x.shape(), DType::Bool, x.device());
  return eq(abs(x), full({}, std::numeric_limits<double>::infinity(), x.dtype(),
                         x.device()));
}

Tensor assert_all(const Tensor& cond, std::string message, int64_t batch_rank) {
  FNX_CHECK(batch_rank >= 0 && batch_rank <= cond.dim(), "assert_all",
            "batch_rank ", batch_rank, " is not in [0, ", cond.dim(), "]");
  return dispatch(Prim::Assert, AssertAttrs{std::move(message), batch_rank},
                  {cond});
}

}  // namespace fnx
