// Shared by the decomposition entries of the op database
// (opinfo_decomp*.cc). Every entry must be a smooth, well-conditioned
// function of its raw inputs near the samples, since the generic suites
// difference it and batch it. A decomposition of a random matrix is not:
// Cholesky needs a positive definite matrix, eigenvectors need separated
// eigenvalues, LU's pivot order must not flip under a finite-difference
// step. So each entry's op builds a suitable matrix from its raw input with
// public ops (below, each with its float64 twin for the reference), and
// decompositions unique only up to signs are normalized to the reference's
// convention (reference_linalg.h) with smooth sign choices.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tests/opinfo/opinfo_util.h"
#include "tests/opinfo/reference_linalg.h"

namespace fnx::opinfo {

using Samples = std::vector<SampleInput>;

// ---- matrices built inside the ops (Tensor, and the reference's Mat) ----
// S = A A^T + n I: symmetric positive definite, eigenvalues >= n.
Tensor spd(const Tensor& a);
Mat spd_mat(const Mat& a);
// Which row carries the large entry in dominant(): the identity, i -> i + 1
// (mod n), or i -> n - 1 - i. For n = 3 the reversal is odd (a negative
// determinant); for n = 4 the shift is.
enum class Perm { kIdentity, kShift, kReverse };
std::vector<int64_t> perm_of(Perm perm, int64_t n);
// A + (2n + 2) P with P[i][perm[i]] = 1: strictly diagonally dominant up to
// the row order, so LU's partial pivoting picks the same rows all around the
// sample (a margin of about 2n over every other candidate) and the matrix
// is well conditioned; with a non-identity perm the pivots are not trivial.
Tensor dominant(const Tensor& a, Perm perm);
Mat dominant_mat(const Mat& a, Perm perm);
// (A + A^T) / 8 + diag(0, 3, 6, ...): symmetric with eigenvalues about 3
// apart (the perturbation's norm is below 1 for the database's sizes), so
// eigenvectors are smooth and near the unit vectors (their diagonal entries
// are far from 0: a smooth sign choice).
Tensor separated_sym(const Tensor& a);
Mat separated_sym_mat(const Mat& a);
// A / 4 + D, D[i][i] = 3 (k - i) for i < k = min(m, n): singular values
// about 3 apart and at least about 2, descending along the diagonal, so the
// singular vectors are smooth and U[j][j] is far from 0.
Tensor separated_rect(const Tensor& a);
Mat separated_rect_mat(const Mat& a);
// 0.5 A + (n + 1) I: both triangles well conditioned (also with a unit
// diagonal, where the off-diagonal entries are at most 1).
Tensor triangular_base(const Tensor& a);
Mat triangular_base_mat(const Mat& a);

// ---- layout ----
// x's values in a column-major layout (a transposed view of a copy): what
// a "noncontig" sample hands the decomposition when its op builds the
// matrix (a built matrix is contiguous, so the raw input's layout would not
// reach the kernel). The identity as a function.
Tensor col_major(const Tensor& x);
Tensor mT(const Tensor& x);
// (..., a, b) -> (..., a * b).
Tensor flat2(const Tensor& x);
// x scaled by signs along its columns (s: (..., cols)) or rows.
Tensor scale_cols(const Tensor& x, const Tensor& s);
Tensor scale_rows(const Tensor& x, const Tensor& s);
// The values of several matrices and vectors, one after another (a
// reference's packed result; see OpInfo: REVERSED order is the caller's).
Mat concat_mats(const std::vector<Mat>& parts);
Mat row_of(const std::vector<double>& values);

// ---- samples ----
// A one-input op whose built matrix is handed over column-major when
// strided, and its reference.
using StridedFn = std::function<Tensor(const Tensor&, bool strided)>;
using MatRef = std::function<Mat(const Mat&)>;
// The reference of an entry mapping each (m, n) matrix to `trailing`
// values (computed from the input's matrix shape).
using TrailingFn = std::function<Shape(int64_t m, int64_t n)>;
RefFn matrix_reference(const MatRef& f, const TrailingFn& trailing);

// Samples of a one-input op on square matrices: 3x3, 4x4, 1x1, batched
// (2, 3, 3) and (2, 1, 2, 2), a transposed input handed over column-major
// (3x3 and (2, 4, 4)), and a batch of none (0, 3, 3). `scalar` tags the
// unbatched samples "scalar" (a 0-d result). `brief` keeps 3x3, one batched
// and one noncontig sample (for a second variant of an entry).
struct SquareSpec {
  std::string desc;
  StridedFn op;
  RefFn reference;
  bool scalar = false;
  bool brief = false;
};
// A spec whose op is f of the matrix build(A) (handed over column-major
// when strided) and whose reference is ref of build_mat(A).
SquareSpec built_spec(std::string desc,
                      std::function<Tensor(const Tensor&)> build,
                      std::function<Mat(const Mat&)> build_mat,
                      std::function<Tensor(const Tensor&)> f, MatRef ref,
                      TrailingFn trailing);
Samples square_samples(const SquareSpec& spec, DType d, Generator& g);
// The same over shapes given in full (rectangular inputs).
Samples shaped_samples(const SquareSpec& spec, DType d, Generator& g,
                       const std::vector<Shape>& basic,
                       const std::vector<Shape>& noncontig,
                       const std::vector<Shape>& zero_size);

// The samples of an op on dominant() matrices: square_samples with the
// rows in place, a brief set with them reversed (odd for 3x3), and 4x4 and
// (2, 4, 4) ones with them shifted (odd for 4x4), so that pivoting and
// negative determinants are exercised.
Samples permuted_samples(const std::function<SquareSpec(Perm)>& spec_of,
                         DType d, Generator& g);

// A two-input entry (family "linalg", float32 and float64, differentiable in
// both inputs, decomposition tolerances, no 0-d case).
OpInfo pair_entry(std::string name, Impl impl, OpFn op, RefFn reference,
                  std::function<Samples(DType, Generator&)> samples);

// An entry whose op and reference are those of the given spec (the
// defaults; samples carry their own), family "linalg", float32 and float64,
// differentiable in input 0, with decomposition tolerances.
OpInfo decomp_entry(std::string name, Impl impl, const SquareSpec& spec);

// The families of entries, one per file.
void add_matrix_helper_ops(std::vector<OpInfo>& db);  // diagonal, tril...
void add_spectral_ops(std::vector<OpInfo>& db);       // qr, eigh, svd...
void add_decomp_solver_ops(std::vector<OpInfo>& db);  // solve, inv, det...

}  // namespace fnx::opinfo
