// Linear algebra beyond matmul: decompositions (the Linalg primitives) and
// what is built on them, as torch.linalg and jax.numpy.linalg spell them.
// Every function takes leading batch dims (..., m, n) and works under every
// transform: vmap, grad, jvp, jacobians and functionalize. Errors that
// depend on values (a singular or non-positive-definite matrix) name the
// batch index, under vmap too; the *_ex variants return an info tensor
// instead (0 = success), for use where raising is not wanted.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/tensor.h"

namespace fnx {

// ---- Matrix helpers over the trailing two dims ----
Tensor diagonal(const Tensor& x,
                int64_t offset = 0);                 // (..., m, n) -> (..., k)
Tensor diag_embed(const Tensor& x);                  // (..., n) -> (..., n, n)
Tensor trace(const Tensor& x);                       // (..., n, n) -> (...)
Tensor tril(const Tensor& x, int64_t diagonal = 0);  // zero above
Tensor triu(const Tensor& x, int64_t diagonal = 0);  // zero below
Tensor isfinite(const Tensor& x);
Tensor isnan(const Tensor& x);
Tensor isinf(const Tensor& x);

namespace linalg {

// A = L L^T (or U^T U with upper). Reads only that triangle of A.
Tensor cholesky(const Tensor& a, bool upper = false);
struct CholeskyExResult {
  Tensor L, info;  // info (...,) int32: 0, or the order of the first
                   // leading minor that is not positive definite
};
CholeskyExResult cholesky_ex(const Tensor& a, bool upper = false);

// Solves op(T) X = B (left) or X op(T) = B, T the chosen triangle of a.
struct TriangularSolveOptions {
  bool upper = false;
  bool left = true;
  bool transpose = false;      // solve with T^T
  bool unit_diagonal = false;  // assume ones on T's diagonal (not read)
};
Tensor solve_triangular(const Tensor& a, const Tensor& b,
                        const TriangularSolveOptions& options);

// P A = L U with partial pivoting, A square.
struct LuFactorResult {
  Tensor LU;           // (..., n, n): unit L below the diagonal, U on/above
  Tensor pivots;       // (..., n) int32, LAPACK's 1-based row swaps
  Tensor permutation;  // (..., n) int64: row i of P A is row perm[i] of A
};
LuFactorResult lu_factor(const Tensor& a);
struct LuResult {
  Tensor P, L, U;  // A = P L U, as torch.linalg.lu
};
LuResult lu(const Tensor& a);
// Solves A X = B from lu_factor(A); B (..., n, k).
Tensor lu_solve(const LuFactorResult& factor, const Tensor& b);

enum class QrMode { kReduced, kComplete, kR };
struct QrResult {
  Tensor Q, R;  // Q undefined for QrMode::kR
};
QrResult qr(const Tensor& a, QrMode mode = QrMode::kReduced);

struct EighOptions {
  bool upper = false;  // read the upper triangle instead of the lower
  double degenerate_tolerance = -1;  // see LinalgAttrs (core/primitive.h)
};
struct EighResult {
  Tensor eigenvalues;   // (..., n), ascending
  Tensor eigenvectors;  // (..., n, n), columns
};
EighResult eigh(const Tensor& a, const EighOptions& options = {});
Tensor eigvalsh(const Tensor& a, bool upper = false);

struct SvdOptions {
  bool full_matrices = true;  // as torch and numpy
  double degenerate_tolerance = -1;
};
struct SvdResult {
  Tensor U, S, Vh;  // A = U diag(S) Vh, S descending
};
SvdResult svd(const Tensor& a, const SvdOptions& options = {});
Tensor svdvals(const Tensor& a);

// A X = B for square A; B (..., n, k) or a vector (..., n).
Tensor solve(const Tensor& a, const Tensor& b);
struct SolveExResult {
  Tensor result, info;  // info (...,) int32: 0, or i where U[i-1, i-1] == 0
};
SolveExResult solve_ex(const Tensor& a, const Tensor& b);
Tensor inv(const Tensor& a);
SolveExResult inv_ex(const Tensor& a);
Tensor det(const Tensor& a);
struct SlogdetResult {
  Tensor sign, logabsdet;
};
SlogdetResult slogdet(const Tensor& a);
Tensor logdet(const Tensor& a);  // log(det), NaN for a negative determinant
// Solves A X = B given the Cholesky factor of A (torch's argument order).
Tensor cholesky_solve(const Tensor& b, const Tensor& factor,
                      bool upper = false);
// Least squares min |A X - B| for A (..., m, n) of full column rank (QR),
// or of full row rank when m < n (the minimum-norm solution).
Tensor lstsq(const Tensor& a, const Tensor& b);
// Moore-Penrose inverse through the SVD; singular values at or below
// rtol * max(S) count as zero (default: max(m, n) * eps of the dtype).
Tensor pinv(const Tensor& a, double rtol = -1);
// "fro", "nuc", "2" (largest singular value) or "-2" (smallest).
Tensor matrix_norm(const Tensor& a, std::string_view ord = "fro");
Tensor matrix_power(const Tensor& a, int64_t n);  // n < 0 inverts

}  // namespace linalg
}  // namespace fnx
