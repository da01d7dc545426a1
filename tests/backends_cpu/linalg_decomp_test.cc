// The Qr, Eigh and Svd kernels on their defining identities (Q R = A with
// orthonormal Q, A V = V diag(w), U diag(S) Vh = A), reduced and full, tall,
// wide and square, strided and expanded batches and empty dims; the Assert
// kernel's message; and the public ops that go through these kernels.
// test_util.h first: its scalar_ops.h calls sqrt, isnan... unqualified,
// which must not see the Tensor overloads of the op headers.
#include "tests/backends_cpu/linalg_test_util.h"
// (the op API)
#include "core/ops/linalg.h"

namespace fnx::cpu_test {
namespace {

void expect_orthonormal_columns(const Mat& q, double tol,
                                const std::string& what) {
  expect_mat_near(mul(tr(q), q), eye_mat(q.c), tol, what + " Q^T Q");
}

const std::vector<std::pair<int64_t, int64_t>> kShapes = {
    {5, 3}, {3, 5}, {4, 4}, {1, 6}, {6, 1}, {40, 25}};

TEST(LinalgCpu, QrReconstructs) {
  for (DType dtype : {kF32, kF64}) {
    for (auto [m, n] : kShapes) {
      for (bool full : {false, true}) {
        for (bool transposed : {false, true}) {
          const std::string what = std::to_string(m) + "x" + std::to_string(n) +
                                   (full ? " full" : " reduced") +
                                   (transposed ? " strided" : "");
          Tensor a = random_t({2, m, n}, dtype, m * 10 + n);
          if (transposed) a = make_transposed(values(a), {2, m, n}, dtype);
          LinalgAttrs at;
          at.full_matrices = full;
          const std::vector<Tensor> p = parts(Prim::Qr, at, a);
          const int64_t k = full ? m : std::min(m, n);
          ASSERT_EQ(p[0].shape(), (Shape{2, m, k})) << what;
          ASSERT_EQ(p[1].shape(), (Shape{2, k, n})) << what;
          for (int64_t b = 0; b < 2; ++b) {
            const Mat q = mat_of(p[0], b), r = mat_of(p[1], b);
            for (int64_t i = 0; i < r.r; ++i)
              for (int64_t j = 0; j < std::min(i, n); ++j)
                EXPECT_EQ(r(i, j), 0) << what;
            expect_mat_near(mul(q, r), mat_of(a, b), tol_of(dtype), what);
            expect_orthonormal_columns(q, tol_of(dtype), what);
          }
        }
      }
    }
  }
}

TEST(LinalgCpu, QrAndSvdEmptyDims) {
  LinalgAttrs full;
  full.full_matrices = true;
  // (3, 0): complete Q and SVD U are I_3; (0, 2): Vh is I_2.
  const std::vector<Tensor> qr = parts(Prim::Qr, full, empty({3, 0}, kF64));
  expect_mat_near(mat_of(qr[0], 0), eye_mat(3), 0, "qr Q");
  const std::vector<Tensor> svd = parts(Prim::Svd, full, empty({3, 0}, kF64));
  expect_mat_near(mat_of(svd[0], 0), eye_mat(3), 0, "svd U");
  EXPECT_EQ(svd[2].numel(), 0);
  const std::vector<Tensor> wide = parts(Prim::Svd, full, empty({0, 2}, kF64));
  EXPECT_EQ(wide[0].numel(), 0);
  expect_mat_near(mat_of(wide[2], 0), eye_mat(2), 0, "svd Vh");
  for (bool f : {false, true}) {
    LinalgAttrs at;
    at.full_matrices = f;
    EXPECT_EQ(call(Prim::Svd, at, {empty({0, 4, 4}, kF32)}).numel(), 0);
    EXPECT_EQ(call(Prim::Qr, at, {empty({0, 4, 4}, kF32)}).numel(), 0);
  }
}

TEST(LinalgCpu, EighDecomposes) {
  for (DType dtype : {kF32, kF64}) {
    for (int64_t n : {1, 2, 6, 30}) {
      for (bool upper : {false, true}) {
        const std::string what =
            "n=" + std::to_string(n) + (upper ? " upper" : " lower");
        // A symmetric matrix (indefinite), then its unread triangle poisoned.
        const Tensor s = random_t({3, n, n}, kF64, n);
        std::vector<double> v = values(s);
        for (int64_t b = 0; b < 3; ++b)
          for (int64_t i = 0; i < n; ++i)
            for (int64_t j = 0; j < i; ++j)
              v[(b * n + j) * n + i] = v[(b * n + i) * n + j];
        const Tensor a = make(v, {3, n, n}, dtype);
        LinalgAttrs at;
        at.upper = upper;
        const std::vector<Tensor> p =
            parts(Prim::Eigh, at, poison_other_triangle(a, upper));
        for (int64_t b = 0; b < 3; ++b) {
          const Mat w = mat_of(p[0], b, true), vec = mat_of(p[1], b);
          for (int64_t i = 1; i < n; ++i) EXPECT_LE(w.v[i - 1], w.v[i]) << what;
          Mat vw = vec;
          for (int64_t i = 0; i < n; ++i)
            for (int64_t j = 0; j < n; ++j) vw(i, j) *= w.v[j];
          expect_mat_near(mul(mat_of(a, b), vec), vw, tol_of(dtype) * 10, what);
          expect_orthonormal_columns(vec, tol_of(dtype), what);
        }
      }
    }
  }
}

void check_svd(const Tensor& a, bool full, double tol,
               const std::string& what) {
  const int64_t m = a.shape()[a.dim() - 2], n = a.shape().back();
  const int64_t k = std::min(m, n);
  LinalgAttrs at;
  at.full_matrices = full;
  const std::vector<Tensor> p = parts(Prim::Svd, at, a);
  const int64_t count = a.numel() / (m * n);
  for (int64_t b = 0; b < count; ++b) {
    const Mat u = mat_of(p[0], b), s = mat_of(p[1], b, true),
              vh = mat_of(p[2], b);
    ASSERT_EQ(u.r, m);
    ASSERT_EQ(u.c, full ? m : k);
    ASSERT_EQ(vh.r, full ? n : k);
    for (int64_t i = 1; i < k; ++i) EXPECT_GE(s.v[i - 1], s.v[i]) << what;
    for (int64_t i = 0; i < k; ++i) EXPECT_GE(s.v[i], 0) << what;
    Mat us(m, vh.r);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < k; ++j) us(i, j) = u(i, j) * s.v[j];
    expect_mat_near(mul(us, vh), mat_of(a, b), tol, what);
    expect_orthonormal_columns(u, tol, what + " U");
    expect_orthonormal_columns(tr(vh), tol, what + " Vh");
  }
}

TEST(LinalgCpu, SvdDecomposes) {
  for (DType dtype : {kF32, kF64}) {
    for (auto [m, n] : kShapes) {
      for (bool full : {false, true}) {
        const std::string what = std::to_string(m) + "x" + std::to_string(n) +
                                 (full ? " full" : " reduced");
        const Tensor a = random_t({2, m, n}, dtype, m + 7 * n);
        check_svd(a, full, tol_of(dtype) * 10, what);
        check_svd(make_transposed(values(a), {2, m, n}, dtype), full,
                  tol_of(dtype) * 10, what + " strided");
      }
    }
  }
}

TEST(LinalgCpu, ExpandedBatchInputs) {
  const Tensor a = spd(3, 5, kF64, 11);
  const Tensor e = view(a, {2, 3, 5, 5}, {0, 25, 5, 1});
  const Tensor f = call(Prim::Cholesky, LinalgAttrs{}, {e});
  const std::vector<Tensor> eig = parts(Prim::Eigh, LinalgAttrs{}, e);
  for (int64_t b = 0; b < 6; ++b) {
    const Mat l = mat_of(f, b);
    expect_mat_near(mul(l, tr(l)), mat_of(a, b % 3), 1e-10, "cholesky");
    expect_mat_near(mat_of(eig[0], b, true), mat_of(eig[0], b % 3, true), 1e-12,
                    "eigh");
  }
  check_svd(e, false, 1e-10, "svd expanded");
  check_lu(e, 1e-10, "lu expanded");
}

TEST(LinalgCpu, AssertNamesTheFirstFailingBatchIndex) {
  std::vector<double> v(2 * 3 * 4, 1);
  v[(1 * 3 + 2) * 4 + 3] = 0;
  v[(1 * 3 + 2) * 4 + 1] = 0;
  const Tensor cond = make(v, {2, 3, 4}, kBool);
  EXPECT_EQ(error_of([&] {
              call(Prim::Assert, AssertAttrs{"[op] bad", 2}, {cond});
            }),
            "[op] bad (batch index [1, 2])");
  EXPECT_EQ(error_of([&] {
              call(Prim::Assert, AssertAttrs{"[op] bad", 1}, {cond});
            }),
            "[op] bad (batch index [1])");
  EXPECT_EQ(error_of([&] {
              call(Prim::Assert, AssertAttrs{"[op] bad", 0}, {cond});
            }),
            "[op] bad");
  // A transposed view: the first false in row-major order of the view.
  const Tensor t = transposed(make(v, {2, 3, 4}, kBool));  // (2, 4, 3)
  EXPECT_EQ(error_of([&] {
              call(Prim::Assert, AssertAttrs{"[op] bad", 2}, {t});
            }),
            "[op] bad (batch index [1, 1])");
  const Tensor ok = make(std::vector<double>(6, 1), {2, 3}, kBool);
  EXPECT_EQ(values(call(Prim::Assert, AssertAttrs{"[op] bad", 1}, {ok})),
            values(ok));
  EXPECT_EQ(
      call(Prim::Assert, AssertAttrs{"m", 1}, {empty({0, 3}, kBool)}).numel(),
      0);
}

TEST(LinalgCpu, PublicOpsRunOnTheKernels) {
  // cholesky() asserts positive definiteness, naming the batch index.
  std::vector<double> v = values(spd(3, 4, kF64, 2));
  v[(2 * 4 + 1) * 4 + 1] = -100;
  const std::string message = error_of([&] {
    linalg::cholesky(make(v, {3, 4, 4}, kF64));
  });
  EXPECT_NE(message.find("[cholesky]"), std::string::npos) << message;
  EXPECT_NE(message.find("(batch index [2])"), std::string::npos) << message;
  // solve() of many small systems (the small LU and triangular paths).
  const Tensor a = spd(100, 3, kF64, 4);
  const Tensor b = random_t({100, 3, 2}, kF64, 5);
  const Tensor x = linalg::solve(a, b);
  for (int64_t i = 0; i < 100; ++i) {
    expect_mat_near(mul(mat_of(a, i), mat_of(x, i)), mat_of(b, i), 1e-10,
                    "solve");
  }
}

}  // namespace
}  // namespace fnx::cpu_test
