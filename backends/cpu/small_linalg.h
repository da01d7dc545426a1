// Cholesky, triangular solve and LU in plain C++ for batches of small
// matrices (order <= kSmallOrder, linalg_common.h), where LAPACK's per-call
// overhead dominates (a million 3x3 systems). Each is unrolled per order and
// runs the batch in parallel; the algorithms (and LU's pivoting rule: the
// first largest |value| in the column, as idamax) are LAPACK's unblocked
// ones, so results agree with the LAPACK path to rounding.
#pragma once

#include <cstdint>

#include "backends/cpu/linalg_common.h"
#include "core/primitive.h"

namespace fnx::cpu {

// The Cholesky factor of one n x n matrix of any order (also the LAPACK
// path's fallback when potrf fails): reads the lower (upper) triangle of a,
// strides (rs, cs), and writes the contiguous out with zeros in the other
// triangle and NaN from the failing column (row) on.
template <typename T>
void cholesky_unblocked(const T* a, int64_t rs, int64_t cs, int64_t n,
                        bool upper, T* out);

// out: the contiguous (count, n, n) factors.
template <typename T>
void small_cholesky(const MatrixBatch& a, const T* pa, bool upper, T* out);

// b: the contiguous (count, rows, cols) right-hand sides, solved in place.
template <typename T>
void small_triangular_solve(const MatrixBatch& a, const T* pa,
                            const LinalgAttrs& attrs, int64_t rows,
                            int64_t cols, T* b);

// out: (count, n * n + 2 * n), Lu's packed parts (LU, pivots, perm).
template <typename T>
void small_lu(const MatrixBatch& a, const T* pa, T* out);

}  // namespace fnx::cpu
