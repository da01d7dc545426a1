// Derivatives of the Linalg primitives, forward (tangent in, tangent out)
// and reverse (cotangent in, cotangents out), side by side. grad and jvp
// register thin rules over them. Everything is written in public ops, so
// every order of derivative and every composition with vmap works.
//
// Conventions: batch dims lead; `packed` results are unpacked with
// core/ops/linalg_parts.h. Cholesky and Eigh read one triangle of their
// input, so their derivatives are taken with respect to that triangle: the
// tangent of the symmetric matrix they see is tri(dA) + tri(dA, strict)^T,
// and the cotangent goes back to the triangle as G + G^T off the diagonal.
// Eigh and Svd guard repeated values (LinalgAttrs::degenerate_tolerance).
//
// Header-only: each plugin (static or shared object) compiles its own copy.
#pragma once

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/dispatch.h"
#include "core/error.h"
#include "core/ops/linalg_parts.h"
#include "core/ops/ops.h"

namespace fnx::linalg_derivatives {

inline Tensor mT(const Tensor& x) { return transpose(x, -1, -2); }

inline int64_t rows(const Tensor& x) { return x.shape()[x.dim() - 2]; }
inline int64_t cols(const Tensor& x) { return x.shape().back(); }

inline std::vector<Shape> parts_of(Prim prim, const LinalgAttrs& attrs,
                                   const Shape& matrix) {
  const std::size_t r = matrix.size();
  return linalg_parts(prim, attrs, matrix[r - 2], matrix[r - 1]);
}
inline std::vector<Shape> parts_of(Prim prim, const LinalgAttrs& attrs,
                                   const Tensor& matrix) {
  return parts_of(prim, attrs, matrix.shape());
}

// The triangular_solve primitive on operands with equal batch dims.
inline Tensor trsm(const Tensor& a, const Tensor& b, bool upper, bool left,
                   bool transpose_a, bool unit = false) {
  LinalgAttrs attrs;
  attrs.upper = upper;
  attrs.left = left;
  attrs.transpose = transpose_a;
  attrs.unit_diagonal = unit;
  return dispatch(Prim::TriangularSolve, attrs, {a, b});
}

// The symmetric matrix a one-triangle op sees when its input moves by t.
inline Tensor symmetric_from_triangle(const Tensor& t, bool upper) {
  return upper ? triu(t) + mT(triu(t, 1)) : tril(t) + mT(tril(t, -1));
}

// The transpose of symmetric_from_triangle.
inline Tensor triangle_cotangent(const Tensor& g, bool upper) {
  const Tensor both = g + mT(g);
  const Tensor off = upper ? triu(both, 1) : tril(both, -1);
  return off + diag_embed(diagonal(g));
}

// tril(x) with its diagonal halved (the Cholesky derivative's Phi).
inline Tensor phi(const Tensor& x) {
  return tril(x) - 0.5 * diag_embed(diagonal(x));
}

inline double eps_of(DType dtype) {
  return dtype == DType::Float64 ? std::numeric_limits<double>::epsilon()
                                 : std::numeric_limits<float>::epsilon();
}

// For values w (..., k) (eigenvalues, or squared singular values): the
// differences D_ij = w_j - w_i, the pairs i != j that count as repeated
// (|D| at or below the tolerance, or a few ulps of max |w| by default), and
// F_ij = 1 / D_ij off the diagonal and off repeated pairs, 0 there.
struct Gaps {
  Tensor inverse, repeated;
};
inline Gaps inverse_gaps(const Tensor& w, double tolerance) {
  const int64_t k = w.shape().back();
  const Tensor d = unsqueeze(w, -2) - unsqueeze(w, -1);
  Tensor threshold;
  if (tolerance >= 0) {
    threshold = full({}, tolerance, w.dtype(), w.device());
  } else {
    const double ulps =
        8.0 * static_cast<double>(std::max<int64_t>(k, 1)) * eps_of(w.dtype());
    threshold = unsqueeze(ulps * amax(abs(w), {-1}, true), -1);
  }
  const Tensor off_diagonal =
      logical_not(cast(eye(k, DType::Float32, w.device()), DType::Bool));
  const Tensor repeated = logical_and(abs(d) <= threshold, off_diagonal);
  const Tensor zero = logical_or(repeated, logical_not(off_diagonal));
  const Tensor safe = where(zero, ones_like(d), d);
  return {where(zero, zeros_like(d), 1.0 / safe), repeated};
}

// Reverse mode at repeated values: the part `basis` (..., k, k) of the
// cotangent that would be divided by a zero gap must vanish (the loss does
// not depend on the basis chosen inside the repeated subspace) relative to
// `scale` (..., 1, 1), the size of the cotangent's terms, or the
// derivative is undefined: an fnx::Error naming the batch index. With a
// tolerance (>= 0) the user accepted dropping that part instead.
inline void check_basis_independent(std::string_view op, const Gaps& gaps,
                                    const Tensor& basis, const Tensor& scale,
                                    double tolerance) {
  if (tolerance >= 0) return;
  // Rounding leaves about eps * scale where the exact value is zero.
  const double rel = std::sqrt(eps_of(basis.dtype()));
  const Tensor dependent = logical_and(gaps.repeated, abs(basis) > rel * scale);
  assert_all(
      logical_not(dependent),
      "[" + std::string(op) +
          "] the derivative is undefined: the loss depends on the choice of "
          "basis inside the subspace of a repeated " +
          (op == "eigh" ? "eigenvalue" : "singular value") +
          " (it is not invariant to rotations there). Make the loss depend "
          "on the values or on whole subspaces only, or set "
          "degenerate_tolerance (EighOptions / SvdOptions) to drop that part",
      basis.dim() - 2);
}

// ---------------- cholesky ----------------

inline Tensor lower_factor(const Tensor& factor, bool upper) {
  return upper ? mT(factor) : factor;
}

// dL = L Phi(L^-1 dS L^-T).
inline Tensor cholesky_jvp(const LinalgAttrs& a, const Tensor& da,
                           const Tensor& factor) {
  const Tensor l = lower_factor(factor, a.upper);
  const Tensor x = trsm(l, symmetric_from_triangle(da, a.upper), false, true,
                        false);                             // L^-1 dS
  const Tensor m = mT(trsm(l, mT(x), false, true, false));  // x L^-T
  const Tensor dl = matmul(l, phi(m));
  return a.upper ? mT(dl) : dl;
}

// dS-cotangent G = L^-T Phi(L^T gL) L^-1, back onto the triangle.
inline Tensor cholesky_vjp(const LinalgAttrs& a, const Tensor& g,
                           const Tensor& factor) {
  const Tensor l = lower_factor(factor, a.upper);
  const Tensor gl = lower_factor(g, a.upper);
  const Tensor p = phi(matmul(mT(l), gl));
  const Tensor z = trsm(l, p, false, true, true);           // L^-T P
  const Tensor gs = mT(trsm(l, mT(z), false, true, true));  // z L^-1
  return triangle_cotangent(gs, a.upper);
}

// ---------------- triangular_solve ----------------

// The part of a that the solve reads.
inline Tensor read_triangle(const LinalgAttrs& a, const Tensor& t) {
  const int64_t strict = a.unit_diagonal ? 1 : 0;
  return a.upper ? triu(t, strict) : tril(t, -strict);
}

// dX = op(T)^-1 (dB - op(dT) X) (left), (dB - X op(dT)) op(T)^-1 (right).
inline Tensor triangular_solve_jvp(const LinalgAttrs& a, const Tensor& m,
                                   const Tensor& dm, const Tensor& db,
                                   const Tensor& x) {
  Tensor rhs = db;
  if (dm.defined()) {
    Tensor dt = read_triangle(a, dm);
    if (a.transpose) dt = mT(dt);
    const Tensor term = a.left ? matmul(dt, x) : matmul(x, dt);
    rhs = rhs.defined() ? rhs - term : -term;
  }
  return dispatch(Prim::TriangularSolve, a, {m, rhs});
}

struct SolveCotangents {
  Tensor a, b;
};
inline SolveCotangents triangular_solve_vjp(const LinalgAttrs& a,
                                            const Tensor& m, const Tensor& g,
                                            const Tensor& x, bool need_a) {
  LinalgAttrs transposed = a;
  transposed.transpose = !a.transpose;
  const Tensor gb = dispatch(Prim::TriangularSolve, transposed, {m, g});
  if (!need_a) return {Tensor(), gb};
  Tensor gop = a.left ? -matmul(gb, mT(x)) : -matmul(mT(x), gb);
  if (a.transpose) gop = mT(gop);
  return {read_triangle(a, gop), gb};
}

// ---------------- lu ----------------

// P as a matrix: P[i][j] = (perm[i] == j), so that P A = L U.
inline Tensor permutation_matrix(const Tensor& perm, DType dtype) {
  const int64_t n = perm.shape().back();
  return cast(eq(unsqueeze(perm, -1),
                 cast(arange(n, DType::Int64, perm.device()), perm.dtype())),
              dtype);
}

inline Tensor lu_jvp(const Tensor& da, const Tensor& a, const Tensor& packed) {
  const std::vector<Shape> shapes = parts_of(Prim::Lu, {}, a);
  const std::vector<Tensor> p = unpack_parts(packed, shapes);
  const Tensor& lu = p[0];
  const int64_t n = cols(a);
  const Tensor l = tril(lu, -1) + eye(n, a.dtype(), a.device());
  const Tensor u = triu(lu);
  const Tensor dap = matmul(permutation_matrix(p[2], a.dtype()), da);
  const Tensor x = trsm(lu, dap, false, true, false, true);  // L^-1 P dA
  const Tensor y = trsm(lu, x, true, false, false);          // x U^-1
  const Tensor dlu = matmul(l, tril(y, -1)) + matmul(triu(y), u);
  const Tensor parts[] = {dlu, Tensor(), Tensor()};
  return pack_parts(parts, shapes, a);
}

// A-cotangent = P^T L^-T [tril(L^T gL, -1) + triu(gU U^T)] U^-T.
// (Reverse rules take the input's shape: they do not keep the input.)
inline Tensor lu_vjp(const Tensor& g, const Shape& a, const Tensor& packed) {
  const std::vector<Shape> shapes = parts_of(Prim::Lu, {}, a);
  const std::vector<Tensor> p = unpack_parts(packed, shapes);
  const Tensor& lu = p[0];
  const Tensor glu = unpack_parts(g, shapes)[0];
  const int64_t n = a.back();
  const Tensor l = tril(lu, -1) + eye(n, lu.dtype(), lu.device());
  const Tensor u = triu(lu);
  const Tensor m =
      tril(matmul(mT(l), tril(glu, -1)), -1) + triu(matmul(triu(glu), mT(u)));
  const Tensor mu = trsm(lu, m, true, false, true);        // m U^-T
  const Tensor k = trsm(lu, mu, false, true, true, true);  // L^-T mu
  return matmul(mT(permutation_matrix(p[2], lu.dtype())), k);
}

// ---------------- qr ----------------

inline void check_qr_derivative(const LinalgAttrs& a, const Tensor& m) {
  FNX_CHECK(!a.full_matrices || rows(m) <= cols(m), "qr",
            "derivatives of the complete QR of a tall matrix (shape ",
            shape_str(m.shape()),
            ") are not defined: Q's extra columns are arbitrary; use "
            "QrMode::kReduced");
}

// Square or tall (m >= n), reduced: with B = dA R^-1, C = Q^T B and
// W = tril(C, -1) - tril(C, -1)^T: dQ = Q (W - C) + B, dR = (C - W) R.
inline void qr_tall_jvp(const Tensor& da, const Tensor& q, const Tensor& r,
                        Tensor& dq, Tensor& dr) {
  const Tensor b = trsm(r, da, true, false, false);
  const Tensor c = matmul(mT(q), b);
  const Tensor low = tril(c, -1);
  const Tensor w = low - mT(low);
  dq = matmul(q, w - c) + b;
  dr = matmul(c - w, r);
}

inline Tensor qr_tall_vjp(const Tensor& gq, const Tensor& gr, const Tensor& q,
                          const Tensor& r) {
  const Tensor m = matmul(gr, mT(r)) - matmul(mT(q), gq);
  const Tensor n = m - tril(m - mT(m), -1);
  return trsm(r, gq + matmul(q, n), true, false, true);  // (...) R^-T
}

inline Tensor qr_jvp(const LinalgAttrs& a, const Tensor& da, const Tensor& m,
                     const Tensor& packed) {
  check_qr_derivative(a, m);
  const std::vector<Shape> shapes = parts_of(Prim::Qr, a, m);
  const std::vector<Tensor> p = unpack_parts(packed, shapes);
  const Tensor &q = p[0], &r = p[1];
  const int64_t rm = rows(m), cn = cols(m);
  Tensor dq, dr;
  if (rm >= cn) {
    qr_tall_jvp(da, q, r, dq, dr);
  } else {
    // Wide: A = [X Y], Q R1 = X, R = [R1, Q^T Y].
    Tensor dr1;
    qr_tall_jvp(narrow(da, -1, 0, rm), q, narrow(r, -1, 0, rm), dq, dr1);
    const Tensor y = narrow(m, -1, rm, cn - rm);
    const Tensor dr2 =
        matmul(mT(dq), y) + matmul(mT(q), narrow(da, -1, rm, cn - rm));
    dr = cat({dr1, dr2}, -1);
  }
  const Tensor parts[] = {dq, dr};
  return pack_parts(parts, shapes, m);
}

inline Tensor qr_vjp(const LinalgAttrs& a, const Tensor& g, const Tensor& m,
                     const Tensor& packed) {
  check_qr_derivative(a, m);
  const std::vector<Shape> shapes = parts_of(Prim::Qr, a, m);
  const std::vector<Tensor> p = unpack_parts(packed, shapes);
  const std::vector<Tensor> gp = unpack_parts(g, shapes);
  const Tensor &q = p[0], &r = p[1];
  const int64_t rm = rows(m), cn = cols(m);
  if (rm >= cn) return qr_tall_vjp(gp[0], gp[1], q, r);
  const Tensor y = narrow(m, -1, rm, cn - rm);
  const Tensor gr2 = narrow(gp[1], -1, rm, cn - rm);
  const Tensor gy = matmul(q, gr2);
  const Tensor gq = gp[0] + matmul(y, mT(gr2));
  const Tensor gx =
      qr_tall_vjp(gq, narrow(gp[1], -1, 0, rm), q, narrow(r, -1, 0, rm));
  return cat({gx, gy}, -1);
}

// ---------------- eigh ----------------

// dw = diag(V^T dS V), dV = V (F o V^T dS V).
inline Tensor eigh_jvp(const LinalgAttrs& a, const Tensor& da, const Tensor& m,
                       const Tensor& packed) {
  const std::vector<Shape> shapes = parts_of(Prim::Eigh, a, m);
  const std::vector<Tensor> p = unpack_parts(packed, shapes);
  const Tensor &w = p[0], &v = p[1];
  const Tensor e =
      matmul(matmul(mT(v), symmetric_from_triangle(da, a.upper)), v);
  const Gaps gaps = inverse_gaps(w, a.degenerate_tolerance);
  const Tensor parts[] = {diagonal(e), matmul(v, gaps.inverse * e)};
  return pack_parts(parts, shapes, m);
}

// dS-cotangent V (diag(gw) + F o V^T gV) V^T, back onto the triangle.
inline Tensor eigh_vjp(const LinalgAttrs& a, const Tensor& g, const Shape& m,
                       const Tensor& packed) {
  const std::vector<Shape> shapes = parts_of(Prim::Eigh, a, m);
  const std::vector<Tensor> p = unpack_parts(packed, shapes);
  const std::vector<Tensor> gp = unpack_parts(g, shapes);
  const Tensor &w = p[0], &v = p[1];
  const Tensor e = matmul(mT(v), gp[1]);
  const Gaps gaps = inverse_gaps(w, a.degenerate_tolerance);
  // Only the antisymmetric part of e is divided by the gaps.
  check_basis_independent("eigh", gaps, 0.5 * (e - mT(e)),
                          amax(abs(e), {-2, -1}, true), a.degenerate_tolerance);
  const Tensor inner = diag_embed(gp[0]) + gaps.inverse * e;
  return triangle_cotangent(matmul(matmul(v, inner), mT(v)), a.upper);
}

// ---------------- svd ----------------

inline void check_svd_derivative(const LinalgAttrs& a, const Shape& m) {
  FNX_CHECK(!a.full_matrices || m[m.size() - 2] == m.back(), "svd",
            "derivatives of the full SVD of a non-square matrix (shape ",
            shape_str(m),
            ") are not defined: the extra singular vectors are arbitrary; "
            "use full_matrices = false");
}

// JAX's svd_jvp_rule, real case.
inline Tensor svd_jvp(const LinalgAttrs& a, const Tensor& da, const Tensor& m,
                      const Tensor& packed) {
  check_svd_derivative(a, m.shape());
  const std::vector<Shape> shapes = parts_of(Prim::Svd, a, m);
  const std::vector<Tensor> p = unpack_parts(packed, shapes);
  const Tensor &u = p[0], &s = p[1], &vh = p[2];
  const Tensor v = mT(vh);
  const Tensor ds = matmul(matmul(mT(u), da), v);
  const Tensor s_row = unsqueeze(s, -2);  // s_j at (i, j)
  const Tensor s_col = unsqueeze(s, -1);  // s_i at (i, j)
  const Gaps gaps = inverse_gaps(s * s, a.degenerate_tolerance);
  const Tensor dss = ds * s_row, sds = s_col * ds;
  Tensor du = matmul(u, gaps.inverse * (dss + mT(dss)));
  Tensor dv = matmul(v, gaps.inverse * (sds + mT(sds)));
  const int64_t rm = rows(m), cn = cols(m);
  if (rm > cn) {
    const Tensor dav = matmul(da, v);
    du = du + (dav - matmul(u, matmul(mT(u), dav))) / s_row;
  } else if (cn > rm) {
    const Tensor dahu = matmul(mT(da), u);
    dv = dv + (dahu - matmul(v, matmul(mT(v), dahu))) / s_row;
  }
  const Tensor parts[] = {du, diagonal(ds), mT(dv)};
  return pack_parts(parts, shapes, m);
}

// torch's svd_backward, real case.
inline Tensor svd_vjp(const LinalgAttrs& a, const Tensor& g, const Shape& m,
                      const Tensor& packed) {
  check_svd_derivative(a, m);
  const std::vector<Shape> shapes = parts_of(Prim::Svd, a, m);
  const std::vector<Tensor> p = unpack_parts(packed, shapes);
  const std::vector<Tensor> gp = unpack_parts(g, shapes);
  const Tensor &u = p[0], &s = p[1], &vh = p[2];
  const Tensor &gu = gp[0], &gs = gp[1];
  const Tensor gv = mT(gp[2]);
  const Tensor uhgu = matmul(mT(u), gu);
  const Tensor vhgv = matmul(vh, gv);
  const Tensor sk_u = uhgu - mT(uhgu), sk_v = vhgv - mT(vhgv);
  const Tensor s_row = unsqueeze(s, -2), s_col = unsqueeze(s, -1);
  const Gaps gaps = inverse_gaps(s * s, a.degenerate_tolerance);
  const Tensor numerator = sk_u * s_row + s_col * sk_v;
  const Tensor s_max = unsqueeze(amax(s, {-1}, true), -1);
  const Tensor scale =
      (amax(abs(uhgu), {-2, -1}, true) + amax(abs(vhgv), {-2, -1}, true)) *
      s_max;
  check_basis_independent("svd", gaps, numerator, scale,
                          a.degenerate_tolerance);
  const Tensor core = numerator * gaps.inverse + diag_embed(gs);
  const int64_t rm = m[m.size() - 2], cn = m.back();
  if (rm > cn) {
    // [U core + (I - U U^T) gU S^-1] Vh
    const Tensor gu_sinv = gu / s_row;
    const Tensor left =
        matmul(u, core) + gu_sinv - matmul(u, matmul(mT(u), gu_sinv));
    return matmul(left, vh);
  }
  if (cn > rm) {
    // U [core Vh + S^-1 gV^T (I - V Vh)]
    const Tensor sinv_gvh = mT(gv) / s_col;
    const Tensor right =
        matmul(core, vh) + sinv_gvh - matmul(matmul(sinv_gvh, mT(vh)), vh);
    return matmul(u, right);
  }
  return matmul(matmul(u, core), vh);
}

}  // namespace fnx::linalg_derivatives
