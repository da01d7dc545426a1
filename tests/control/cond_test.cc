// cond and switch_case (transforms/control/control.h) under every transform,
// compared with the same computation written as plain C++ branching per
// example, in float64.
#include <functional>
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
using testing::throws_with;

// A function with a data-dependent branch, and the same written as a plain
// C++ branch (only valid outside vmap).
Tensor branched(const Tensor& x) {
  return cond(
      x.sum() > 0.0, [](const Tensor& v) { return sin(v) * v; },
      [](const Tensor& v) { return exp(v) + v * v; }, x);
}
Tensor branched_plain(const Tensor& x) {
  return x.sum().item<double>() > 0.0 ? sin(x) * x : exp(x) + x * x;
}

// Examples 0, 2 take the true branch, 1, 3 the false one.
Tensor mixed_batch() {
  return f64({0.5, 1.0, -0.2, -1.0, -0.5, 0.3, 0.7, 0.1, 0.4, -0.9, 0.2, -0.3},
             {4, 3});
}

TEST(Cond, OutsideTransformsRunsOneBranch) {
  int true_calls = 0, false_calls = 0;
  auto t = [&](const Tensor& v) {
    ++true_calls;
    return v + 1.0;
  };
  auto f = [&](const Tensor& v) {
    ++false_calls;
    return v - 1.0;
  };
  const Tensor x = f64({1.0, 2.0});
  EXPECT_TRUE(close(cond(x.sum() > 0.0, t, f, x), f64({2.0, 3.0})));
  EXPECT_TRUE(close(cond(x.sum() < 0.0, t, f, x), f64({0.0, 1.0})));
  EXPECT_TRUE(close(cond(false, t, f, x), f64({0.0, 1.0})));
  EXPECT_EQ(true_calls, 1);
  EXPECT_EQ(false_calls, 2);
  // Any dtype: nonzero is true.
  EXPECT_TRUE(close(cond(f64({2.0}), t, f, x), f64({2.0, 3.0})));
}

TEST(Cond, VmapBatchedPredicateSelectsPerExample) {
  const Tensor xs = mixed_batch();
  EXPECT_TRUE(close(vmap(branched)(xs), per_example(branched_plain, xs)));
  // out_dims 1 and a batch dim that is not first.
  EXPECT_TRUE(close(vmap(branched, 1, 1)(xs.transpose(0, 1)),
                    per_example(branched_plain, xs).transpose(0, 1)));
}

TEST(Cond, VmapRunsBothBranchesOnceOnlyWhenExamplesDisagree) {
  int true_calls = 0, false_calls = 0;
  auto f = [&](const Tensor& x) {
    return cond(
        x.sum() > 0.0,
        [&](const Tensor& v) {
          ++true_calls;
          return v * 2.0;
        },
        [&](const Tensor& v) {
          ++false_calls;
          return v * 3.0;
        },
        x);
  };
  vmap(f)(mixed_batch());
  EXPECT_EQ(true_calls, 1);
  EXPECT_EQ(false_calls, 1);
  // Every example agrees: one branch, once.
  vmap(f)(abs(mixed_batch()));
  EXPECT_EQ(true_calls, 2);
  EXPECT_EQ(false_calls, 1);
}

TEST(Cond, VmapUnbatchedPredicateRunsOneBranch) {
  int false_calls = 0;
  auto f = [&](const Tensor& flag, const Tensor& x) {
    return cond(
        flag, [](const Tensor& v) { return v * 2.0; },
        [&](const Tensor& v) {
          ++false_calls;
          return v * 3.0;
        },
        x);
  };
  const Tensor xs = mixed_batch();
  const Tensor out = vmap(f, {none, 0})(f64({1.0}).reshape({}), xs);
  EXPECT_TRUE(close(out, xs * 2.0));
  EXPECT_EQ(false_calls, 0);
}

TEST(Cond, GradJvpAndHigherOrderMatchPlainBranching) {
  const Tensor xs = mixed_batch();
  auto loss = [](const Tensor& x) { return branched(x).sum(); };
  auto loss_plain = [](const Tensor& x) { return branched_plain(x).sum(); };
  // grad of one example, and per-sample gradients.
  EXPECT_TRUE(
      close(grad(loss)(xs.select(0, 1)), grad(loss_plain)(xs.select(0, 1))));
  EXPECT_TRUE(close(vmap(grad(loss))(xs), per_example(grad(loss_plain), xs)));
  // grad of the batch mean through vmap (grad(vmap)).
  auto batch_loss = [&](const Tensor& x) { return vmap(loss)(x).sum(); };
  EXPECT_TRUE(close(grad(batch_loss)(xs), per_example(grad(loss_plain), xs)));
  // grad(grad) of a scalar function with a branch.
  auto s = [](const Tensor& x) {
    return cond(
        x > 0.0, [](const Tensor& v) { return v * v * v; },
        [](const Tensor& v) { return sin(v); }, x);
  };
  const Tensor pos = f64({0.7}).reshape({}), neg = f64({-0.4}).reshape({});
  EXPECT_TRUE(close(grad(grad(s))(pos), f64({6 * 0.7}).reshape({})));
  EXPECT_TRUE(close(grad(grad(s))(neg), -sin(neg)));
  EXPECT_TRUE(close(vmap(grad(grad(s)))(f64({0.7, -0.4})),
                    f64({6 * 0.7, -std::sin(-0.4)})));
  // jvp, per example and batched.
  const Tensor t = ones_like(xs.select(0, 0));
  auto [y, ty] = jvp(branched, xs.select(0, 0), t);
  auto [yp, typ] = jvp(branched_plain, xs.select(0, 0), t);
  EXPECT_TRUE(close(y, yp));
  EXPECT_TRUE(close(ty, typ));
  // jacfwd(jacrev): the Hessian of each example.
  EXPECT_TRUE(close(vmap(jacfwd(jacrev(loss)))(xs),
                    per_example(jacfwd(jacrev(loss_plain)), xs)));
}

