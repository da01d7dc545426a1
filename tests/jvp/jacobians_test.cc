// jacfwd, value_and_jacfwd, hessian, hvp, jacobian (mode selection) and
// value_and_jacrev: against analytic Jacobians and against each other.
#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "core/interpreter.h"
#include "core/ops/ops.h"
#include "gtest/gtest.h"
#include "tests/testing/transform_test_util.h"
#include "transforms/jacobians/hessian.h"
#include "transforms/jacobians/hvp.h"
#include "transforms/jacobians/jacfwd.h"
#include "transforms/jacobians/jacobian.h"
#include "transforms/jacobians/jacrev.h"

namespace fnx::testing {
namespace {

Tensor predict(const Tensor& w, const Tensor& b, const Tensor& x) {
  return tanh(matmul(w, x) + b);
}

// d tanh(W x + b) / dx = diag(1 - y^2) W.
Tensor predict_jac_x(const Tensor& w, const Tensor& b, const Tensor& x) {
  const Tensor y = predict(w, b, x);
  return unsqueeze(1.0 - y * y, 1) * w;
}

// diag(v) as a matrix.
Tensor diag_of(const Tensor& v) {
  return eye(v.numel(), v.dtype()) * unsqueeze(v, 0);
}

struct Net {
  Tensor w, b, x;
};
Net net(int64_t d_in, int64_t d_out, uint64_t seed) {
  Generator gen(seed);
  return {randn({d_out, d_in}, DType::Float64, &gen),
          randn({d_out}, DType::Float64, &gen),
          randn({d_in}, DType::Float64, &gen)};
}

TEST(Jacfwd, MatchesTheAnalyticJacobianAndJacrev) {
  const Net s = net(5, 3, 1);
  const Tensor j = jacfwd<2>(predict)(s.w, s.b, s.x);
  EXPECT_EQ(j.shape(), (Shape{3, 5}));
  EXPECT_TRUE(close(j, predict_jac_x(s.w, s.b, s.x), 1e-13));
  EXPECT_TRUE(close(j, jacrev<2>(predict)(s.w, s.b, s.x), 1e-13));
}

TEST(Jacfwd, SeveralArgnumsAndTreeOutputs) {
  const Net s = net(4, 3, 2);
  auto [jw, jb] = jacfwd<0, 1>(predict)(s.w, s.b, s.x);
  auto [rw, rb] = jacrev<0, 1>(predict)(s.w, s.b, s.x);
  EXPECT_EQ(jw.shape(), (Shape{3, 3, 4}));
  EXPECT_TRUE(close(jw, rw, 1e-13));
  EXPECT_TRUE(close(jb, rb, 1e-13));

  auto two = [](const Tensor& x) {
    return std::vector<Tensor>{sin(x), (x * x).sum()};
  };
  const Tensor x = f64({0.1, 0.2});
  const std::vector<Tensor> jf = jacfwd(two)(x);
  const std::vector<Tensor> jr = jacrev(two)(x);
  ASSERT_EQ(jf.size(), 2u);
  EXPECT_EQ(jf[1].shape(), (Shape{2}));
  EXPECT_TRUE(close(jf[0], jr[0], 1e-14));
  EXPECT_TRUE(close(jf[1], f64({0.2, 0.4}), 1e-14));
}

TEST(Jacfwd, ChunkSizeDoesNotChangeTheResult) {
  const Net s = net(7, 4, 3);
  const Tensor full_j = jacfwd<2>(predict)(s.w, s.b, s.x);
  for (int64_t chunk : {1, 3, 7, 100}) {
    const Tensor j = jacfwd<2>(predict, {.chunk_size = chunk})(s.w, s.b, s.x);
    EXPECT_TRUE(close(j, full_j, 0, 0)) << "chunk_size " << chunk;
  }
  EXPECT_TRUE(throws_with(
      [&] { (void)jacfwd<2>(predict, {.chunk_size = 0})(s.w, s.b, s.x); },
      {"[jacfwd] chunk_size must be >= 1"}));
}

TEST(Jacfwd, HasAuxAndValue) {
  auto f = [](const Tensor& x) {
    const Tensor y = exp(x);
    return std::pair{y * 2.0, y.sum()};
  };
  const Tensor x = f64({0.0, 1.0});
  auto [j, aux] = jacfwd(f, {.has_aux = true})(x);
  EXPECT_TRUE(close(j, diag_of(exp(x) * 2.0)));
  EXPECT_NEAR(aux.item<double>(), 1 + std::exp(1.0), 1e-14);
  auto [value_aux, j2] = value_and_jacfwd(f, {.has_aux = true})(x);
  EXPECT_TRUE(close(value_aux.first, exp(x) * 2.0));
  EXPECT_TRUE(close(j2, j, 0, 0));

  auto g = [](const Tensor& v) { return sin(v); };
  auto [value, jg] = value_and_jacfwd(g)(x);
  EXPECT_TRUE(close(value, sin(x)));
  auto [value_r, jr] = value_and_jacrev(g)(x);
  EXPECT_TRUE(close(value_r, sin(x)));
  EXPECT_TRUE(close(jg, jr, 1e-15));
}

TEST(Jacfwd, Randomness) {
  auto noisy = [](const Tensor& x) { return x * rand({2}, DType::Float64); };
  const Tensor x = f64({1, 2});
  EXPECT_TRUE(throws_with([&] { (void)jacfwd(noisy)(x); }, {"[vmap]"}));
  const Tensor j = jacfwd(noisy, {.randomness = Randomness::same})(x);
  EXPECT_EQ(j.shape(), (Shape{2, 2}));
  EXPECT_DOUBLE_EQ(j.at<double>({0, 1}), 0.0);
  EXPECT_GT(j.at<double>({0, 0}), 0.0);
}

TEST(Jacfwd, EdgeCases) {
  auto f = [](const Tensor& x) { return x.sum() * 2.0; };
  const Tensor empty_j = jacfwd(f)(zeros({0}, DType::Float64));
  EXPECT_EQ(empty_j.shape(), (Shape{0}));
  const Tensor scalar_j = jacfwd(f)(f64({3}, {}));
  EXPECT_EQ(scalar_j.shape(), (Shape{}));
  EXPECT_DOUBLE_EQ(scalar_j.item<double>(), 2.0);
  const Tensor i = from_vector(std::vector<int64_t>{1, 2}, {2});
  EXPECT_TRUE(throws_with([&] { (void)jacfwd(f)(i); },
                          {"[jacfwd] argument 0 has dtype int64"}));
}

TEST(Hessian, ForwardOverReverseMatchesTheOtherOrders) {
  auto f = [](const Tensor& x) {
    return (x * x * x).sum() + (sin(x) * x).sum();
  };
  const Tensor x = f64({0.3, -0.5, 1.1});
  const Tensor h = hessian(f)(x);
  // diag(6 x + 2 cos x - x sin x)
  EXPECT_TRUE(close(h, diag_of(x * 6.0 + cos(x) * 2.0 - x * sin(x)), 1e-13));
  EXPECT_TRUE(close(h, jacrev(jacrev(f))(x), 1e-13));
  EXPECT_TRUE(close(h, jacfwd(jacfwd(f))(x), 1e-13));
}

TEST(Hessian, OfAVectorFunctionWithArgnums) {
  const Net s = net(4, 3, 4);
  const Tensor h = hessian<2>(predict)(s.w, s.b, s.x);
  EXPECT_EQ(h.shape(), (Shape{3, 4, 4}));
  EXPECT_TRUE(close(h, jacrev<2>(jacrev<2>(predict))(s.w, s.b, s.x), 1e-12));
}

TEST(Hvp, EqualsTheHessianTimesTheVector) {
  auto f = [](const Tensor& x) { return (exp(x) * sin(x)).sum() * x.sum(); };
  Generator gen(9);
  const Tensor x = randn({6}, DType::Float64, &gen);
  const Tensor v = randn({6}, DType::Float64, &gen);
  EXPECT_TRUE(close(hvp(f, x, v), mv(hessian(f)(x), v), 1e-12));

  auto g = [](const Tensor& a, const Tensor& b) { return (a * a * b).sum(); };
  const Tensor a = f64({1, 2}), b = f64({3, 4});
  auto [ha, hb] =
      hvp(g, std::tuple{a, b}, std::tuple{f64({1, 0}), f64({0, 1})});
  // grad_a = 2 a b, grad_b = a^2; along (e_0, e_1):
  EXPECT_TRUE(close(ha, f64({2 * 3, 2 * 2})));  // 2 b va + 2 a vb
  EXPECT_TRUE(close(hb, f64({2 * 1, 0})));      // 2 a va
  EXPECT_TRUE(throws_with([&] { (void)hvp(f, x, f64({1})); },
                          {"[hvp] the tangent of argument 0 has shape [1]"}));
}

// The interpreters on the stack when f last ran.
struct Spy {
  std::vector<std::string>* names;
  Tensor operator()(const Tensor& x) const {
    names->clear();
    for (int i = 0; i < interpreter_depth(); ++i) {
      names->push_back(interpreter_at(i)->name());
    }
    return sin(x).sum() * x;
  }
};

TEST(Jacobian, AutomaticModePicksTheCheaperSide) {
  std::vector<std::string> names;
  const Spy f{&names};
  const Tensor small = f64({0.1, 0.2});
  auto j = jacobian(f);
  EXPECT_EQ(j.mode_for(small), JacobianMode::reverse);  // 2 in, 2 out: tie
  auto wide = [&](const Tensor& x) { return expand(f(x), {50, 2}); };
  auto jw = jacobian(wide);
  EXPECT_EQ(jw.mode_for(small), JacobianMode::forward);  // 2 in, 100 out
  const Tensor result = jw(small);
  EXPECT_EQ(result.shape(), (Shape{50, 2, 2}));
  EXPECT_EQ(names, (std::vector<std::string>{"vmap", "jvp"}));
  EXPECT_TRUE(close(result, jacrev(wide)(small), 1e-14));
  (void)j(small);
  EXPECT_EQ(names, (std::vector<std::string>{"grad"}));
  EXPECT_TRUE(close(jacobian(f, {.mode = JacobianMode::forward})(small),
                    j(small), 1e-14));
  // A function that reads a value cannot run on shapes alone: it runs once.
  auto reads = [](const Tensor& x) {
    return x * (x.sum().item<double>() > 0 ? 1.0 : -1.0);
  };
  EXPECT_EQ(jacobian(reads).mode_for(small), JacobianMode::reverse);
  EXPECT_TRUE(close(jacobian(reads)(small), eye(2, DType::Float64)));
}

}  // namespace
}  // namespace fnx::testing

namespace fnx {
namespace {

// Large outputs go through jacrev's basis in cache-sized blocks when no
// chunk_size is set: the same Jacobian, bit for bit, as all rows at once.
TEST(Jacrev, DefaultBlocksOfALargeBasisChangeNothing) {
  Generator gen(0);
  const Tensor w = randn({1500, 8}, DType::Float32, &gen);
  const Tensor x = randn({8}, DType::Float32, &gen);
  auto f = [&](const Tensor& v) { return tanh(matmul(w, v)); };
  const Tensor blocked = jacrev(f)(x);
  const Tensor whole = jacrev(f, {.chunk_size = 1500})(x);
  EXPECT_EQ(blocked.shape(), Shape({1500, 8}));
  EXPECT_EQ(blocked.to_vector(), whole.to_vector());
}

}  // namespace
}  // namespace fnx
