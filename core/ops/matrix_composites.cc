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

// grid[i][j] = j - i, which tril and triu compare with their diagonal.
Tensor offset_grid(int64_t m, int64_t n, Device device) {
  const Tensor rows = reshape(arange(m, DType::Int64, device), {m, 1});
  const Tensor cols = reshape(arange(n, DType::Int64, device), {1, n});
  return cols - rows;
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
  const Tensor keep =
      offset_grid(x.shape()[x.dim() - 2], x.shape().back(), x.device()) <=
      scalar_tensor(diagonal, DType::Int64, x.device());
  return where(keep, x, zeros({}, x.dtype(), x.device()));
}

Tensor triu(const Tensor& x, int64_t diagonal) {
  check_matrix("triu", x);
  const Tensor keep =
      offset_grid(x.shape()[x.dim() - 2], x.shape().back(), x.device()) >=
      scalar_tensor(diagonal, DType::Int64, x.device());
  return where(keep, x, zeros({}, x.dtype(), x.device()));
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
