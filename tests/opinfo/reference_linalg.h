// Float64 references for the linear-algebra ops of core/ops/linalg.h: plain
// loops over dense matrices, batched over leading dims by the helpers below.
// No LAPACK and no fnx op: the algorithms are the textbook ones (LU with
// LAPACK's partial pivoting, Householder QR, cyclic Jacobi for eigh,
// one-sided Jacobi for the SVD), independent of whatever the kernels use.
// Decompositions that are unique only up to signs (QR, eigh, SVD) are
// returned in one canonical sign convention each, documented per function;
// the op database normalizes the op's result the same way.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "core/ops/linalg.h"
#include "tests/opinfo/reference.h"

namespace fnx::opinfo {

// One dense row-major matrix: the unit every algorithm below works on.
struct Mat {
  int64_t rows = 0, cols = 0;
  std::vector<double> v;

  Mat() = default;
  Mat(int64_t r, int64_t c, double fill = 0)
      : rows(r), cols(c), v(static_cast<size_t>(r * c), fill) {}
  double& operator()(int64_t i, int64_t j) { return v[i * cols + j]; }
  double operator()(int64_t i, int64_t j) const { return v[i * cols + j]; }
};

Mat identity_mat(int64_t n);
Mat transpose_mat(const Mat& a);
Mat mul_mat(const Mat& a, const Mat& b);
// The first `cols` columns (a reduced Q or U from a complete one).
Mat left_cols(const Mat& a, int64_t cols);

// ---- batching: (..., m, n) arrays as lists of matrices ----
// The dims before the last `core_rank`.
Shape batch_dims(const Nd& x, int64_t core_rank);
std::vector<Mat> matrices_of(const Nd& x);  // x of rank >= 2
// The matrices (each rows x cols) stacked into (*batch, rows, cols).
Nd from_matrices(const Shape& batch, const std::vector<Mat>& ms, int64_t rows,
                 int64_t cols, DType dtype);
// f applied to every matrix of x; each result is rows x cols. A vector or
// scalar result is a 1 x k or 1 x 1 Mat: see the shape-taking overload.
Nd map_matrices(const Nd& x, int64_t rows, int64_t cols,
                const std::function<Mat(const Mat&)>& f);
// Same, with the result's trailing shape given (e.g. {k} or {}): f's Mat
// holds the values in row-major order.
Nd map_matrices_to(const Nd& x, const Shape& trailing,
                   const std::function<Mat(const Mat&)>& f);
// f over pairs of matrices of a and b after broadcasting their batch dims.
Nd map_matrix_pairs(const Nd& a, const Nd& b, int64_t rows, int64_t cols,
                    const std::function<Mat(const Mat&, const Mat&)>& f);

// ---- matrix helpers (per matrix) ----
Mat diagonal_mat(const Mat& a, int64_t offset);  // a 1 x k row
Mat tril_mat(const Mat& a, int64_t diagonal);
Mat triu_mat(const Mat& a, int64_t diagonal);

// ---- factorizations and solvers (reference_linalg.cc) ----
// The Cholesky factor of the symmetric matrix whose lower (upper) triangle
// is a's: L with A = L L^T, or U = L^T with A = U^T U; zeros elsewhere.
// NaN from the first failing column on, as the primitive.
Mat cholesky_mat(const Mat& a, bool upper);
// X with op(T) X = B (left) or X op(T) = B, T the chosen triangle of a.
Mat solve_triangular_mat(const Mat& a, const Mat& b,
                         const linalg::TriangularSolveOptions& options);
// P A = L U with LAPACK's partial pivoting: at step k the pivot is the
// first row (from k down) of largest |value| in column k.
struct LuMat {
  Mat lu;                       // unit L below the diagonal, U on and above
  std::vector<int64_t> pivots;  // 1-based row swaps, as LAPACK's ipiv
  std::vector<int64_t> perm;    // row i of P A is row perm[i] of A
};
LuMat lu_mat(const Mat& a);
double det_mat(const Mat& a);
Mat solve_mat(const Mat& a, const Mat& b);  // a square and nonsingular
Mat inv_mat(const Mat& a);
Mat matrix_power_mat(const Mat& a, int64_t n);  // n < 0: of the inverse

// ---- spectral decompositions (reference_decomp.cc) ----
// A = Q R by Householder reflections. Reduced: Q (m, k), R (k, n), k =
// min(m, n); complete: Q (m, m), R (m, n). Signs: R's diagonal is >= 0
// (Q's column j and R's row j flipped together where needed); the extra
// columns of a complete Q for m > n are some orthonormal completion.
struct QrMat {
  Mat q, r;
};
QrMat qr_mat(const Mat& a, bool complete);
// The symmetric matrix whose lower (upper) triangle is a's, diagonalized by
// cyclic Jacobi rotations: eigenvalues ascending, eigenvectors as columns,
// each column signed so that its diagonal entry (row j of column j) is >= 0.
struct EighMat {
  std::vector<double> values;
  Mat vectors;
};
EighMat eigh_mat(const Mat& a, bool upper);
// Reduced SVD by one-sided Jacobi: U (m, k), S (k) descending, Vh (k, n);
// each pair (U's column j, Vh's row j) signed so that U[j][j] >= 0. Assumes
// full rank (a zero singular value leaves its column of U zero).
struct SvdMat {
  Mat u;
  std::vector<double> s;
  Mat vh;
};
SvdMat svd_mat(const Mat& a);
// V diag(1/s) U^T over the singular values above rtol * max(s).
Mat pinv_mat(const Mat& a, double rtol);
// "fro", "nuc", "2" (largest singular value) or "-2" (smallest).
double matrix_norm_mat(const Mat& a, std::string_view ord);

}  // namespace fnx::opinfo
