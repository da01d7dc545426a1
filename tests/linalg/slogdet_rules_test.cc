// slogdet's own derivative rules (core/ops/linalg_slogdet.cc), against
// closed forms rather than finite differences (the op database does
// those): the cotangent of logabsdet is g A^-T and sign has none; the
// tangent is trace(A^-1 dA); det's gradient is Jacobi's det(A) A^-T; the
// rules are differentiable (logdet's Hessian is -A^-T (x) A^-1 entrywise,
// forward over reverse and reverse over reverse); and the values and
// derivatives at a singular matrix and a negative determinant are
// torch's.
#include <cmath>
#include <limits>

#include "core/ops/ops.h"
#include "gtest/gtest.h"
#include "tests/testing/transform_test_util.h"
#include "transforms/grad/grad.h"
#include "transforms/jacobians/hessian.h"
#include "transforms/jacobians/jacfwd.h"
#include "transforms/jacobians/jacrev.h"
#include "transforms/jvp/jvp.h"
#include "transforms/vmap/vmap.h"

namespace fnx {
namespace {

using testing::close;
using testing::f64;

Tensor mT(const Tensor& x) { return transpose(x, -1, -2); }

Tensor random64(const Shape& shape, uint64_t seed) {
  Generator g(seed);
  return randn(shape, DType::Float64, &g);
}

// Gaussian 4x4 matrices: row swaps in the LU and determinants of both
// signs (the test checks that both signs occur).
Tensor general_batch() { return random64({6, 4, 4}, 31); }

Tensor spd(const Tensor& x) {
  const int64_t n = x.shape().back();
  return matmul(x, mT(x)) + static_cast<double>(n) * eye(n, DType::Float64);
}

int64_t count(const Tensor& bools) {
  return sum(cast(bools, DType::Int64)).item<int64_t>();
}

TEST(SlogdetRules, CotangentIsInverseTransposeAndSignHasNone) {
  const Tensor a = general_batch();
  const linalg::SlogdetResult s = linalg::slogdet(a);
  ASSERT_GT(count(s.sign < 0.0), 0);
  ASSERT_GT(count(s.sign > 0.0), 0);
  const Tensor w = random64({6}, 32);
  const Tensor g = grad([&](const Tensor& m) {
    return sum(linalg::slogdet(m).logabsdet * w);
  })(a);
  EXPECT_TRUE(close(g, unsqueeze(unsqueeze(w, -1), -1) * mT(linalg::inv(a)),
                    1e-10, 1e-10));
  const Tensor g_sign =
      grad([](const Tensor& m) { return sum(linalg::slogdet(m).sign); })(a);
  EXPECT_TRUE(close(g_sign, zeros_like(a), 0, 0));
  // Per example under vmap: the rules run on the batch.
  const Tensor per_example = vmap(
      grad([](const Tensor& m) { return linalg::slogdet(m).logabsdet; }))(a);
  EXPECT_TRUE(close(per_example, mT(linalg::inv(a)), 1e-10, 1e-10));
}

TEST(SlogdetRules, TangentIsTraceOfTheSolve) {
  const Tensor a = general_batch();
  const Tensor t = random64({6, 4, 4}, 33);
  auto both = [](const Tensor& m) {
    const linalg::SlogdetResult r = linalg::slogdet(m);
    return stack({r.logabsdet, r.sign}, -1);
  };
  auto [out, tangent] = jvp(both, a, t);
  EXPECT_TRUE(close(out, both(a), 0, 0));
  EXPECT_TRUE(
      close(select(tangent, -1, 0), trace(linalg::solve(a, t)), 1e-10, 1e-10));
  EXPECT_TRUE(close(select(tangent, -1, 1), zeros({6}, DType::Float64), 0, 0));
}

TEST(SlogdetRules, DetGradientIsJacobisFormula) {
  const Tensor a = general_batch();
  const Tensor g = grad([](const Tensor& m) { return sum(linalg::det(m)); })(a);
  const Tensor d = unsqueeze(unsqueeze(linalg::det(a), -1), -1);
  EXPECT_TRUE(close(g, d * mT(linalg::inv(a)), 1e-10, 1e-10));
}

TEST(SlogdetRules, LogdetHessianIsMinusInverseTransposeKronInverse) {
  const Tensor a = spd(random64({4, 4}, 34));
  auto logdet = [](const Tensor& m) { return linalg::logdet(m); };
  // d2 logdet / dA_ij dA_kl = -(A^-1)_jk (A^-1)_li.
  const Tensor b = linalg::inv(a);
  const Tensor want =
      -1.0 * reshape(mT(b), {4, 1, 1, 4}) * reshape(b, {1, 4, 4, 1});
  EXPECT_TRUE(close(hessian(logdet)(a), want, 1e-10, 1e-10));
  EXPECT_TRUE(close(jacrev(jacrev(logdet))(a), want, 1e-10, 1e-10));
  // Per example, forward over reverse under vmap.
  const Tensor batch = spd(random64({3, 4, 4}, 35));
  const Tensor h = vmap(hessian(logdet))(batch);
  for (int64_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(close(select(h, 0, i), hessian(logdet)(select(batch, 0, i)),
                      1e-12, 1e-12));
  }
}

TEST(SlogdetRules, SingularMatrixAsTorch) {
  // Exactly singular: U of its LU has an exact zero pivot.
  const Tensor a = f64({1, 2, 3, 2, 4, 6, 1, 0, 1}, {3, 3});
  const linalg::SlogdetResult s = linalg::slogdet(a);
  EXPECT_EQ(s.sign.item<double>(), 0.0);
  EXPECT_EQ(s.logabsdet.item<double>(),
            -std::numeric_limits<double>::infinity());
  EXPECT_EQ(linalg::logdet(a).item<double>(),
            -std::numeric_limits<double>::infinity());
  EXPECT_EQ(linalg::det(a).item<double>(), 0.0);
  // The gradient solves with the zero pivot (torch's lu_solve does the
  // same): not finite, and no error.
  const Tensor g = grad([](const Tensor& m) { return linalg::logdet(m); })(a);
  EXPECT_GT(count(logical_not(isfinite(g))), 0);
  // Under vmap the other examples are unaffected.
  const Tensor batch = stack({a, spd(random64({3, 3}, 36))});
  const Tensor gb =
      vmap(grad([](const Tensor& m) { return linalg::logdet(m); }))(batch);
  EXPECT_TRUE(close(select(gb, 0, 1), mT(linalg::inv(select(batch, 0, 1))),
                    1e-10, 1e-10));
}

TEST(SlogdetRules, NegativeDeterminantLogdetIsNaN) {
  const Tensor a = f64({0, 1, 1, 0}, {2, 2});  // det -1, one row swap
  const linalg::SlogdetResult s = linalg::slogdet(a);
  EXPECT_EQ(s.sign.item<double>(), -1.0);
  EXPECT_EQ(s.logabsdet.item<double>(), 0.0);
  EXPECT_TRUE(std::isnan(linalg::logdet(a).item<double>()));
  // log|det| is smooth there: its gradient is still A^-T.
  const Tensor g =
      grad([](const Tensor& m) { return linalg::slogdet(m).logabsdet; })(a);
  EXPECT_TRUE(close(g, mT(linalg::inv(a)), 1e-12, 1e-12));
}

TEST(SlogdetRules, EmptyBatchAndEmptyMatrix) {
  const linalg::SlogdetResult none =
      linalg::slogdet(zeros({0, 3, 3}, DType::Float64));
  EXPECT_EQ(none.sign.shape(), Shape{0});
  EXPECT_EQ(none.logabsdet.shape(), Shape{0});
  // The determinant of a 0x0 matrix is 1 (torch, numpy).
  const linalg::SlogdetResult empty =
      linalg::slogdet(zeros({2, 0, 0}, DType::Float64));
  EXPECT_TRUE(close(empty.sign, f64({1, 1}), 0, 0));
  EXPECT_TRUE(close(empty.logabsdet, f64({0, 0}), 0, 0));
}

}  // namespace
}  // namespace fnx
