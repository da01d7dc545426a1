// The Linalg kernels (Cholesky, TriangularSolve, Lu, Qr, Eigh, Svd) and
// Assert, checked with plain loops on the defining identities (L L^T = A,
// P A = L U, Q R = A, A V = V diag(w), U diag(S) Vh = A...), over float32
// and float64, strided and expanded-batch inputs, zero sizes, failures
// (NaN, no throw) and the small-matrix path against the LAPACK one.
#include "backends/cpu/threads.h"
#include "tests/backends_cpu/linalg_test_util.h"

namespace fnx::cpu_test {
namespace {

TEST(LinalgCpu, CholeskyReconstructs) {
  for (DType dtype : {kF32, kF64}) {
    for (int64_t n : {1, 3, 5, 8, 9, 40}) {
      for (int64_t count : {1, 20}) {
        for (bool upper : {false, true}) {
          const std::string what = "n=" + std::to_string(n) +
                                   " count=" + std::to_string(count) +
                                   (upper ? " upper" : " lower");
          const Tensor a = spd(count, n, dtype, 7 + n);
          LinalgAttrs at;
          at.upper = upper;
          const Tensor f =
              call(Prim::Cholesky, at, {poison_other_triangle(a, upper)});
          for (int64_t k = 0; k < count; ++k) {
            const Mat l = mat_of(f, k);
            for (int64_t i = 0; i < n; ++i)
              for (int64_t j = 0; j < n; ++j)
                if (upper ? j < i : j > i) {
                  EXPECT_EQ(l(i, j), 0) << what;
                }
            const Mat back = upper ? mul(tr(l), l) : mul(l, tr(l));
            expect_mat_near(back, mat_of(a, k), tol_of(dtype), what);
          }
        }
      }
    }
  }
}

// A = L0 L0^T with A[k][k] lowered so that column k fails: columns before
// k are L0's, and column k on is NaN (in the factor's triangle).
TEST(LinalgCpu, CholeskyNotPositiveDefiniteGivesNaNFromFailingColumn) {
  for (auto [n, fail, count] : {std::tuple<int64_t, int64_t, int64_t>{5, 2, 1},
                                {5, 2, 16},
                                {4, 0, 16},
                                {100, 70, 1}}) {
    for (bool upper : {false, true}) {
      const std::string what = "n=" + std::to_string(n) +
                               " count=" + std::to_string(count) +
                               (upper ? " upper" : " lower");
      Mat l0(n, n);
      const std::vector<double> r = values(random_t({n, n}, kF64, 3));
      for (int64_t i = 0; i < n; ++i) {
        for (int64_t j = 0; j < i; ++j) l0(i, j) = r[i * n + j];
        l0(i, i) = 1 + std::abs(r[i * n + i]);
      }
      Mat a = mul(l0, tr(l0));
      a(fail, fail) -= 10 + n;
      std::vector<double> all;
      for (int64_t k = 0; k < count; ++k)
        all.insert(all.end(), a.v.begin(), a.v.end());
      LinalgAttrs at;
      at.upper = upper;
      const Tensor f =
          call(Prim::Cholesky, at, {make(all, {count, n, n}, kF64)});
      for (int64_t k = 0; k < count; ++k) {
        Mat l = mat_of(f, k);
        if (upper) l = tr(l);
        for (int64_t i = 0; i < n; ++i) {
          for (int64_t j = 0; j <= i; ++j) {
            if (j < fail) {
              EXPECT_NEAR(l(i, j), l0(i, j), 1e-4 * (1 + std::abs(l0(i, j))))
                  << what << " at " << i << "," << j;
            } else {
              EXPECT_TRUE(std::isnan(l(i, j)))
                  << what << " at " << i << "," << j;
            }
          }
          for (int64_t j = i + 1; j < n; ++j) EXPECT_EQ(l(i, j), 0) << what;
        }
      }
    }
  }
}

TEST(LinalgCpu, ZeroSizes) {
  for (Prim prim :
       {Prim::Cholesky, Prim::Lu, Prim::Qr, Prim::Eigh, Prim::Svd}) {
    for (const Shape& shape : {Shape{0, 3, 3}, Shape{2, 0, 0}}) {
      const Tensor out = call(prim, LinalgAttrs{}, {empty(shape, kF64)});
      EXPECT_EQ(out.numel(), 0) << prim_name(prim);
    }
  }
  const Tensor x = call(Prim::TriangularSolve, LinalgAttrs{},
                        {empty({2, 0, 0}, kF32), empty({2, 0, 3}, kF32)});
  EXPECT_EQ(x.shape(), (Shape{2, 0, 3}));
}

// op(T) X = B (left) or X op(T) = B: X from the kernel, checked by
// multiplying back. a's unread parts are NaN.
void check_triangular_solve(int64_t n, int64_t count, DType dtype,
                            bool transposed_a, int64_t k_rhs = 2) {
  for (int combo = 0; combo < 16; ++combo) {
    LinalgAttrs at;
    at.upper = combo & 1;
    at.left = combo & 2;
    at.transpose = combo & 4;
    at.unit_diagonal = combo & 8;
    const std::string what =
        "n=" + std::to_string(n) + " count=" + std::to_string(count) +
        " k=" + std::to_string(k_rhs) + " combo=" + std::to_string(combo);
    std::vector<double> av = values(random_t({count, n, n}, kF64, combo));
    for (int64_t k = 0; k < count; ++k)
      for (int64_t i = 0; i < n; ++i) av[(k * n + i) * n + i] += 3;
    Tensor a = poison_other_triangle(make(av, {count, n, n}, dtype), at.upper,
                                     at.unit_diagonal);
    if (transposed_a) a = make_transposed(values(a), {count, n, n}, dtype);
    const Shape bs = at.left ? Shape{count, n, k_rhs} : Shape{count, k_rhs, n};
    const Tensor b = random_t(bs, dtype, 100 + combo);
    const Tensor x = call(Prim::TriangularSolve, at, {a, b});
    ASSERT_EQ(x.shape(), bs);
    for (int64_t k = 0; k < count; ++k) {
      Mat t(n, n);
      const Mat araw = mat_of(make(av, {count, n, n}, kF64), k);
      for (int64_t i = 0; i < n; ++i)
        for (int64_t j = 0; j < n; ++j)
          if (at.upper ? j >= i : j <= i) t(i, j) = araw(i, j);
      if (at.unit_diagonal)
        for (int64_t i = 0; i < n; ++i) t(i, i) = 1;
      const Mat op = at.transpose ? tr(t) : t;
      const Mat xm = mat_of(x, k);
      const Mat back = at.left ? mul(op, xm) : mul(xm, op);
      expect_mat_near(back, mat_of(b, k), tol_of(dtype) * 10, what);
    }
  }
}

TEST(LinalgCpu, TriangularSolveAllOptions) {
  for (DType dtype : {kF32, kF64}) {
    check_triangular_solve(5, 1, dtype, false);   // LAPACK path
    check_triangular_solve(3, 16, dtype, false);  // small path
    check_triangular_solve(12, 3, dtype, false);
    check_triangular_solve(12, 2, dtype, true);  // transposed layout
    check_triangular_solve(4, 9, dtype, true);
    // Square right-hand sides (an inverse): the small path's own loop.
    check_triangular_solve(3, 16, dtype, false, 3);
    check_triangular_solve(8, 16, dtype, true, 8);
  }
}

// a batch (3, n, n) viewed as (2, 3, n, n) through a stride-0 batch dim.
Tensor expanded(const Tensor& a) {
  const int64_t n = a.shape().back();
  return view(a, {2, 3, n, n}, {0, n * n, n, 1});
}

TEST(LinalgCpu, TriangularSolveExpandedBatch) {
  const Tensor a = spd(3, 4, kF64, 5);
  const Tensor b = random_t({2, 3, 4, 2}, kF64, 6);
  const Tensor x = call(Prim::TriangularSolve, LinalgAttrs{}, {expanded(a), b});
  for (int64_t k = 0; k < 6; ++k) {
    Mat t = mat_of(a, k % 3);
    for (int64_t i = 0; i < 4; ++i)
      for (int64_t j = i + 1; j < 4; ++j) t(i, j) = 0;
    expect_mat_near(mul(t, mat_of(x, k)), mat_of(b, k), 1e-10, "expanded");
  }
}

TEST(LinalgCpu, LuReconstructs) {
  for (DType dtype : {kF32, kF64}) {
    for (auto [n, count] :
         {std::pair<int64_t, int64_t>{6, 1}, {3, 16}, {8, 10}, {30, 3}}) {
      const Tensor a = random_t({count, n, n}, dtype, n);
      check_lu(a, tol_of(dtype) * 10, "n=" + std::to_string(n));
      check_lu(make_transposed(values(a), {count, n, n}, dtype),
               tol_of(dtype) * 10, "transposed n=" + std::to_string(n));
    }
  }
  // Singular (a zero column and a repeated row) is a factorization too.
  for (int64_t count : {1, 16}) {
    std::vector<double> v;
    for (int64_t k = 0; k < count; ++k)
      v.insert(v.end(), {0, 1, 2, 0, 1, 2, 0, 3, 4});
    check_lu(make(v, {count, 3, 3}, kF64), 1e-12, "singular");
  }
}

// The small-matrix path (batch >= kSmallBatch) against LAPACK (each matrix
// alone): same pivots, same values to rounding.
TEST(LinalgCpu, SmallPathMatchesLapack) {
  for (int64_t n = 1; n <= 8; ++n) {
    const int64_t count = 32;
    const Tensor a = random_t({count, n, n}, kF64, 40 + n);
    const Tensor s = spd(count, n, kF64, 50 + n);
    const Tensor b = random_t({count, n, 3}, kF64, 60 + n);
    const Tensor square = random_t({count, n, n}, kF64, 70 + n);
    const Tensor lu_all = call(Prim::Lu, LinalgAttrs{}, {a});
    const Tensor chol_all = call(Prim::Cholesky, LinalgAttrs{}, {s});
    const Tensor x_all = call(Prim::TriangularSolve, LinalgAttrs{}, {s, b});
    LinalgAttrs upper_t;
    upper_t.upper = upper_t.transpose = true;
    const Tensor inv_all = call(Prim::TriangularSolve, upper_t, {s, square});
    for (int64_t k = 0; k < count; ++k) {
      auto one = [&](const Tensor& t) {
        std::vector<double> v = values(t);
        const int64_t size = t.numel() / count;
        Shape shape = t.shape();
        shape[0] = 1;
        return make(std::vector<double>(v.begin() + k * size,
                                        v.begin() + (k + 1) * size),
                    shape, kF64);
      };
      const std::string what = "n=" + std::to_string(n);
      expect_near_all(values(call(Prim::Lu, LinalgAttrs{}, {one(a)})),
                      values(one(lu_all)), 1e-12, "lu " + what);
      expect_near_all(values(call(Prim::Cholesky, LinalgAttrs{}, {one(s)})),
                      values(one(chol_all)), 1e-12, "cholesky " + what);
      expect_near_all(
          values(call(Prim::TriangularSolve, LinalgAttrs{}, {one(s), one(b)})),
          values(one(x_all)), 1e-12, "triangular_solve " + what);
      expect_near_all(
          values(call(Prim::TriangularSolve, upper_t, {one(s), one(square)})),
          values(one(inv_all)), 1e-12, "square triangular_solve " + what);
    }
  }
}

}  // namespace
}  // namespace fnx::cpu_test

