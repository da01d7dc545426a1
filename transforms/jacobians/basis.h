// Standard-basis tangents and cotangents for the Jacobians, built directly
// in the primal's dtype: one pass writing the block, where comparing index
// grids and casting the bool result took three (30-37% of a large jacrev's
// time).
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/ops/ops.h"

namespace fnx::jacobian_internal {

// Rows [row0, row0 + rows) x columns [col0, col0 + cols) of an identity
// matrix, as a (rows, cols) tensor: the square identity of the overlap,
// padded with zeros. The identity of k is k ones, each followed by k zeros
// (a (k, k + 1) pad), whose first k * k elements read as k x k.
inline Tensor identity_block(int64_t rows, int64_t cols, int64_t row0,
                             int64_t col0, DType dtype, Device device) {
  const int64_t lo = std::max(row0, col0);
  const int64_t hi = std::min(row0 + rows, col0 + cols);
  if (hi <= lo) return zeros({rows, cols}, dtype, device);
  const int64_t k = hi - lo;
  const Tensor spaced = pad(full({k, 1}, 1.0, dtype, device), {0, k});
  const Tensor eye_k =
      reshape(slice(reshape(spaced, {k * (k + 1)}), 0, 0, k * k), {k, k});
  if (k == rows && k == cols) return eye_k;  // no zero rows or columns
  // pads run from the last dim: (columns before, after, rows before, after).
  return pad(eye_k, {lo - col0, col0 + cols - hi, lo - row0, row0 + rows - hi});
}

// Basis rows per vmap call when the caller set no chunk_size: all m rows
// unless an (m x m) basis exceeds about 2 MiB, then blocks of that size, so
// that the basis and the cotangents made from it stay in cache (jacrev
// 32 -> 2048: 4.3 ms in blocks of 256 rows against 6.3 ms at once). The
// result does not depend on it: chunked vmap equals unchunked bit for bit.
inline int64_t default_basis_rows(int64_t m, const std::vector<Tensor>& outs) {
  constexpr int64_t kBlockBytes = int64_t{2} << 20;
  const int64_t element =
      outs.empty() ? 4 : static_cast<int64_t>(itemsize(outs.front().dtype()));
  if (m * m * element <= 2 * kBlockBytes) return m;
  return std::max<int64_t>(16, kBlockBytes / (m * element));
}

}  // namespace fnx::jacobian_internal
