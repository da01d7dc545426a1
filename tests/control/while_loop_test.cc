// while_loop (transforms/control/control.h) under every transform, compared
// with the same loop written in plain C++ per example, in float64:
// Newton's method and an adaptive-step integrator whose examples take
// different numbers of steps.
#include <cmath>
#include <tuple>
#include <vector>

#include "fnx.h"
#include "gtest/gtest.h"
#include "tests/control/control_test_util.h"
#include "tests/testing/transform_test_util.h"

namespace fnx {
namespace {

using testing::close;
using testing::f64;
using testing::per_example;
using testing::scalar;
using testing::throws_with;

// sqrt(a) by Newton's method from z = a, with a step counter in the carry.
using Newton = std::tuple<Tensor, Tensor>;  // (z, steps)
Newton newton(const Tensor& a, const WhileLoopOptions& options = {}) {
  return while_loop(
      [&](const Newton& c) {
        return abs(std::get<0>(c) * std::get<0>(c) - a) > 1e-10;
      },
      [&](const Newton& c) {
        const Tensor& z = std::get<0>(c);
        return Newton{z - (z * z - a) / (2.0 * z), std::get<1>(c) + 1.0};
      },
      Newton{a, zeros_like(a)}, options);
}
Newton newton_plain(const Tensor& a) {
  Tensor z = a, steps = zeros_like(a);
  while (std::abs((z * z - a).item<double>()) > 1e-10) {
    z = z - (z * z - a) / (2.0 * z);
    steps = steps + 1.0;
  }
  return {z, steps};
}

// An adaptive-step Euler integrator of dy/dt = -k y on [0, 1]: the step
// shrinks where the solution changes fast, so each k takes its own number
// of steps. Carry (t, y, steps).
using Ode = std::tuple<Tensor, Tensor, Tensor>;
Tensor step_size(const Tensor& t, const Tensor& y, const Tensor& k) {
  return minimum(0.05 / (1.0 + abs(k * y)), 1.0 - t + 1e-12);
}
Ode integrate(const Tensor& k) {
  return while_loop([](const Ode& c) { return std::get<0>(c) < 1.0 - 1e-9; },
                    [&](const Ode& c) {
                      const auto& [t, y, n] = c;
                      const Tensor h = step_size(t, y, k);
                      return Ode{t + h, y - h * k * y, n + 1.0};
                    },
                    Ode{zeros_like(k), ones_like(k), zeros_like(k)});
}
Ode integrate_plain(const Tensor& k) {
  Tensor t = zeros_like(k), y = ones_like(k), n = zeros_like(k);
  while (t.item<double>() < 1.0 - 1e-9) {
    const Tensor h = step_size(t, y, k);
    t = t + h;
    y = y - h * k * y;
    n = n + 1.0;
  }
  return {t, y, n};
}

TEST(WhileLoop, PlainLoop) {
  auto [z, steps] = newton(scalar(2.0));
  EXPECT_TRUE(close(z, scalar(std::sqrt(2.0)), 1e-9));
  EXPECT_GT(steps.item<double>(), 2.0);
  // max_steps stops the loop early.
  auto [z1, s1] = newton(scalar(2.0), {.max_steps = 1});
  EXPECT_TRUE(close(z1, scalar(1.5)));
  EXPECT_TRUE(close(s1, scalar(1.0)));
  // A condition false at the start leaves the carry as it is.
  auto [z0, s0] = newton(scalar(1.0));
  EXPECT_TRUE(close(s0, scalar(0.0)));
}

TEST(WhileLoop, VmapRunsEachExampleItsOwnNumberOfSteps) {
  const Tensor as = f64({1.0, 2.0, 9.0, 1e4, 0.01});
  auto z = [](const Tensor& a) { return std::get<0>(newton(a)); };
  auto n = [](const Tensor& a) { return std::get<1>(newton(a)); };
  auto zp = [](const Tensor& a) { return std::get<0>(newton_plain(a)); };
  auto np = [](const Tensor& a) { return std::get<1>(newton_plain(a)); };
  const Tensor steps = vmap(n)(as);
  EXPECT_TRUE(close(steps, per_example(np, as)));
  // Finished examples stay exactly where they stopped.
  EXPECT_TRUE(close(vmap(z)(as), per_example(zp, as), 0.0, 0.0));
  EXPECT_NE(steps.select(0, 0).item<double>(),
            steps.select(0, 3).item<double>());
}

TEST(WhileLoop, AdaptiveIntegratorUnderVmapMatchesPerExampleLoops) {
  const Tensor ks = f64({0.5, 2.0, 8.0, 30.0});
  for (int leaf = 0; leaf < 3; ++leaf) {
    auto pick = [leaf](const Ode& o) {
      return leaf == 0   ? std::get<0>(o)
             : leaf == 1 ? std::get<1>(o)
                         : std::get<2>(o);
    };
    const Tensor got =
        vmap([&](const Tensor& k) { return pick(integrate(k)); })(ks);
    const Tensor want = per_example(
        [&](const Tensor& k) { return pick(integrate_plain(k)); }, ks);
    EXPECT_TRUE(close(got, want, 1e-12, 1e-12)) << "leaf " << leaf;
  }
  // Different step counts per example.
  const Tensor n =
      vmap([](const Tensor& k) { return std::get<2>(integrate(k)); })(ks);
  EXPECT_LT(n.select(0, 0).item<double>(), n.select(0, 3).item<double>());
  // Forward mode through the batched loop: dy(1)/dk per example.
  auto y_of_k = [](const Tensor& k) { return std::get<1>(integrate(k)); };
  auto y_of_k_plain = [](const Tensor& k) {
    return std::get<1>(integrate_plain(k));
  };
  EXPECT_TRUE(close(vmap(jacfwd(y_of_k))(ks),
                    per_example(jacfwd(y_of_k_plain), ks), 1e-12, 1e-9));
}

TEST(WhileLoop, ForwardModeNeedsNoBound) {
  auto z = [](const Tensor& a) { return std::get<0>(newton(a)); };
  auto [y, t] = jvp(z, scalar(4.0), scalar(1.0));
  EXPECT_TRUE(close(y, scalar(2.0), 1e-9));
  EXPECT_TRUE(close(t, scalar(0.25), 1e-6));  // d sqrt(a)/da at 4
  EXPECT_TRUE(
      close(vmap(jacfwd(z))(f64({4.0, 9.0})), f64({0.25, 1.0 / 6.0}), 1e-6));
}

TEST(WhileLoop, ReverseModeNeedsMaxSteps) {
  auto z = [](const Tensor& a) { return std::get<0>(newton(a)); };
  EXPECT_TRUE(throws_with([&] { grad(z)(scalar(4.0)); },
                          {"[while_loop]", "reverse-mode", "max_steps"}));
  EXPECT_TRUE(throws_with([&] { jacrev(z)(scalar(4.0)); }, "max_steps"));
  // A captured tracked tensor makes the carry tracked after one step.
  auto captured = [](const Tensor& w) {
    return while_loop([](const Tensor& c) { return c < 10.0; },
                      [&](const Tensor& c) { return c + w; }, scalar(0.0));
  };
  EXPECT_TRUE(throws_with([&] { grad(captured)(scalar(1.0)); }, "max_steps"));
}

TEST(WhileLoop, ReverseModeWithMaxStepsMatchesPlainLoop) {
  auto bounded = [](const Tensor& a) {
    return std::get<0>(newton(a, {.max_steps = 100}));
  };
  auto plain = [](const Tensor& a) { return std::get<0>(newton_plain(a)); };
  const Tensor as = f64({1.0, 2.0, 9.0, 1e4, 0.01});
  EXPECT_TRUE(close(grad(bounded)(scalar(2.0)), grad(plain)(scalar(2.0))));
  EXPECT_TRUE(close(vmap(grad(bounded))(as), per_example(grad(plain), as)));
  EXPECT_TRUE(close(vmap(grad(grad(bounded)))(as),
                    per_example(grad(grad(plain)), as), 1e-9, 1e-6));
  EXPECT_TRUE(close(vmap(jacfwd(jacrev(bounded)))(as),
                    per_example(jacfwd(jacrev(plain)), as), 1e-9, 1e-6));
  // A captured weight: grad w.r.t. it.
  auto captured = [](const Tensor& w) {
    return while_loop([](const Tensor& c) { return c < 3.0; },
                      [&](const Tensor& c) { return c + w * w; }, scalar(0.0),
                      {.max_steps = 50});
  };
  EXPECT_TRUE(close(grad(captured)(scalar(1.0)), scalar(6.0)));  // 3 steps
}

TEST(WhileLoop, FunctionalizeAndNesting) {
  const Tensor as = f64({1.0, 2.0, 9.0});
  auto z = [](const Tensor& a) { return std::get<0>(newton(a)); };
  EXPECT_TRUE(close(functionalize(vmap(z))(as), sqrt(as), 1e-9));
  // A scan inside a vmapped while_loop: each step sums a cumulative scan.
  auto nested = [](const Tensor& limit) {
    return while_loop([&](const Tensor& c) { return c.sum() < limit; },
                      [](const Tensor& c) {
                        return scan(
                                   [](const Tensor& acc, const Tensor& x) {
                                     return std::pair{acc + x, acc};
                                   },
                                   zeros_like(c.select(0, 0)), c)
                                   .second +
                               c;
                      },
                      f64({1.0, 1.0, 1.0}));
  };
  auto nested_plain = [](const Tensor& limit) {
    Tensor c = f64({1.0, 1.0, 1.0});
    while (c.sum().item<double>() < limit.item<double>()) {
      std::vector<double> v = c.to_vector(), out(v.size());
      double acc = 0.0;
      for (std::size_t i = 0; i < v.size(); ++i) {
        out[i] = acc + v[i];
        acc += v[i];
      }
      c = f64(out);
    }
    return c;
  };
  const Tensor limits = f64({2.0, 10.0, 100.0});
  EXPECT_TRUE(close(vmap(nested)(limits), per_example(nested_plain, limits)));
}

TEST(WhileLoop, ErrorsSayWhatIsWrong) {
  EXPECT_TRUE(throws_with(
      [] {
        while_loop([](const Tensor& c) { return c.sum() < 5.0; },
                   [](const Tensor& c) {
                     return cat({c, c}, 0);
                   },
                   f64({1.0}));
      },
      {"[while_loop] body_fn's carry leaf 0 is [2] float64", "[1] float64"}));
  EXPECT_TRUE(throws_with(
      [] {
        while_loop([](const Tensor& c) { return c < 5.0; },
                   [](const Tensor& c) { return c + 1.0; }, f64({1.0, 2.0}));
      },
      {"[while_loop] cond_fn's result has shape [2]", "scalar"}));
  EXPECT_TRUE(throws_with(
      [] {
        while_loop([](const Tensor& c) { return c < 5.0; },
                   [](const Tensor& c) { return c + 1.0; }, scalar(0.0),
                   {.max_steps = -1});
      },
      "max_steps is -1"));
  using Carry = std::vector<Tensor>;
  EXPECT_TRUE(throws_with(
      [] {
        while_loop([](const Carry& c) { return c[0] < 5.0; },
                   [](const Carry& c) {
                     return Carry{c[0] + 1.0, c[0]};
                   },
                   Carry{scalar(0.0)});
      },
      {"[while_loop] body_fn returned", "structure"}));
}

}  // namespace
}  // namespace fnx
