// The linear-algebra references check themselves by the identities that
// define them (L L^T = A, P A = L U, Q R = A with Q orthonormal, S V = V
// diag(w), U diag(s) Vh = A, ...), on fixed small matrices: an oracle that
// is wrong would otherwise only show as a kernel "failing" against it.
// Needs no kernel: nothing here calls an fnx op.
#include "tests/opinfo/reference_linalg.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace fnx::opinfo {
namespace {

// Deterministic entries in about [-1, 1] with no structure.
Mat some_matrix(int64_t m, int64_t n, int seed) {
  Mat a(m, n);
  for (int64_t i = 0; i < m * n; ++i) {
    a.v[i] = std::sin(1.7 * static_cast<double>(i + 1) + 0.37 * seed);
  }
  return a;
}

::testing::AssertionResult near(const Mat& got, const Mat& want,
                                double tol = 1e-12) {
  if (got.rows != want.rows || got.cols != want.cols) {
    return ::testing::AssertionFailure()
           << got.rows << "x" << got.cols << " vs " << want.rows << "x"
           << want.cols;
  }
  for (size_t i = 0; i < got.v.size(); ++i) {
    if (!(std::abs(got.v[i] - want.v[i]) <= tol)) {
      return ::testing::AssertionFailure()
             << "at " << i << ": " << got.v[i] << " vs " << want.v[i];
    }
  }
  return ::testing::AssertionSuccess();
}

Mat spd(int64_t n, int seed) {
  const Mat a = some_matrix(n, n, seed);
  Mat s = mul_mat(a, transpose_mat(a));
  for (int64_t i = 0; i < n; ++i) s(i, i) += static_cast<double>(n);
  return s;
}

Mat diag_of(const std::vector<double>& d) {
  Mat m(static_cast<int64_t>(d.size()), static_cast<int64_t>(d.size()));
  for (size_t i = 0; i < d.size(); ++i) m(i, i) = d[i];
  return m;
}

TEST(ReferenceLinalg, Cholesky) {
  const Mat s = spd(4, 1);
  const Mat l = cholesky_mat(s, false);
  EXPECT_TRUE(near(mul_mat(l, transpose_mat(l)), s));
  EXPECT_TRUE(near(l, tril_mat(l, 0)));
  const Mat u = cholesky_mat(s, true);
  EXPECT_TRUE(near(u, transpose_mat(l)));
  // Reads one triangle only.
  Mat lower_only = tril_mat(s, 0);
  EXPECT_TRUE(near(cholesky_mat(lower_only, false), l));
  Mat bad(2, 2);
  bad.v = {1, 2, 2, 1};
  EXPECT_TRUE(std::isnan(cholesky_mat(bad, false)(1, 1)));
}

TEST(ReferenceLinalg, TriangularSolveEveryOption) {
  Mat a = some_matrix(3, 3, 2);
  for (int64_t i = 0; i < 3; ++i) a(i, i) += 4;
  for (int bits = 0; bits < 16; ++bits) {
    linalg::TriangularSolveOptions o;
    o.upper = bits & 1;
    o.left = bits & 2;
    o.transpose = bits & 4;
    o.unit_diagonal = bits & 8;
    SCOPED_TRACE(bits);
    const Mat b = o.left ? some_matrix(3, 2, 3) : some_matrix(2, 3, 3);
    Mat t = o.upper ? triu_mat(a, 0) : tril_mat(a, 0);
    if (o.unit_diagonal) {
      for (int64_t i = 0; i < 3; ++i) t(i, i) = 1;
    }
    if (o.transpose) t = transpose_mat(t);
    const Mat x = solve_triangular_mat(a, b, o);
    EXPECT_TRUE(near(o.left ? mul_mat(t, x) : mul_mat(x, t), b));
  }
}

TEST(ReferenceLinalg, LuPivotsLikeLapack) {
  Mat a(3, 3);
  a.v = {1, 2, 3, -4, 5, 6, 4, 8, 9};  // |-4| == |4|: the first one wins
  const LuMat f = lu_mat(a);
  EXPECT_EQ(f.pivots, (std::vector<int64_t>{2, 3, 3}));
  EXPECT_EQ(f.perm[0], 1);
  Mat l = tril_mat(f.lu, -1), u = triu_mat(f.lu, 0);
  for (int64_t i = 0; i < 3; ++i) l(i, i) = 1;
  Mat pa(3, 3);
  for (int64_t i = 0; i < 3; ++i) {
    for (int64_t j = 0; j < 3; ++j) pa(i, j) = a(f.perm[i], j);
  }
  EXPECT_TRUE(near(mul_mat(l, u), pa));
  // det by cofactors: 1(45-48) - 2(-36-24) + 3(-32-20) = -39.
  EXPECT_NEAR(det_mat(a), -39, 1e-12);
  EXPECT_TRUE(near(mul_mat(a, inv_mat(a)), identity_mat(3)));
  const Mat b = some_matrix(3, 2, 4);
  EXPECT_TRUE(near(mul_mat(a, solve_mat(a, b)), b));
  EXPECT_TRUE(near(matrix_power_mat(a, 3), mul_mat(a, mul_mat(a, a))));
  EXPECT_TRUE(near(matrix_power_mat(a, -1), inv_mat(a)));
  EXPECT_TRUE(near(matrix_power_mat(a, 0), identity_mat(3)));
}

TEST(ReferenceLinalg, Qr) {
  for (auto [m, n] : {std::pair<int64_t, int64_t>{5, 3}, {4, 4}, {3, 5}}) {
    for (bool complete : {false, true}) {
      SCOPED_TRACE(std::to_string(m) + "x" + std::to_string(n) +
                   (complete ? " complete" : " reduced"));
      const Mat a = some_matrix(m, n, 5);
      const QrMat f = qr_mat(a, complete);
      const int64_t k = complete ? m : std::min(m, n);
      EXPECT_EQ(f.q.cols, k);
      EXPECT_EQ(f.r.rows, k);
      EXPECT_TRUE(near(mul_mat(f.q, f.r), a));
      EXPECT_TRUE(near(mul_mat(transpose_mat(f.q), f.q), identity_mat(k)));
      EXPECT_TRUE(near(f.r, triu_mat(f.r, 0)));
      for (int64_t j = 0; j < std::min(m, n); ++j) EXPECT_GE(f.r(j, j), 0);
    }
  }
}

TEST(ReferenceLinalg, Eigh) {
  const Mat s = spd(4, 6);
  for (bool upper : {false, true}) {
    const EighMat f = eigh_mat(upper ? triu_mat(s, 0) : tril_mat(s, 0), upper);
    EXPECT_TRUE(near(mul_mat(s, f.vectors),
                     mul_mat(f.vectors, diag_of(f.values)), 1e-11));
    EXPECT_TRUE(
        near(mul_mat(transpose_mat(f.vectors), f.vectors), identity_mat(4)));
    for (int64_t j = 0; j < 4; ++j) {
      EXPECT_GE(f.vectors(j, j), 0);
      if (j > 0) {
        EXPECT_LE(f.values[j - 1], f.values[j]);
      }
    }
  }
}

TEST(ReferenceLinalg, SvdPinvNorms) {
  for (auto [m, n] : {std::pair<int64_t, int64_t>{5, 3}, {4, 4}, {3, 5}}) {
    SCOPED_TRACE(std::to_string(m) + "x" + std::to_string(n));
    const Mat a = some_matrix(m, n, 7);
    const SvdMat f = svd_mat(a);
    const int64_t k = std::min(m, n);
    EXPECT_TRUE(near(mul_mat(mul_mat(f.u, diag_of(f.s)), f.vh), a));
    EXPECT_TRUE(near(mul_mat(transpose_mat(f.u), f.u), identity_mat(k)));
    EXPECT_TRUE(near(mul_mat(f.vh, transpose_mat(f.vh)), identity_mat(k)));
    for (int64_t j = 0; j < k; ++j) {
      EXPECT_GE(f.u(j, j), 0);
      if (j > 0) {
        EXPECT_GE(f.s[j - 1], f.s[j]);
      }
    }
    // The Penrose conditions A X A = A and X A X = X.
    const Mat x = pinv_mat(a, 1e-12);
    EXPECT_TRUE(near(mul_mat(mul_mat(a, x), a), a, 1e-11));
    EXPECT_TRUE(near(mul_mat(mul_mat(x, a), x), x, 1e-11));
    double fro = 0, nuc = 0;
    for (double v : a.v) fro += v * v;
    for (double s : f.s) nuc += s;
    EXPECT_NEAR(matrix_norm_mat(a, "fro"), std::sqrt(fro), 1e-12);
    EXPECT_NEAR(matrix_norm_mat(a, "nuc"), nuc, 1e-12);
    EXPECT_NEAR(matrix_norm_mat(a, "2"), f.s.front(), 1e-12);
    EXPECT_NEAR(matrix_norm_mat(a, "-2"), f.s.back(), 1e-12);
  }
}

TEST(ReferenceLinalg, MatrixHelpers) {
  const Mat a = some_matrix(3, 4, 8);
  const Mat d1 = diagonal_mat(a, 1), dm1 = diagonal_mat(a, -1);
  ASSERT_EQ(d1.cols, 3);
  ASSERT_EQ(dm1.cols, 2);
  EXPECT_EQ(d1(0, 2), a(2, 3));
  EXPECT_EQ(dm1(0, 1), a(2, 1));
  EXPECT_EQ(tril_mat(a, 0)(0, 1), 0);
  EXPECT_EQ(tril_mat(a, 1)(0, 1), a(0, 1));
  EXPECT_EQ(triu_mat(a, 0)(1, 0), 0);
  EXPECT_EQ(triu_mat(a, -1)(1, 0), a(1, 0));
}

TEST(ReferenceLinalg, Batching) {
  Nd x{{2, 3, 2, 2}, std::vector<double>(24), DType::Float32};
  for (int i = 0; i < 24; ++i) x.data[i] = i;
  const Nd t = map_matrices(x, 2, 2, transpose_mat);
  EXPECT_EQ(t.shape, x.shape);
  EXPECT_EQ(t.dtype, DType::Float32);
  EXPECT_EQ(t.data[1], 2);
  EXPECT_EQ(t.data[5], 6);
  const Nd tr = map_matrices_to(x, {}, [](const Mat& m) {
    Mat out(1, 1);
    out(0, 0) = m(0, 0) + m(1, 1);
    return out;
  });
  EXPECT_EQ(tr.shape, (Shape{2, 3}));
  EXPECT_EQ(tr.data[1], 4 + 7);
  const Nd empty{{0, 2, 2}, {}, DType::Float64};
  EXPECT_EQ(map_matrices(empty, 2, 2, transpose_mat).shape, (Shape{0, 2, 2}));
  // Batch dims broadcast: (2, 1) with (3).
  const Nd a{{2, 1, 1, 1}, {1, 2}, DType::Float64};
  const Nd b{{3, 1, 1}, {10, 20, 30}, DType::Float64};
  const Nd sum = map_matrix_pairs(a, b, 1, 1, [](const Mat& p, const Mat& q) {
    Mat out(1, 1);
    out(0, 0) = p(0, 0) + q(0, 0);
    return out;
  });
  EXPECT_EQ(sum.shape, (Shape{2, 3, 1, 1}));
  EXPECT_EQ(sum.data, (std::vector<double>{11, 21, 31, 12, 22, 32}));
}

}  // namespace
}  // namespace fnx::opinfo
