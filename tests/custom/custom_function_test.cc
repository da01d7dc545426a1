// Custom functions (transforms/custom/custom.h): which rule each transform
// uses (counted), the rules derived from the others, batching of the
// user's rules, errors. The op database runs the same functions through
// every suite and composition (tests/opinfo/opinfo_custom.cc).
#include <tuple>
#include <vector>

#include "fnx.h"
#include "gtest/gtest.h"
#include "tests/opinfo/custom_functions.h"
#include "tests/testing/transform_test_util.h"

namespace fnx {
namespace {

namespace custom = opinfo::custom;
using testing::close;
using testing::throws_with;

Tensor randn64(const Shape& shape, uint64_t seed) {
  Generator gen(seed);
  return randn(shape, DType::Float64, &gen);
}

TEST(CustomFunction, RunsFwdOutsideTransforms) {
  custom::stable_softplus_counters().reset();
  const Tensor x = randn64({5}, 1);
  EXPECT_TRUE(close(custom::stable_softplus(x), log1p(exp(x)), 1e-12));
  EXPECT_EQ(custom::stable_softplus_counters().fwd, 1);
  EXPECT_EQ(custom::stable_softplus_counters().jvp, 0);
}

TEST(CustomFunction, UserVjpClipsTheGradient) {
  custom::clip_counters().reset();
  const Tensor x = randn64({6}, 2);
  auto f = [](const Tensor& x) {
    return (custom::scale_clip_grad(x, 1.5) * 10.0).sum();
  };
  // d/dx = 2 * 10 = 20 per element, clipped to 1.5 by the user's bwd.
  EXPECT_TRUE(close(grad(f)(x), full({6}, 1.5, DType::Float64), 0));
  EXPECT_EQ(custom::clip_counters().bwd, 1);
}

TEST(CustomFunction, GradOfAJvpOnlyFunctionTransposesTheJvp) {
  custom::stable_softplus_counters().reset();
  const Tensor x = randn64({4}, 3);
  const Tensor g =
      grad([](const Tensor& x) { return custom::stable_softplus(x).sum(); })(x);
  EXPECT_TRUE(close(g, sigmoid(x), 1e-12));
  EXPECT_GE(custom::stable_softplus_counters().jvp, 1);
}

TEST(CustomFunction, JvpOfAVjpOnlyFunctionTransposesTheBwd) {
  custom::foreign_counters().reset();
  const Tensor x = randn64({3, 4}, 4), y = randn64({3, 4}, 5);
  const Tensor tx = randn64({3, 4}, 6), ty = randn64({3, 4}, 7);
  auto [out, tangent] =
      jvp([](const Tensor& a,
             const Tensor& b) { return custom::foreign_rowdot(a, b); },
          std::make_tuple(x, y), std::make_tuple(tx, ty));
  EXPECT_TRUE(close(out, (x * y).sum({1}), 1e-12));
  EXPECT_TRUE(close(tangent, (tx * y + x * ty).sum({1}), 1e-12));
  EXPECT_GE(custom::foreign_counters().bwd, 1);  // J t came from bwd
}

TEST(CustomFunction, HessianAndJacfwdOfAVjpOnlyFunction) {
  // JAX refuses forward mode through a custom_vjp function; fnx
  // differentiates bwd in its cotangent.
  const Tensor x = randn64({3}, 8);
  auto f = [](const Tensor& x) { return custom::x_softplus(x).sum(); };
  auto plain = [](const Tensor& x) { return (x * log1p(exp(x))).sum(); };
  EXPECT_TRUE(close(hessian(f)(x), hessian(plain)(x), 1e-10));
  auto g = [](const Tensor& x) { return custom::x_softplus(x); };
  auto gp = [](const Tensor& x) { return x * log1p(exp(x)); };
  EXPECT_TRUE(close(jacfwd(g)(x), jacrev(gp)(x), 1e-10));
}

TEST(CustomFunction, VmapRuleRunsOncePerBatch) {
  custom::foreign_counters().reset();
  const int64_t kernels_before = custom::foreign_kernel_calls();
  const Tensor x = randn64({7, 3, 4}, 9), y = randn64({3, 4}, 10);
  const Tensor out = vmap(custom::foreign_rowdot, {0, none})(x, y);
  EXPECT_TRUE(close(out, (x * y).sum({2}), 1e-12));
  EXPECT_EQ(custom::foreign_counters().vmap, 1);
  EXPECT_EQ(custom::foreign_counters().fwd, 0);
  EXPECT_EQ(custom::foreign_kernel_calls() - kernels_before, 1);
}

TEST(CustomFunction, NestedVmapMergesTheBatchesIntoOneRuleCall) {
  custom::foreign_counters().reset();
  const Tensor x = randn64({2, 5, 4}, 11), y = randn64({5, 2, 4}, 12);
  const Tensor out =
      vmap(vmap(custom::foreign_rowdot), {0, 1})(x, y);  // [2, 5]
  EXPECT_TRUE(close(out, (x * movedim(y, 1, 0)).sum({2}), 1e-12));
  EXPECT_EQ(custom::foreign_counters().vmap, 1);
}

TEST(CustomFunction, UserVjpRunsBatchedAndSumsUnbatchedCotangents) {
  // grad over a vmap: bwd runs batched (once), and the cotangent of y,
  // which is the same for every example, is summed over the batch.
  custom::foreign_counters().reset();
  const Tensor x = randn64({6, 4}, 13), y = randn64({4}, 14);
  auto loss = [](const Tensor& x, const Tensor& y) {
    return vmap(custom::foreign_rowdot, {0, none})(x, y).sum();
  };
  auto [gx, gy] = grad<0, 1>(loss)(x, y);
  EXPECT_TRUE(close(gx, expand(unsqueeze(y, 0), {6, 4}), 1e-12));
  EXPECT_TRUE(close(gy, x.sum({0}), 1e-12));
  EXPECT_EQ(custom::foreign_counters().vmap, 1);
  EXPECT_EQ(custom::foreign_counters().bwd, 1);
}

TEST(CustomFunction, PerSampleGradientsUseTheVmapRuleAndTheUserVjp) {
  custom::foreign_counters().reset();
  const Tensor x = randn64({8, 4}, 15), y = randn64({4}, 16);
  auto loss = [](const Tensor& y, const Tensor& x) {
    return square(custom::foreign_rowdot(x, y));
  };
  const Tensor g = vmap(grad(loss), {none, 0})(y, x);
  const Tensor expected = unsqueeze((x * y).sum({1}) * 2.0, 1) * x;
  EXPECT_TRUE(close(g, expected, 1e-12));
  EXPECT_EQ(custom::foreign_counters().vmap, 1);
  EXPECT_EQ(custom::foreign_counters().fwd, 0);
}

TEST(CustomFunction, MultipleOutputsGetOneBackward) {
  custom::multi_output_counters().reset();
  const Tensor x = randn64({5}, 17);
  auto f = [](const Tensor& x) {
    auto [s, c] = custom::sin_and_twice_cos(x);
    return (s * 3.0 + c).sum();
  };
  EXPECT_TRUE(close(grad(f)(x), cos(x) * 3.0 - sin(x) * 2.0, 1e-12));
  EXPECT_EQ(custom::multi_output_counters().bwd, 1);
  // Only one output used: the other's cotangent is zero.
  auto g = [](const Tensor& x) {
    return std::get<1>(custom::sin_and_twice_cos(x)).sum();
  };
  EXPECT_TRUE(close(grad(g)(x), sin(x) * -2.0, 1e-12));
}

TEST(CustomFunction, StaticArgumentsAndNonDiffTensors) {
  custom::scaled_power_counters().reset();
  const Tensor x = randn64({4}, 18), shift = randn64({4}, 19);
  auto [gx, gshift] = grad<0, 1>([](const Tensor& x, const Tensor& s) {
    return custom::scaled_power(x, 3, 0.5, s).sum();
  })(x, shift);
  EXPECT_TRUE(close(gx, square(x) * 1.5, 1e-12));
  EXPECT_TRUE(close(gshift, zeros({4}, DType::Float64), 0));  // NonDiff
  EXPECT_EQ(custom::scaled_power_counters().bwd, 1);
}

TEST(CustomFunction, BwdKnowsWhichInputsNeedACotangent) {
  std::vector<std::vector<bool>> seen;
  auto mul = custom_function(
      [](const Tensor& x, const Tensor& y) { return x * y; },
      {.vjp = {.bwd = [&seen](const TensorList& r, const Tensor& g) {
         seen.push_back(
             {custom_needs_input_grad(0), custom_needs_input_grad(1)});
         return TensorList{custom_needs_input_grad(0) ? g * r[1] : Tensor(),
                           custom_needs_input_grad(1) ? g * r[0] : Tensor()};
       }}});
  const Tensor x = randn64({3}, 30), y = randn64({3}, 31);
  auto loss = [&](const Tensor& a, const Tensor& b) { return mul(a, b).sum(); };
  EXPECT_TRUE(close(grad<0>(loss)(x, y), y, 0));
  EXPECT_TRUE(close(grad<1>(loss)(x, y), x, 0));
  auto [gx, gy] = grad<0, 1>(loss)(x, y);
  EXPECT_TRUE(close(gx, y, 0) && close(gy, x, 0));
  EXPECT_EQ(seen, (std::vector<std::vector<bool>>{
                      {true, false}, {false, true}, {true, true}}));
  EXPECT_TRUE(custom_needs_input_grad(0));  // outside a backward
}

TEST(CustomFunction, DerivedRulesFollowFwd) {
  const Tensor x = randn64({3}, 20);
  // grad_inside has no rules: grad, jvp and vmap go through fwd (which
  // itself calls grad).
  auto f = [](const Tensor& x) { return custom::grad_inside(x).sum(); };
  const Tensor expected = cos(x) * 2.0 - x * sin(x);
  EXPECT_TRUE(close(grad(f)(x), expected, 1e-12));
  auto [out, t] = jvp(custom::grad_inside, x, ones_like(x));
  EXPECT_TRUE(close(t, expected, 1e-12));
  EXPECT_TRUE(close(vmap(custom::grad_inside)(x), sin(x) + x * cos(x), 1e-12));
}

TEST(CustomFunction, FunctionalizeRunsFwdFunctionalized) {
  auto in_place = custom_function([](const Tensor& x) {
    Tensor y = x.clone();
    y.slice(0, 0, 2).mul_(3.0);
    return y;
  });
  const Tensor x = randn64({4}, 21);
  Tensor expected = x.clone();
  expected.slice(0, 0, 2).mul_(3.0);
  EXPECT_TRUE(close(functionalize(in_place)(x), expected, 0));
  EXPECT_TRUE(close(grad([&](const Tensor& x) { return in_place(x).sum(); })(x),
                    testing::f64({3, 3, 1, 1}), 0));
}

TEST(CustomFunction, CapturedTransformTensorIsAClearError) {
  const Tensor x = randn64({3}, 22);
  auto f = [](const Tensor& x) {
    auto leaky = custom_function(
        [&x](const Tensor& y) { return y * x; },  // x captured, not passed
        {.name = "leaky"});
    return leaky(x).sum();
  };
  EXPECT_TRUE(throws_with([&] { grad(f)(x); },
                          {"fwd of custom function 'leaky'", "captured",
                           "Pass the tensor in as an argument"}));
  EXPECT_TRUE(throws_with(
      [&] {
        vmap(f)(randn64({2, 3}, 23));
      },
      {"custom function 'leaky'", "captured"}));
}

TEST(CustomFunction, CapturedTensorInBwdIsAClearError) {
  const Tensor x = randn64({3}, 24);
  auto f = [](const Tensor& x) {
    auto leaky = custom_function(
        [](const Tensor& y) { return y * 2.0; },
        {.vjp = {.bwd =
                     [&x](const TensorList&, const Tensor& g) {
                       return TensorList{g *
                                         x};  // x of the grad level, captured
                     }},
         .name = "leaky_bwd"});
    return leaky(x).sum();
  };
  EXPECT_TRUE(throws_with([&] { jvp(f, x, ones_like(x)); },
                          {"custom function 'leaky_bwd'", "captured"}));
}

TEST(CustomFunction, WrongRuleResultsAreClearErrors) {
  const Tensor x = randn64({3}, 25);
  auto bad_count =
      custom_function([](const Tensor& y) { return y * 2.0; },
                      {.vjp = {.bwd =
                                   [](const TensorList&, const Tensor& g) {
                                     return TensorList{g, g};
                                   }},
                       .name = "two_cotangents"});
  EXPECT_TRUE(throws_with(
      [&] { grad([&](const Tensor& y) { return bad_count(y).sum(); })(x); },
      {"two_cotangents", "returned 2 cotangents", "must return 1"}));
  auto bad_shape = custom_function(
      [](const Tensor& y) { return y * 2.0; },
      {.vjp = {.bwd = [](const TensorList&,
                         const Tensor& g) { return TensorList{g.sum()}; }},
       .name = "scalar_cotangent"});
  EXPECT_TRUE(throws_with(
      [&] { grad([&](const Tensor& y) { return bad_shape(y).sum(); })(x); },
      {"scalar_cotangent", "cotangent of shape []", "shaped like each input"}));
  auto bad_dims =
      custom_function([](const Tensor& y) { return y * 2.0; },
                      {.vmap =
                           [](const VmapInfo&, const Tensor& y) {
                             return std::pair{y * 2.0, std::vector<int64_t>{5}};
                           },
                       .name = "bad_out_dim"});
  EXPECT_TRUE(throws_with(
      [&] {
        vmap(bad_dims)(randn64({2, 3}, 26));
      },
      {"bad_out_dim", "out_dim 5"}));
}

TEST(CustomFunction, IsOneHigherOrderPrimitiveInEveryTable) {
  const Registry& r = Registry::get();
  for (const char* table : {"batching", "vjp", "jvp", "functionalize"}) {
    EXPECT_NE(r.rule(Registry::get().table_id(table), Prim::CustomCall),
              nullptr)
        << table;
  }
  EXPECT_TRUE(is_higher_order(Prim::CustomCall));
  EXPECT_EQ(prim_name(Prim::CustomCall), "custom_call");
}

TEST(CustomFunction, DispatchOfAHigherOrderPrimitiveNeedsItsOwnEntry) {
  EXPECT_TRUE(throws_with(
      [] { dispatch(Prim::CustomCall, CustomAttrs{}, {ones({2})}); },
      "higher-order primitive"));
}

}  // namespace
}  // namespace fnx