namespace fnx::cpu_test {
namespace {

// One large solve splits its right-hand sides over the pool (B's columns
// left, its rows right): every side, triangle, transpose, unit diagonal
// and a transposed (strided) triangle give what one thread gives.
TEST(LinalgCpu, LargeSolveSplitOverThePoolMatchesOneThread) {
  const int64_t n = 256;
  const Tensor t = spd(1, n, kF64, 91);
  for (bool left : {true, false}) {
    for (bool upper : {false, true}) {
      for (bool transpose : {false, true}) {
        for (bool unit : {false, true}) {
          LinalgAttrs at;
          at.left = left;
          at.upper = upper;
          at.transpose = transpose;
          at.unit_diagonal = unit;
          const Tensor b = random_t({1, n, n + 3}, kF64, 92);
          const Tensor bt = random_t({1, n + 3, n}, kF64, 93);
          const Tensor rhs = left ? b : bt;
          const Tensor tri = upper ? t : t.transpose(1, 2);
          const int threads = get_num_threads();
          set_num_threads(1);
          const Tensor one = call(Prim::TriangularSolve, at, {tri, rhs});
          set_num_threads(2);
          const Tensor two = call(Prim::TriangularSolve, at, {tri, rhs});
          set_num_threads(threads);
          expect_near_all(values(two), values(one), 1e-12,
                          std::string(left ? "left" : "right") +
                              (upper ? " upper" : " lower") +
                              (transpose ? " T" : "") + (unit ? " unit" : ""));
        }
      }
    }
  }
  // A triangle whose layout BLAS cannot read (every other column of a
  // wider matrix) is copied once, then split the same way.
  const Tensor strided = t.unsqueeze(-1)
                             .expand({1, n, n, 2})
                             .contiguous()
                             .reshape({1, n, 2 * n})
                             .slice(2, 0, 2 * n, 2);
  const Tensor b = random_t({1, n, n + 3}, kF64, 94);
  const int threads = get_num_threads();
  set_num_threads(1);
  const Tensor one = call(Prim::TriangularSolve, LinalgAttrs{}, {strided, b});
  set_num_threads(2);
  const Tensor two = call(Prim::TriangularSolve, LinalgAttrs{}, {strided, b});
  set_num_threads(threads);
  expect_near_all(values(two), values(one), 1e-12, "strided triangle");
  expect_near_all(values(one),
                  values(call(Prim::TriangularSolve, LinalgAttrs{}, {t, b})),
                  1e-12, "strided triangle against the contiguous one");
}

}  // namespace
}  // namespace fnx::cpu_test
