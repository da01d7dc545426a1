// Forward levels: nested jvp (forward-over-forward) without perturbation
// confusion, higher derivatives, duals that escape, zero tangents that cost
// nothing, and per-thread levels.
#include <cmath>
#include <thread>
#include <tuple>
#include <vector>

#include "core/dispatch.h"
#include "core/interpreter.h"
#include "core/ops/ops.h"
#include "core/storage.h"
#include "gtest/gtest.h"
#include "tests/testing/transform_test_util.h"
#include "transforms/jvp/jvp.h"

namespace fnx::testing {
namespace {

Tensor scalar64(double v) { return scalar_tensor(v, DType::Float64); }

// Siskind & Pearlmutter's example: d/dx [x * d/dy (x + y)] = 1. Confusing
// the inner perturbation with the outer one gives 2.
TEST(JvpLevels, NoPerturbationConfusionForwardOverForward) {
  auto outer = [](const Tensor& x) {
    auto inner = [&](const Tensor& y) { return x + y; };
    auto [value, dy] = jvp(inner, scalar64(1), scalar64(1));
    return x * dy;
  };
  auto [out, t] = jvp(outer, scalar64(1), scalar64(1));
  EXPECT_DOUBLE_EQ(out.item<double>(), 1.0);
  EXPECT_DOUBLE_EQ(t.item<double>(), 1.0);
}

// The inner function closes over the outer dual x and differentiates in
// y only: the x it sees is a constant to the inner level.
TEST(JvpLevels, InnerLevelSeesOuterDualsAsConstants) {
  auto outer = [](const Tensor& x) {
    auto inner = [&](const Tensor& y) { return x * y * y; };
    auto [value, dy] = jvp(inner, scalar64(3), scalar64(1));  // 2 x y = 6x
    return dy;
  };
  auto [out, t] = jvp(outer, scalar64(2), scalar64(1));
  EXPECT_DOUBLE_EQ(out.item<double>(), 12.0);
  EXPECT_DOUBLE_EQ(t.item<double>(), 6.0);
}

TEST(JvpLevels, SecondAndThirdDerivatives) {
  const Tensor x = from_vector({0.1, 0.7, -2.0}, DType::Float64);
  const Tensor one = ones_like(x);
  auto f = [](const Tensor& v) { return sin(v); };
  auto df = [&](const Tensor& v) {
    return std::get<1>(jvp(f, v, ones_like(v)));
  };
  auto ddf = [&](const Tensor& v) {
    return std::get<1>(jvp(df, v, ones_like(v)));
  };
  auto [d1, d2] = jvp(df, x, one);
  EXPECT_TRUE(close(d1, cos(x), 1e-14));
  EXPECT_TRUE(close(d2, neg(sin(x)), 1e-14));
  auto [dd, d3] = jvp(ddf, x, one);
  EXPECT_TRUE(close(d3, neg(cos(x)), 1e-14));
}

TEST(JvpLevels, EscapedDualActsAsItsPrimal) {
  Tensor leaked;
  auto f = [&](const Tensor& x) {
    leaked = x * 2.0;
    return x;
  };
  (void)jvp(f, f64({1, 2}), f64({1, 1}));
  ASSERT_TRUE(leaked.is_wrapper());
  EXPECT_EQ(live_level(leaked), -1);  // its level is gone
  EXPECT_TRUE(close(leaked + 1.0, f64({3, 5})));
  // A new jvp treats it as a constant.
  auto g = [&](const Tensor& x) { return x * leaked; };
  auto [y, t] = jvp(g, f64({1, 1}), f64({1, 1}));
  EXPECT_TRUE(close(t, f64({2, 4})));
}

TEST(JvpLevels, ZeroTangentsCostNothing) {
  const Tensor x = ones({1000}, DType::Float64);
  const Tensor y = full({1000}, 2.0, DType::Float64);
  auto f = [](const Tensor& a, const Tensor& b) { return a * b + exp(b); };
  int64_t before = kernel_calls();
  (void)f(x, y);
  const int64_t plain = kernel_calls() - before;
  EXPECT_EQ(plain, 3);

  // Only x has a tangent: one more kernel (tx * y); b's terms are skipped,
  // and the sum with exp(b) passes the tangent through.
  const Tensor tx = ones_like(x);
  before = kernel_calls();
  auto [out, t] = jvp(f, std::tuple{x, y}, std::tuple{tx, Tensor()});
  EXPECT_EQ(kernel_calls() - before, plain + 1);
  EXPECT_TRUE(close(t, y));

  // No tangent at all: the primal kernels, plus the zeros of the result's
  // tangent; no tangent is allocated on the way (peak: the inputs, the
  // three primal temporaries at most and the zero result).
  const int64_t bytes_before = live_storage_bytes();
  before = kernel_calls();
  auto [out2, t2] = jvp(f, std::tuple{x, y}, std::tuple{Tensor(), Tensor()});
  EXPECT_EQ(kernel_calls() - before, plain + 1);
  EXPECT_EQ(live_storage_bytes() - bytes_before, 2 * 1000 * 8);  // out2, t2
  EXPECT_TRUE(close(t2, zeros({1000}, DType::Float64)));
}

TEST(JvpLevels, ConstantsCapturedFromOutsideStayConstants) {
  const Tensor w = f64({2, 3});
  auto f = [&](const Tensor& x) { return (w * x).sum(); };
  auto [out, t] = jvp(f, f64({1, 1}), f64({1, 0}));
  EXPECT_DOUBLE_EQ(t.item<double>(), 2.0);
}

TEST(JvpLevels, LevelsArePerThread) {
  auto work = [](double scale, double* out) {
    auto f = [&](const Tensor& x) {
      Tensor y = x;
      for (int i = 0; i < 100; ++i) y = y * 1.0 + x * scale;
      return y.sum();
    };
    auto [v, t] = jvp(f, ones({4}, DType::Float64), ones({4}, DType::Float64));
    *out = t.item<double>();
  };
  double a = 0, b = 0;
  std::thread t1(work, 1.0, &a), t2(work, 2.0, &b);
  t1.join();
  t2.join();
  EXPECT_DOUBLE_EQ(a, 4 * (1 + 100 * 1.0));
  EXPECT_DOUBLE_EQ(b, 4 * (1 + 100 * 2.0));
  EXPECT_EQ(interpreter_depth(), 0);
}

TEST(JvpLevels, StackIsRestoredAfterAnError) {
  auto f = [](const Tensor& x) -> Tensor {
    (void)(x + ones({5}, DType::Float64));
    return x;
  };
  EXPECT_THROW((void)jvp(f, f64({1, 2}), f64({1, 1})), Error);
  EXPECT_EQ(interpreter_depth(), 0);
}

}  // namespace
}  // namespace fnx::testing
