// Front ends of the Linalg primitives: argument checks, batch broadcasting,
// unpacking of the packed results, and the value checks (a matrix that is
// not positive definite) through assert_all, so that they name the batch
// index under vmap too. The *_ex variants return the info tensor instead.
#include <algorithm>

#include "core/dispatch.h"
#include "core/error.h"
#include "core/ops/linalg_internal.h"
#include "core/ops/linalg_parts.h"
#include "core/ops/ops.h"

namespace fnx {
namespace linalg_internal {

void check_input(std::string_view op, const Tensor& a, bool square) {
  FNX_CHECK(a.defined(), op, "got an undefined tensor");
  FNX_CHECK(a.dim() >= 2, op, "expects a matrix or a batch of matrices (rank ",
            ">= 2), got shape ", shape_str(a.shape()),
            a.dim() == 1 ? "; reshape a vector into a column (n, 1)" : "");
  FNX_CHECK(is_floating(a.dtype()), op, "expects float32 or float64, got ",
            dtype_name(a.dtype()), "; cast it with to(DType::Float32)");
  if (square) {
    const int64_t m = a.shape()[a.dim() - 2], n = a.shape().back();
    FNX_CHECK(m == n, op, "expects square matrices, got shape ",
              shape_str(a.shape()), " (", m, "x", n, ")",
              op == "solve" || op == "inv" ? "; use lstsq or pinv" : "");
  }
}

Shape batch_of(const Tensor& a) {
  return Shape(a.shape().begin(), a.shape().end() - 2);
}

std::pair<Tensor, Tensor> broadcast_batch(std::string_view op, const Tensor& a,
                                          const Tensor& b) {
  const DType dtype = promote_types(a.dtype(), b.dtype());
  const Shape ba = batch_of(a), bb = batch_of(b);
  Shape batch;
  try {
    batch = broadcast_shapes(ba, bb, op);
  } catch (const Error&) {
    fail(op, "the batch dims of shapes ", shape_str(a.shape()), " and ",
         shape_str(b.shape()), " do not broadcast");
  }
  auto full_shape = [&](const Tensor& t) {
    Shape s = batch;
    s.push_back(t.shape()[t.dim() - 2]);
    s.push_back(t.shape().back());
    return s;
  };
  return {broadcast_to(cast(a, dtype), full_shape(a)),
          broadcast_to(cast(b, dtype), full_shape(b))};
}

void check_rhs(std::string_view op, const Tensor& a, const Tensor& b,
               bool left) {
  const int64_t n = a.shape().back();
  const int64_t side = b.shape()[b.dim() - (left ? 2 : 1)];
  FNX_CHECK(side == n, op, "a ", n, "x", n, " matrix cannot ",
            left ? "left" : "right", "-solve a right-hand side of shape ",
            shape_str(b.shape()), " (", left ? "rows" : "columns", " ", side,
            " != ", n, ")");
}

Tensor first_true_plus_one(const Tensor& bad) {
  const Tensor as_int = cast(bad, DType::Int32);
  const Tensor first = cast(argmax(as_int, -1), DType::Int32) + 1.0;
  return where(amax(as_int, {-1}) > 0.0, first,
               zeros({}, DType::Int32, bad.device()));
}

Tensor solve_pivoted(const Tensor& lu, const Tensor& pb) {
  linalg::TriangularSolveOptions lower;
  lower.unit_diagonal = true;
  linalg::TriangularSolveOptions upper;
  upper.upper = true;
  return linalg::solve_triangular(lu, linalg::solve_triangular(lu, pb, lower),
                                  upper);
}

Tensor linalg_call(Prim prim, const LinalgAttrs& attrs, const Tensor& a) {
  return dispatch(prim, attrs, {a});
}

std::vector<Tensor> linalg_parts_of(Prim prim, const LinalgAttrs& attrs,
                                    const Tensor& a) {
  const Tensor packed = linalg_call(prim, attrs, a);
  const std::vector<Shape> parts =
      linalg_parts(prim, attrs, a.shape()[a.dim() - 2], a.shape().back());
  return unpack_parts(packed, parts);
}

}  // namespace linalg_internal

namespace linalg {
using namespace linalg_internal;

CholeskyExResult cholesky_ex(const Tensor& a, bool upper) {
  check_input("cholesky", a, true);
  LinalgAttrs attrs;
  attrs.upper = upper;
  const Tensor factor = linalg_call(Prim::Cholesky, attrs, a);
  // A failed column and everything after it are NaN: the first diagonal
  // entry that is not positive is the order of the failing minor.
  const Tensor info = first_true_plus_one(logical_not(diagonal(factor) > 0.0));
  return {factor, info};
}

Tensor cholesky(const Tensor& a, bool upper) {
  check_input("cholesky", a, true);
  LinalgAttrs attrs;
  attrs.upper = upper;
  const Tensor factor = linalg_call(Prim::Cholesky, attrs, a);
  assert_all(diagonal(factor) > 0.0,
             "[cholesky] the matrix is not positive definite (a leading "
             "minor is not positive); check its symmetry and conditioning, "
             "or use cholesky_ex for an info tensor",
             a.dim() - 2);
  return factor;
}

Tensor solve_triangular(const Tensor& a, const Tensor& b,
                        const TriangularSolveOptions& options) {
  check_input("solve_triangular", a, true);
  check_input("solve_triangular", b, false);
  check_rhs("solve_triangular", a, b, options.left);
  auto [ab, bb] = broadcast_batch("solve_triangular", a, b);
  LinalgAttrs attrs;
  attrs.upper = options.upper;
  attrs.left = options.left;
  attrs.transpose = options.transpose;
  attrs.unit_diagonal = options.unit_diagonal;
  return dispatch(Prim::TriangularSolve, attrs, {ab, bb});
}

LuFactorResult lu_factor(const Tensor& a) {
  check_input("lu_factor", a, true);
  const std::vector<Tensor> p = linalg_parts_of(Prim::Lu, {}, a);
  return {p[0], cast(p[1], DType::Int32), cast(p[2], DType::Int64)};
}

LuResult lu(const Tensor& a) {
  check_input("lu", a, true);
  const LuFactorResult f = lu_factor(a);
  const int64_t n = a.shape().back();
  // P_rows[i][j] = (perm[i] == j) gives P_rows A = L U; torch's P is its
  // transpose (A = P L U).
  const Tensor p_rows = cast(
      eq(unsqueeze(f.permutation, -1), arange(n, DType::Int64, a.device())),
      a.dtype());
  const Tensor eye_n = eye(n, a.dtype(), a.device());
  return {transpose(p_rows, -1, -2), tril(f.LU, -1) + eye_n, triu(f.LU)};
}

Tensor lu_solve(const LuFactorResult& factor, const Tensor& b) {
  check_input("lu_solve", factor.LU, true);
  check_input("lu_solve", b, false);
  auto [lu_b, bb] = broadcast_batch("lu_solve", factor.LU, b);
  const int64_t n = lu_b.shape().back();
  FNX_CHECK(bb.shape()[bb.dim() - 2] == n, "lu_solve", "the factor is ", n, "x",
            n, " but the right-hand side has shape ", shape_str(b.shape()),
            " (", bb.shape()[bb.dim() - 2], " rows)");
  // Rows of B in the pivoted order (row i of P B is row perm[i] of B).
  Shape perm_shape = batch_of(lu_b);
  perm_shape.push_back(n);
  const Tensor perm = broadcast_to(factor.permutation, perm_shape);
  Shape index_shape = bb.shape();
  const Tensor index = expand(unsqueeze(perm, -1), index_shape);
  return solve_pivoted(lu_b, gather(bb, bb.dim() - 2, index));
}

QrResult qr(const Tensor& a, QrMode mode) {
  check_input("qr", a, false);
  LinalgAttrs attrs;
  attrs.full_matrices = mode == QrMode::kComplete;
  const std::vector<Tensor> p = linalg_parts_of(Prim::Qr, attrs, a);
  if (mode == QrMode::kR) return {Tensor(), p[1]};
  return {p[0], p[1]};
}

EighResult eigh(const Tensor& a, const EighOptions& options) {
  check_input("eigh", a, true);
  LinalgAttrs attrs;
  attrs.upper = options.upper;
  attrs.degenerate_tolerance = options.degenerate_tolerance;
  const std::vector<Tensor> p = linalg_parts_of(Prim::Eigh, attrs, a);
  return {p[0], p[1]};
}

Tensor eigvalsh(const Tensor& a, bool upper) {
  EighOptions options;
  options.upper = upper;
  return eigh(a, options).eigenvalues;
}

SvdResult svd(const Tensor& a, const SvdOptions& options) {
  check_input("svd", a, false);
  LinalgAttrs attrs;
  attrs.full_matrices = options.full_matrices;
  attrs.degenerate_tolerance = options.degenerate_tolerance;
  const std::vector<Tensor> p = linalg_parts_of(Prim::Svd, attrs, a);
  return {p[0], p[1], p[2]};
}

Tensor svdvals(const Tensor& a) {
  SvdOptions options;
  options.full_matrices = false;
  return svd(a, options).S;
}

}  // namespace linalg
}  // namespace fnx
