// Composites on the decompositions: solve, inv, det, logdet, cholesky_solve,
// lstsq, pinv, matrix_norm, matrix_power. Written in public ops only, so
// every transform differentiates and batches them through the
// decompositions' rules; det and logdet through slogdet's own rules
// (linalg_slogdet.cc).
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "core/error.h"
#include "core/ops/linalg_internal.h"
#include "core/ops/ops.h"

namespace fnx::linalg {
using namespace linalg_internal;
namespace {

Tensor mT(const Tensor& x) { return transpose(x, -1, -2); }

// b as a matrix: a vector right-hand side (..., n) of a (..., n, n) system
// is a column, as torch.linalg.solve decides (b.dim() == 1, or b's shape is
// a's without the last dim).
bool is_vector_rhs(const Tensor& a, const Tensor& b) {
  if (b.dim() == 1) return true;
  if (b.dim() != a.dim() - 1) return false;
  return std::equal(b.shape().begin(), b.shape().end(), a.shape().begin());
}

// info: 1 + the first zero pivot of U, or 0.
Tensor singular_info(const Tensor& lu_matrix) {
  return first_true_plus_one(
      eq(diagonal(lu_matrix), 0.0 * diagonal(lu_matrix)));
}

void assert_nonsingular(std::string_view op, const Tensor& lu_matrix) {
  assert_all(
      ne(diagonal(lu_matrix), zeros({}, lu_matrix.dtype(), lu_matrix.device())),
      "[" + std::string(op) +
          "] the matrix is singular (U of its LU factorization has a "
          "zero pivot); use " +
          std::string(op) + "_ex for an info tensor, or lstsq / pinv",
      lu_matrix.dim() - 2);
}

Tensor solve_with(const LuFactorResult& f, const Tensor& a, const Tensor& b) {
  if (is_vector_rhs(a, b)) return squeeze(lu_solve(f, unsqueeze(b, -1)), -1);
  return lu_solve(f, b);
}

Tensor identity_like(const Tensor& a) {
  const int64_t n = a.shape().back();
  return broadcast_to(eye(n, a.dtype(), a.device()), a.shape());
}

// solve's own checks of b, before any work: rows, then batch dims.
void check_solve_rhs(const Tensor& a, const Tensor& b) {
  FNX_CHECK(b.defined() && b.dim() >= 1, "solve",
            "the right-hand side must have rank >= 1");
  const Tensor rhs = is_vector_rhs(a, b) ? unsqueeze(b, -1) : b;
  FNX_CHECK(rhs.dim() >= 2, "solve", "the right-hand side of shape ",
            shape_str(b.shape()), " is neither a vector of length ",
            a.shape().back(), " nor a matrix");
  check_rhs("solve", a, rhs, true);
  broadcast_batch("solve", a, rhs);
}

}  // namespace

Tensor solve(const Tensor& a, const Tensor& b) {
  check_input("solve", a, true);
  check_solve_rhs(a, b);
  const LuFactorResult f = lu_factor(a);
  assert_nonsingular("solve", f.LU);
  return solve_with(f, a, b);
}

SolveExResult solve_ex(const Tensor& a, const Tensor& b) {
  check_input("solve", a, true);
  check_solve_rhs(a, b);
  const LuFactorResult f = lu_factor(a);
  return {solve_with(f, a, b), singular_info(f.LU)};
}

Tensor inv(const Tensor& a) {
  check_input("inv", a, true);
  const LuFactorResult f = lu_factor(a);
  assert_nonsingular("inv", f.LU);
  return lu_solve(f, identity_like(a));
}

SolveExResult inv_ex(const Tensor& a) {
  check_input("inv", a, true);
  const LuFactorResult f = lu_factor(a);
  return {lu_solve(f, identity_like(a)), singular_info(f.LU)};
}

Tensor det(const Tensor& a) {
  check_input("det", a, true);
  const SlogdetResult s = slogdet(a);
  return s.sign * exp(s.logabsdet);
}

Tensor logdet(const Tensor& a) {
  check_input("logdet", a, true);
  const SlogdetResult s = slogdet(a);
  // log(-1) is NaN and log(0) is -inf, as torch.logdet.
  return s.logabsdet + log(s.sign);
}

Tensor cholesky_solve(const Tensor& b, const Tensor& factor, bool upper) {
  check_input("cholesky_solve", factor, true);
  check_input("cholesky_solve", b, false);
  TriangularSolveOptions first, second;
  first.upper = second.upper = upper;
  // L L^T X = B: L Y = B, then L^T X = Y. Upper: U^T Y = B, then U X = Y.
  (upper ? first : second).transpose = true;
  return solve_triangular(factor, solve_triangular(factor, b, first), second);
}

Tensor lstsq(const Tensor& a, const Tensor& b) {
  check_input("lstsq", a, false);
  FNX_CHECK(b.defined() && b.dim() >= 1, "lstsq",
            "the right-hand side must have rank >= 1");
  const int64_t m = a.shape()[a.dim() - 2], n = a.shape().back();
  const bool vector = b.dim() == a.dim() - 1;
  const Tensor rhs = vector ? unsqueeze(b, -1) : b;
  FNX_CHECK(rhs.shape()[rhs.dim() - 2] == m, "lstsq", "a has ", m,
            " rows but the right-hand side has shape ", shape_str(b.shape()));
  TriangularSolveOptions upper;
  upper.upper = true;
  Tensor x;
  if (m >= n) {
    // A = Q R: X = R^-1 Q^T B.
    const QrResult f = qr(a);
    x = solve_triangular(f.R, matmul(mT(f.Q), rhs), upper);
  } else {
    // Minimum norm: A^T = Q R, X = Q R^-T B.
    const QrResult f = qr(mT(a));
    upper.transpose = true;
    x = matmul(f.Q, solve_triangular(f.R, rhs, upper));
  }
  return vector ? squeeze(x, -1) : x;
}

Tensor pinv(const Tensor& a, double rtol) {
  check_input("pinv", a, false);
  const int64_t m = a.shape()[a.dim() - 2], n = a.shape().back();
  if (rtol < 0) {
    const double eps = a.dtype() == DType::Float64
                           ? std::numeric_limits<double>::epsilon()
                           : std::numeric_limits<float>::epsilon();
    rtol = static_cast<double>(std::max(m, n)) * eps;
  }
  SvdOptions options;
  options.full_matrices = false;
  const SvdResult f = svd(a, options);
  const Tensor cutoff = rtol * amax(f.S, {-1}, true);
  const Tensor kept = f.S > cutoff;
  // The unkept branch never divides by zero, so its zero cotangent stays 0.
  const Tensor safe = where(kept, f.S, ones_like(f.S));
  const Tensor s_inv = where(kept, 1.0 / safe, zeros_like(f.S));
  return matmul(mT(f.Vh) * unsqueeze(s_inv, -2), mT(f.U));
}

Tensor matrix_norm(const Tensor& a, std::string_view ord) {
  check_input("matrix_norm", a, false);
  if (ord == "fro") return sqrt(sum(a * a, {-2, -1}));
  FNX_CHECK(ord == "nuc" || ord == "2" || ord == "-2", "matrix_norm",
            "unknown ord \"", ord, "\"; use \"fro\", \"nuc\", \"2\" or \"-2\"");
  const Tensor s = svdvals(a);
  if (ord == "nuc") return sum(s, {-1});
  const int64_t k = s.shape().back();
  FNX_CHECK(k > 0, "matrix_norm", "ord ", ord, " of an empty matrix, shape ",
            shape_str(a.shape()));
  return select(s, -1, ord == "2" ? 0 : k - 1);
}

Tensor matrix_power(const Tensor& a, int64_t n) {
  check_input("matrix_power", a, true);
  if (n == 0) return clone(identity_like(a));
  Tensor base = n < 0 ? inv(a) : a;
  uint64_t e =
      n < 0 ? static_cast<uint64_t>(-(n + 1)) + 1 : static_cast<uint64_t>(n);
  Tensor result;
  // Binary powering: about log2(n) products.
  while (e > 0) {
    if (e & 1) result = result.defined() ? matmul(result, base) : base;
    e >>= 1;
    if (e > 0) base = matmul(base, base);
  }
  return result;
}

}  // namespace fnx::linalg