TEST(Cond, FunctionalizeAndNestedVmap) {
  const Tensor xs = mixed_batch();
  EXPECT_TRUE(close(functionalize(vmap(branched))(xs),
                    per_example(branched_plain, xs)));
  // vmap of vmap: the predicate varies over the inner level only, then
  // over both.
  const Tensor xss = stack({xs, -xs}, 0);  // (2, 4, 3)
  Tensor want = stack(
      {per_example(branched_plain, xs), per_example(branched_plain, -xs)}, 0);
  EXPECT_TRUE(close(vmap(vmap(branched))(xss), want));
  auto by_row = [](const Tensor& sign, const Tensor& x) {
    return cond(
        sign, [](const Tensor& v) { return v * 2.0; },
        [](const Tensor& v) { return -v; }, x);
  };
  const Tensor signs = f64({1.0, 0.0});
  const Tensor got = vmap(vmap(by_row, {none, 0}), {0, 0})(signs, xss);
  EXPECT_TRUE(close(got, stack({xs * 2.0, xs}, 0)));
}

TEST(Cond, ErrorsSayWhatDiffers) {
  // A plain C++ branch on a batched value points to cond.
  EXPECT_TRUE(throws_with([] { vmap(branched_plain)(mixed_batch()); },
                          {"item()", "cond / while_loop"}));
  auto mismatched = [](const Tensor& x) {
    return cond(
        x.sum() > 0.0, [](const Tensor& v) { return v; },
        [](const Tensor& v) { return v.sum(); }, x);
  };
  EXPECT_TRUE(throws_with([&] { vmap(mismatched)(mixed_batch()); },
                          {"[cond]", "leaf 0", "[3] float64", "[] float64"}));
  auto dtype_mismatch = [](const Tensor& x) {
    return cond(
        x.sum() > 0.0, [](const Tensor& v) { return v; },
        [](const Tensor& v) { return cast(v, DType::Float32); }, x);
  };
  EXPECT_TRUE(throws_with([&] { vmap(dtype_mismatch)(mixed_batch()); },
                          {"[cond]", "float32", "float64"}));
  auto not_scalar = [](const Tensor& x) {
    return cond(
        x > 0.0, [](const Tensor& v) { return v; },
        [](const Tensor& v) { return -v; }, x);
  };
  EXPECT_TRUE(throws_with(
      [&] {
        not_scalar(f64({1.0, 2.0}));
      },
      {"[cond] pred has shape [2]", "scalar"}));
  EXPECT_TRUE(throws_with(
      [&] {
        cond(
            Tensor(), [](const Tensor& v) { return v; },
            [](const Tensor& v) { return v; }, f64({1.0}));
      },
      "undefined"));
}

using Branch = std::function<Tensor(const Tensor&)>;

TEST(SwitchCase, PicksPerExampleAndClamps) {
  const std::vector<Branch> branches{[](const Tensor& v) { return v + 1.0; },
                                     [](const Tensor& v) { return v * v; },
                                     [](const Tensor& v) { return sin(v); }};
  const Tensor x = f64({0.5, -1.5});
  EXPECT_TRUE(close(switch_case<Tensor>(int64_t{1}, branches, x), x * x));
  EXPECT_TRUE(close(switch_case<Tensor>(int64_t{7}, branches, x), sin(x)));
  EXPECT_TRUE(close(
      switch_case<Tensor>(full({}, -3.0, DType::Int64), branches, x), x + 1.0));
  // Batched index: each example its own branch, out-of-range clamped.
  const Tensor idx = from_vector(std::vector<int64_t>{2, 0, 1, 9, -1}, {5});
  const Tensor xs = f64({0.1, 0.2, 0.3, 0.4, 0.5});
  auto f = [&](const Tensor& i, const Tensor& v) {
    return switch_case<Tensor>(i, branches, v);
  };
  EXPECT_TRUE(close(vmap(f)(idx, xs),
                    f64({std::sin(0.1), 1.2, 0.09, std::sin(0.4), 1.5})));
  // grad per example follows each example's branch.
  auto g = [&](const Tensor& i, const Tensor& v) {
    return grad([&](const Tensor& u) { return f(i, u); })(v);
  };
  EXPECT_TRUE(close(vmap(g)(idx, xs),
                    f64({std::cos(0.1), 1.0, 0.6, std::cos(0.4), 1.0})));
  EXPECT_TRUE(throws_with([&] { switch_case<Tensor>(f64({1.0}), branches, x); },
                          {"[switch_case] index is float64", "integer"}));
}

}  // namespace
}  // namespace fnx
