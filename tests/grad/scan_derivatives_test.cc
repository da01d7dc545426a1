// The derivatives of cumprod and logcumsumexp where the op database's
// random samples cannot reach: fibers with several zeros (cumprod's rules
// must not divide by them), and logcumsumexp over values whose exp over-
// and underflows. References are the exact sums over positions, written in
// plain float64 C++: d/dx_k sum_i w_i y_i and sum_k t_k dy_i/dx_k.
#include <cmath>
#include <cstddef>
#include <vector>

#include "core/ops/ops.h"
#include "gtest/gtest.h"
#include "tests/testing/transform_test_util.h"
#include "transforms/grad/grad.h"
#include "transforms/jvp/jvp.h"

namespace fnx::testing {
namespace {

using Vec = std::vector<double>;

// dy_i/dx_k for y = cumprod(x): prod_{j<=i, j!=k} x_j for k <= i.
double cumprod_partial(const Vec& x, size_t i, size_t k) {
  if (k > i) return 0;
  double p = 1;
  for (size_t j = 0; j <= i; ++j) {
    if (j != k) p *= x[j];
  }
  return p;
}

// dy_i/dx_k for y = logcumsumexp(x): exp(x_k - y_i) for k <= i (0 for
// x_k = -inf, also where every x_j up to i is -inf).
double logcumsumexp_partial(const Vec& x, size_t i, size_t k) {
  if (k > i || x[k] == -HUGE_VAL) return 0;
  double m = -HUGE_VAL;
  for (size_t j = 0; j <= i; ++j) m = std::max(m, x[j]);
  double s = 0;
  for (size_t j = 0; j <= i; ++j) s += std::exp(x[j] - m);
  return std::exp(x[k] - (m + std::log(s)));
}

using Partial = double (*)(const Vec&, size_t, size_t);

Vec vjp_ref(Partial d, const Vec& x, const Vec& w) {
  Vec g(x.size(), 0);
  for (size_t k = 0; k < x.size(); ++k) {
    for (size_t i = 0; i < x.size(); ++i) g[k] += w[i] * d(x, i, k);
  }
  return g;
}

Vec jvp_ref(Partial d, const Vec& x, const Vec& t) {
  Vec y(x.size(), 0);
  for (size_t i = 0; i < x.size(); ++i) {
    for (size_t k = 0; k < x.size(); ++k) y[i] += t[k] * d(x, i, k);
  }
  return y;
}

void expect_near(const Tensor& got, const Vec& want, double tol) {
  const Vec g = got.to_vector();
  ASSERT_EQ(g.size(), want.size());
  for (size_t i = 0; i < g.size(); ++i) {
    EXPECT_NEAR(g[i], want[i], tol * (1 + std::abs(want[i]))) << "at " << i;
  }
}

void check_derivatives(Tensor (*op)(const Tensor&), Partial d, const Vec& x,
                       double tol) {
  const Vec w = {0.7, -1.3, 0.4, 2.1, -0.6, 1.1, -0.9, 0.3};
  const Vec t = {-0.5, 0.8, 1.7, -1.2, 0.9, -0.3, 0.6, -1.4};
  const Vec wn(w.begin(), w.begin() + x.size());
  const Vec tn(t.begin(), t.begin() + x.size());
  const Tensor weights = f64(wn);
  const Tensor g =
      grad([&](const Tensor& v) { return (op(v) * weights).sum(); })(f64(x));
  expect_near(g, vjp_ref(d, x, wn), tol);
  auto [y, ty] = jvp(op, f64(x), f64(tn));
  expect_near(ty, jvp_ref(d, x, tn), tol);
}

Tensor cumprod0(const Tensor& x) { return cumprod(x, 0); }
Tensor logcumsumexp0(const Tensor& x) { return logcumsumexp(x, 0); }

TEST(CumprodDerivatives, ExactWithZeros) {
  check_derivatives(&cumprod0, &cumprod_partial, {1.5, -2, 0.5, 3}, 1e-12);
  check_derivatives(&cumprod0, &cumprod_partial, {1.5, 0, 0.5, 3, -2}, 1e-12);
  check_derivatives(&cumprod0, &cumprod_partial, {0, 2, -1.5, 0.5}, 1e-12);
  check_derivatives(&cumprod0, &cumprod_partial, {1.5, -2, 0.5, 0}, 1e-12);
  // Two and three zeros: past the second, every partial is 0.
  check_derivatives(&cumprod0, &cumprod_partial, {1.5, 0, 2, 0, 3, -1}, 1e-12);
  check_derivatives(&cumprod0, &cumprod_partial, {0, 0, 2, 0.5, 0, 4}, 1e-12);
}

// d2/dx_k dx_l of sum_i w_i y_i = sum_{i >= max(k, l)} w_i prod over
// j <= i, j != k, l of x_j, against forward-over-reverse (each column) and
// reverse-over-reverse (each row).
void check_hessian(const Vec& x) {
  const Vec w = {0.7, -1.3, 0.4, 2.1, -0.6, 1.1};
  const Tensor weights = f64(Vec(w.begin(), w.begin() + x.size()));
  auto f = [&](const Tensor& v) { return (cumprod(v, 0) * weights).sum(); };
  for (size_t l = 0; l < x.size(); ++l) {
    Vec e(x.size(), 0);
    e[l] = 1;
    // The l-th column of the Hessian, as the JVP of the gradient.
    auto [g, hl] =
        jvp([&](const Tensor& v) { return grad(f)(v); }, f64(x), f64(e));
    Vec want(x.size(), 0);
    for (size_t k = 0; k < x.size(); ++k) {
      if (k == l) continue;
      for (size_t i = std::max(k, l); i < x.size(); ++i) {
        double p = w[i];
        for (size_t j = 0; j <= i; ++j) {
          if (j != k && j != l) p *= x[j];
        }
        want[k] += p;
      }
    }
    expect_near(hl, want, 1e-12);
    auto row = [&](const Tensor& v) { return grad(f)(v).select(0, l); };
    expect_near(grad(row)(f64(x)), want, 1e-12);  // symmetric
  }
}

TEST(CumprodDerivatives, SecondOrderWithZeros) {
  check_hessian({1.5, -2, 0.5, 3});
  check_hessian({1.5, 0, -2, 0.5});
  check_hessian({1.5, 0, -2, 0, 0.5, 3});
  check_hessian({0, 0, -2, 0.5, 0, 3});
}

TEST(LogcumsumexpDerivatives, StableOverWideRanges) {
  check_derivatives(&logcumsumexp0, &logcumsumexp_partial,
                    {0.3, -1.2, 2.0, 0.5}, 1e-12);
  // exp(800) overflows and exp(-800) underflows in float64.
  check_derivatives(&logcumsumexp0, &logcumsumexp_partial,
                    {-800, -790, 800, 795, -5}, 1e-12);
  // A -inf start: its partials are 0, and nothing becomes NaN.
  check_derivatives(&logcumsumexp0, &logcumsumexp_partial,
                    {-HUGE_VAL, 1.0, -HUGE_VAL, 0.5}, 1e-12);
}

}  // namespace
}  // namespace fnx::testing
