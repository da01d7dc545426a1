// Forward mode composed with grad and vmap, by hand: perturbation
// confusion across jvp/grad mixes, batched (not looped) vmap(jvp), jvp of
// vmap with unmapped arguments, linearize under vmap, Jacobians of trees
// and under vmap. (opdb_compose_test runs every composition over the whole
// op database.)
#include <tuple>
#include <vector>

#include "core/dispatch.h"
#include "core/ops/ops.h"
#include "core/param_dict.h"
#include "gtest/gtest.h"
#include "tests/testing/transform_test_util.h"
#include "transforms/grad/grad.h"
#include "transforms/jacobians/hessian.h"
#include "transforms/jacobians/hvp.h"
#include "transforms/jacobians/jacfwd.h"
#include "transforms/jacobians/jacrev.h"
#include "transforms/jvp/jvp.h"
#include "transforms/vmap/vmap.h"

namespace fnx::testing {
namespace {

Tensor scalar64(double v) { return scalar_tensor(v, DType::Float64); }

// d/dx [x * d/dy (x + y)] = 1 with the inner derivative by jvp and the outer
// by grad, and the other way round.
TEST(JvpGradMix, NoPerturbationConfusion) {
  auto jvp_inside = [](const Tensor& x) {
    auto [v, dy] =
        jvp([&](const Tensor& y) { return x + y; }, scalar64(1), scalar64(1));
    return x * dy;
  };
  EXPECT_DOUBLE_EQ(grad(jvp_inside)(scalar64(1)).item<double>(), 1.0);

  auto grad_inside = [](const Tensor& x) {
    return x * grad([&](const Tensor& y) { return x + y; })(scalar64(1));
  };
  auto [out, t] = jvp(grad_inside, scalar64(1), scalar64(1));
  EXPECT_DOUBLE_EQ(t.item<double>(), 1.0);
}

TEST(JvpGradMix, SameVariableBothWays) {
  auto square_sum = [](const Tensor& x) { return (x * x).sum(); };
  const Tensor x = from_vector({1.5, -2.0}, DType::Float64);
  // grad of a jvp: d/dx <2 x, 1> = 2 per element.
  auto tangent_sum = [&](const Tensor& v) {
    return std::get<1>(jvp(square_sum, v, ones_like(v)));
  };
  EXPECT_TRUE(close(grad(tangent_sum)(x), full({2}, 2.0, DType::Float64)));
  // jvp of a grad: H t = 2 t.
  auto [g, ht] = jvp(grad(square_sum), x, f64({1, 3}));
  EXPECT_TRUE(close(g, x * 2.0));
  EXPECT_TRUE(close(ht, f64({2, 6})));
  EXPECT_TRUE(close(hvp(square_sum, x, f64({1, 3})), f64({2, 6})));
}

TEST(VmapOfJvp, BatchedKernelsNotALoop) {
  Generator gen(1);
  const Tensor w = randn({8, 8}, DType::Float64, &gen);
  auto f = [&](const Tensor& x) { return tanh(mv(w, x)).sum(); };
  auto tangent = [&](const Tensor& x, const Tensor& t) {
    return std::get<1>(jvp(f, x, t));
  };
  const Tensor xs = randn({64, 8}, DType::Float64, &gen);
  const Tensor ts = randn({64, 8}, DType::Float64, &gen);
  int64_t start = kernel_calls();
  (void)tangent(xs[0], ts[0]);
  const int64_t one = kernel_calls() - start;
  start = kernel_calls();
  const Tensor batched = vmap(tangent)(xs, ts);
  const int64_t all = kernel_calls() - start;
  EXPECT_LT(all, 3 * one) << one << " kernels for one example, " << all
                          << " for 64";
  for (int64_t i : {0, 17, 63}) {
    EXPECT_NEAR(batched[i].item<double>(), tangent(xs[i], ts[i]).item<double>(),
                1e-12);
  }
}

TEST(JvpOfVmap, UnmappedArgumentsAreShared) {
  const Tensor w = f64({1, 2, 3});
  auto f = [](const Tensor& wt, const Tensor& x) { return (wt * x).sum(); };
  auto batched = [&](const Tensor& wt, const Tensor& xs) {
    return vmap(f, {none, 0})(wt, xs);
  };
  const Tensor xs = f64({1, 1, 1, 2, 2, 2}, {2, 3});
  // Along w only: d/dw sum(w * x_b) . tw = <x_b, tw>.
  auto [y, t] =
      jvp(batched, std::tuple{w, xs}, std::tuple{f64({1, 0, 1}), Tensor()});
  EXPECT_TRUE(close(t, f64({2, 4})));
}

TEST(LinearizeUnderVmap, PerExampleLinearizations) {
  auto f = [](const Tensor& x) { return sin(x) * x; };
  auto per_example = [&](const Tensor& x, const Tensor& t) {
    auto [y, jvp_fn] = linearize(f, x);
    return jvp_fn(t);
  };
  const Tensor xs = f64({0.1, 0.2, 0.3, 0.4}, {2, 2});
  const Tensor ts = f64({1, 2, 3, 4}, {2, 2});
  const Tensor got = vmap(per_example)(xs, ts);
  EXPECT_TRUE(close(got, (cos(xs) * xs + sin(xs)) * ts, 1e-14));
}

TEST(Jacobians, ParamDictArgumentsAndVmap) {
  Generator gen(4);
  ParamDict p{{"w", randn({3, 2}, DType::Float64, &gen)},
              {"b", randn({3}, DType::Float64, &gen)}};
  const Tensor x = randn({2}, DType::Float64, &gen);
  auto f = [](const ParamDict& q, const Tensor& v) {
    return tanh(mv(q.at("w"), v) + q.at("b"));
  };
  const ParamDict jf = jacfwd(f)(p, x);
  const ParamDict jr = jacrev(f)(p, x);
  EXPECT_EQ(jf.at("w").shape(), (Shape{3, 3, 2}));
  EXPECT_TRUE(close(jf.at("w"), jr.at("w"), 1e-14));
  EXPECT_TRUE(close(jf.at("b"), jr.at("b"), 1e-14));

  // Per-example Jacobians w.r.t. the input, forward and reverse.
  const Tensor xs = randn({5, 2}, DType::Float64, &gen);
  const Tensor bf = vmap(jacfwd<1>(f), {none, 0})(p, xs);
  const Tensor br = vmap(jacrev<1>(f), {none, 0})(p, xs);
  EXPECT_EQ(bf.shape(), (Shape{5, 3, 2}));
  EXPECT_TRUE(close(bf, br, 1e-14));
  EXPECT_TRUE(close(bf[3], jacfwd<1>(f)(p, xs[3]), 1e-14));
}

TEST(Jacobians, HessianOfAParamDictFunction) {
  ParamDict p{{"a", f64({1, 2})}, {"c", f64({3}, {})}};
  auto f = [](const ParamDict& q) {
    return (q.at("a") * q.at("a")).sum() * q.at("c");
  };
  const std::vector<ParamDict> h = hessian(f)(p);  // per gradient leaf
  ASSERT_EQ(h.size(), 2u);
  // d2/da2 = 2 c I, d2/da dc = 2 a, d2/dc2 = 0.
  EXPECT_TRUE(close(h[0].at("a"), f64({6, 0, 0, 6}, {2, 2})));
  EXPECT_TRUE(close(h[0].at("c"), f64({2, 4})));
  EXPECT_TRUE(close(h[1].at("c"), f64({0}, {})));
}

}  // namespace
}  // namespace fnx::testing
