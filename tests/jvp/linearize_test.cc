// linearize: one evaluation of f, then a jvp_fn that replays only the
// recorded tangent computation, for any number of tangents; it composes
// with vmap (a Jacobian) and grad (its transpose).
#include <cmath>
#include <tuple>
#include <vector>

#include "core/dispatch.h"
#include "core/ops/ops.h"
#include "gtest/gtest.h"
#include "tests/testing/transform_test_util.h"
#include "transforms/grad/grad.h"
#include "transforms/jvp/jvp.h"
#include "transforms/vmap/vmap.h"

namespace fnx::testing {
namespace {

Tensor mlp(const Tensor& w, const Tensor& b, const Tensor& x) {
  return tanh(matmul(w, x) + b).sum() * 0.5 + softmax(x, 0);
}

TEST(Linearize, MatchesJvpForManyTangents) {
  Generator gen(3);
  const Tensor w = randn({4, 4}, DType::Float64, &gen);
  const Tensor b = randn({4}, DType::Float64, &gen);
  const Tensor x = randn({4}, DType::Float64, &gen);
  auto [y, jvp_fn] = linearize(mlp, w, b, x);
  EXPECT_TRUE(close(y, mlp(w, b, x), 1e-14));
  for (int k = 0; k < 4; ++k) {
    const Tensor tw = randn({4, 4}, DType::Float64, &gen);
    const Tensor tb = randn({4}, DType::Float64, &gen);
    const Tensor tx = randn({4}, DType::Float64, &gen);
    auto [y2, expected] = jvp(mlp, std::tuple{w, b, x}, std::tuple{tw, tb, tx});
    EXPECT_TRUE(close(jvp_fn(tw, tb, tx), expected, 1e-13, 1e-13));
  }
}

TEST(Linearize, RunsTheFunctionOnceAndReplaysOnlyTangentOps) {
  int calls = 0;
  auto f = [&](const Tensor& x) {
    ++calls;
    return exp(sin(x) * x).sum();
  };
  const Tensor x = f64({0.5, 1.0, 1.5});
  auto [y, jvp_fn] = linearize(f, x);
  EXPECT_EQ(calls, 1);
  const Tensor tx0 = ones_like(x);
  int64_t before = kernel_calls();
  (void)jvp(f, x, tx0);
  const int64_t jvp_kernels = kernel_calls() - before;
  const Tensor tx = ones_like(x);
  before = kernel_calls();
  const Tensor t = jvp_fn(tx);
  const int64_t replay_kernels = kernel_calls() - before;
  EXPECT_EQ(calls, 2);  // only the jvp call above ran f again
  EXPECT_EQ(replay_kernels, jvp_fn.num_steps());
  EXPECT_LT(replay_kernels, jvp_kernels);
  // d/dx sum e^{x sin x} = e^{x sin x} (sin x + x cos x)
  double expected = 0;
  for (double v : x.to_vector()) {
    expected += std::exp(v * std::sin(v)) * (std::sin(v) + v * std::cos(v));
  }
  EXPECT_NEAR(t.item<double>(), expected, 1e-12);
}

TEST(Linearize, UnusedTangentComputationIsDropped) {
  auto f = [](const Tensor& x) {
    Tensor unused = exp(x) * cos(x);  // never returned
    (void)unused;
    return x * 3.0;
  };
  auto [y, jvp_fn] = linearize(f, f64({1, 2}));
  EXPECT_EQ(jvp_fn.num_steps(), 1);
  EXPECT_TRUE(close(jvp_fn(f64({1, -1})), f64({3, -3})));
}

TEST(Linearize, ZeroAndUndefinedTangents) {
  auto f = [](const Tensor& a, const Tensor& b) {
    return std::tuple{a * b, b * 2.0, ones({2}, DType::Float64)};
  };
  auto [out, jvp_fn] = linearize(f, f64({1, 2}), f64({3, 4}));
  auto [ta, tb, tc] = jvp_fn(f64({1, 1}), Tensor());
  EXPECT_TRUE(close(ta, f64({3, 4})));
  EXPECT_TRUE(close(tb, f64({0, 0})));
  EXPECT_TRUE(close(tc, f64({0, 0})));
}

TEST(Linearize, InPlaceWritesReplay) {
  auto f = [](const Tensor& x, const Tensor& s) {
    Tensor d = x.clone();
    Tensor row = d.select(0, 1);
    row.copy_(s * s);
    return d * 2.0;
  };
  const Tensor x = f64({1, 2, 3, 4}, {2, 2}), s = f64({5, 6});
  auto [y, jvp_fn] = linearize(f, x, s);
  for (double scale : {1.0, -2.0}) {
    const Tensor tx = full({2, 2}, scale, DType::Float64);
    const Tensor ts = f64({1, 2});
    auto [y2, expected] = jvp(f, std::tuple{x, s}, std::tuple{tx, ts});
    EXPECT_TRUE(close(jvp_fn(tx, ts), expected, 1e-14));
  }
}

TEST(Linearize, VmapOfJvpFnIsTheJacobian) {
  auto f = [](const Tensor& x) { return sin(x) * x.sum(); };
  const Tensor x = f64({0.1, 0.2, 0.3});
  auto [y, jvp_fn] = linearize(f, x);
  const Tensor jac_t = vmap(jvp_fn)(eye(3, DType::Float64));  // rows: J e_i
  // J[i][j] = cos(x_i) s delta_ij + sin(x_i)
  const double s = 0.6;
  std::vector<double> expected;
  for (int j = 0; j < 3; ++j) {
    for (int i = 0; i < 3; ++i) {
      const double xi = 0.1 * (i + 1);
      expected.push_back((i == j ? std::cos(xi) * s : 0) + std::sin(xi));
    }
  }
  EXPECT_TRUE(close(jac_t, f64(expected, {3, 3}), 1e-14));
}

TEST(Linearize, GradOfJvpFnIsTheTranspose) {
  Generator gen(5);
  const Tensor w = randn({3, 4}, DType::Float64, &gen);
  auto f = [&](const Tensor& x) { return tanh(matmul(w, x)); };
  const Tensor x = randn({4}, DType::Float64, &gen);
  auto [y, jvp_fn] = linearize(f, x);
  const Tensor u = randn({3}, DType::Float64, &gen);
  auto pairing = [&](const Tensor& v) { return (u * jvp_fn(v)).sum(); };
  const Tensor jt_u = grad(pairing)(zeros({4}, DType::Float64));
  auto [out, vjp_fn] = vjp(f, x);
  EXPECT_TRUE(close(jt_u, std::get<0>(vjp_fn(u)), 1e-13));
}

TEST(Linearize, TangentErrors) {
  auto f = [](const Tensor& a) { return a * a; };
  auto [y, jvp_fn] = linearize(f, f64({1, 2}));
  EXPECT_TRUE(throws_with(
      [&] {
        (void)jvp_fn(f64({1, 2, 3}));
      },
      {"[linearize] jvp_fn: tangent 0 has shape [3]", "primal has shape [2]"}));
  EXPECT_TRUE(throws_with(
      [&] {
        (void)jvp_fn(from_vector({1.0, 2.0}));
      },
      {"dtype float32", "dtype float64"}));
}

}  // namespace
}  // namespace fnx::testing
