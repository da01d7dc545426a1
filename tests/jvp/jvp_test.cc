// jvp's API: values and tangents of simple functions, trees in and out,
// has_aux, zero tangents, constants, and the errors a caller can hit.
#include "transforms/jvp/jvp.h"

#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "core/ops/ops.h"
#include "core/param_dict.h"
#include "core/tree.h"
#include "gtest/gtest.h"
#include "tests/testing/transform_test_util.h"

namespace fnx::testing {
namespace {

TEST(Jvp, UnaryChain) {
  const Tensor x = f64({0.3, -1.2, 2.0});
  const Tensor t = f64({1.0, 0.5, -2.0});
  auto f = [](const Tensor& v) { return exp(sin(v)) * v; };
  auto [y, ty] = jvp(f, x, t);
  // d/dx e^{sin x} x = e^{sin x} (cos x * x + 1)
  std::vector<double> expected;
  const std::vector<double> xv = x.to_vector(), tv = t.to_vector();
  for (std::size_t i = 0; i < xv.size(); ++i) {
    expected.push_back(std::exp(std::sin(xv[i])) *
                       (std::cos(xv[i]) * xv[i] + 1) * tv[i]);
  }
  EXPECT_TRUE(close(y, f(x)));
  EXPECT_TRUE(close(ty, f64(expected), 1e-12, 1e-12));
  EXPECT_FALSE(y.is_wrapper());
  EXPECT_FALSE(ty.is_wrapper());
}

TEST(Jvp, SeveralArgumentsAsATuple) {
  const Tensor a = f64({1, 2, 3, 4}, {2, 2}), b = f64({0.5, -1}, {2});
  const Tensor ta = f64({1, 0, 0, 1}, {2, 2}), tb = f64({2, 3}, {2});
  auto f = [](const Tensor& m, const Tensor& v) { return matmul(m, v) * v; };
  auto [y, ty] = jvp(f, std::tuple{a, b}, std::tuple{ta, tb});
  // d(M v * v) = (dM v + M dv) * v + (M v) * dv
  const Tensor expected =
      (matmul(ta, b) + matmul(a, tb)) * b + matmul(a, b) * tb;
  EXPECT_TRUE(close(y, f(a, b)));
  EXPECT_TRUE(close(ty, expected, 1e-12));
}

TEST(Jvp, BroadcastingTangentHasTheOutputShape) {
  const Tensor a = f64({1, 2, 3}), b = f64({1, 2, 3, 4, 5, 6}, {2, 3});
  auto f = [](const Tensor& x, const Tensor& y) { return x + y; };
  auto [y, ty] = jvp(f, std::tuple{a, b}, std::tuple{f64({1, 1, 1}), Tensor()});
  EXPECT_EQ(ty.shape(), (Shape{2, 3}));
  EXPECT_TRUE(close(ty, ones({2, 3}, DType::Float64)));
}

struct Params {
  Tensor w, b;
  std::string name;
};
FNX_TREE_STRUCT(Params, w, b, name);

TEST(Jvp, TreesInAndOut) {
  ParamDict p{{"w", f64({1, 2})}, {"b", f64({3})}};
  ParamDict tp{{"w", f64({1, 0})}, {"b", f64({1})}};
  auto f = [](const ParamDict& d) {
    return std::vector<Tensor>{d.at("w") * d.at("b"), d.at("w").sum()};
  };
  auto [out, t] = jvp(f, p, tp);
  ASSERT_EQ(t.size(), 2u);
  EXPECT_TRUE(close(t[0], f64({1 * 3 + 1 * 1, 0 * 3 + 2 * 1})));
  EXPECT_TRUE(close(t[1], f64({1}, {})));

  Params s{f64({2}), f64({1}), "layer"};
  Params ts{f64({1}), f64({0})};
  auto g = [](const Params& q) { return std::tuple{q.w * q.w + q.b, q.name}; };
  auto [o2, t2] = jvp(g, s, ts);
  EXPECT_TRUE(close(std::get<0>(t2), f64({4})));
  EXPECT_EQ(std::get<1>(o2), "layer");
}

TEST(Jvp, HasAuxReturnsAuxAsAValue) {
  auto f = [](const Tensor& x) {
    Tensor y = x * x;
    return std::pair{y.sum(), y};
  };
  const Tensor x = f64({1, 2});
  auto [out, t, aux] =
      jvp(f, std::tuple{x}, std::tuple{f64({1, 1})}, {.has_aux = true});
  EXPECT_TRUE(close(out, f64({5}, {})));
  EXPECT_TRUE(close(t, f64({6}, {})));
  EXPECT_TRUE(close(aux, f64({1, 4})));
  EXPECT_FALSE(aux.is_wrapper());
}

TEST(Jvp, OutputsIndependentOfThePrimalsGetZeroTangents) {
  const Tensor c = f64({7, 8});
  auto f = [&](const Tensor& x) {
    return std::tuple{c * 2.0, argmax(x, 0), floor(x), stop_gradient(x)};
  };
  auto [out, t] = jvp(f, f64({1, 3}), f64({1, 1}));
  EXPECT_TRUE(close(std::get<0>(t), zeros({2}, DType::Float64)));
  EXPECT_EQ(std::get<1>(t).dtype(), DType::Int64);
  EXPECT_TRUE(close(std::get<2>(t), zeros({2}, DType::Float64)));
  EXPECT_TRUE(close(std::get<3>(t), zeros({2}, DType::Float64)));
  EXPECT_EQ(std::get<1>(out).item<int64_t>(), 1);
}

TEST(Jvp, ValuesAreReadableInsideTheFunction) {
  double seen = 0;
  auto f = [&](const Tensor& x) {
    seen = x.sum().item<double>();  // a dual's value is its primal
    return x * 3.0;
  };
  auto [y, t] = jvp(f, f64({1, 2}), f64({1, 1}));
  EXPECT_DOUBLE_EQ(seen, 3.0);
  EXPECT_TRUE(close(t, f64({3, 3})));
}

TEST(Jvp, IntegerArgumentsPassThroughAsConstants) {
  const Tensor idx = from_vector(std::vector<int64_t>{2, 0}, {2});
  auto f = [](const Tensor& x, const Tensor& i) {
    return index_select(x, 0, i);
  };
  auto [y, t] = jvp(f, std::tuple{f64({1, 2, 3}), idx},
                    std::tuple{f64({10, 20, 30}), Tensor()});
  EXPECT_TRUE(close(t, f64({30, 10})));
}

TEST(Jvp, InPlaceWriteIntoAClone) {
  auto f = [](const Tensor& x, const Tensor& s) {
    Tensor d = x.clone();
    Tensor cols = d.slice(1, 0, 4, 2);
    cols.copy_(s * 2.0);
    return d;
  };
  const Tensor x = f64({1, 2, 3, 4, 5, 6, 7, 8}, {2, 4});
  const Tensor s = f64({1, 2, 3, 4}, {2, 2});
  const Tensor tx = ones({2, 4}, DType::Float64),
               ts = f64({1, 1, 1, 1}, {2, 2});
  auto [y, t] = jvp(f, std::tuple{x, s}, std::tuple{tx, ts});
  EXPECT_TRUE(close(t, f64({2, 1, 2, 1, 2, 1, 2, 1}, {2, 4})));
  EXPECT_TRUE(close(tx, ones({2, 4}, DType::Float64)));  // untouched
}

TEST(Jvp, InPlaceWriteIntoAValueWithAPassedThroughTangent) {
  // y = x + c shares x's tangent; writing into y must not change x's.
  const Tensor c = f64({1, 1});
  auto f = [&](const Tensor& x, const Tensor& s) {
    Tensor y = x + c;
    y.copy_(s * s);
    return std::tuple{y, x * 1.0};
  };
  const Tensor tx = f64({1, 2});
  auto [out, t] =
      jvp(f, std::tuple{f64({3, 4}), f64({5, 6})}, std::tuple{tx, f64({1, 1})});
  EXPECT_TRUE(close(std::get<0>(t), f64({10, 12})));
  EXPECT_TRUE(close(std::get<1>(t), f64({1, 2})));
  EXPECT_TRUE(close(tx, f64({1, 2})));
}

// A buffer the function made, written whole, takes the tangent; written
// through a view (which its other views would miss) or captured from
// outside, it is an error.
TEST(Jvp, InPlaceWriteOfATangentIntoABufferMadeInside) {
  auto f = [](const Tensor& x) {
    Tensor buffer = zeros({2}, DType::Float64);
    buffer.copy_(x * 3.0);
    return buffer;
  };
  auto [out, t] = jvp(f, f64({1, 2}), f64({1, -1}));
  EXPECT_TRUE(close(out, f64({3, 6})));
  EXPECT_TRUE(close(t, f64({3, -3})));
  auto through_view = [](const Tensor& x) {
    Tensor buffer = zeros({2}, DType::Float64);
    buffer.slice(0, 0, 1).copy_(x.slice(0, 0, 1));
    return buffer;
  };
  EXPECT_TRUE(throws_with(
      [&] {
        (void)jvp(through_view, f64({1, 2}), f64({1, 1}));
      },
      {"[jvp] copy_", "has none", "functionalize"}));
  Tensor captured = zeros({2}, DType::Float64);
  auto into_captured = [&captured](const Tensor& x) {
    Tensor handle = captured;
    handle.copy_(x);
    return x;
  };
  EXPECT_TRUE(throws_with(
      [&] {
        (void)jvp(into_captured, f64({1, 2}), f64({1, 1}));
      },
      {"[jvp] copy_", "captured"}));
}

TEST(Jvp, InPlaceWriteIntoAViewOfASharedTangentIsAnError) {
  auto f = [](const Tensor& x, const Tensor& s) {
    Tensor v = x.slice(0, 0, 1);
    v.copy_(s);
    return x;
  };
  EXPECT_TRUE(throws_with(
      [&] {
        (void)jvp(f, std::tuple{f64({1, 2}), f64({3})},
                  std::tuple{f64({1, 1}), f64({1})});
      },
      {"[jvp] copy_", "clone()"}));
}

// A view whose tangent had to be copied (the tangent's layout is not
// viewable) cannot take a write: the base's tangent would miss it.
TEST(Jvp, InPlaceWriteIntoAViewWithACopiedTangentIsAnError) {
  auto f = [](const Tensor& x, const Tensor& s) {
    Tensor flat = x.reshape({6});
    flat.copy_(s);
    return x;
  };
  const Tensor tx = f64({1, 2, 3, 4, 5, 6}, {3, 2}).t();  // not contiguous
  EXPECT_TRUE(throws_with(
      [&] {
        (void)jvp(f, std::tuple{zeros({2, 3}, DType::Float64), f64({1})},
                  std::tuple{tx, f64({1})});
      },
      {"[jvp] copy_", "clone()"}));
}

TEST(JvpErrors, TangentShapeMismatch) {
  auto f = [](const Tensor& x) { return x * 2.0; };
  EXPECT_TRUE(throws_with(
      [&] {
        (void)jvp(f, f64({1, 2, 3}), f64({1, 2}));
      },
      {"[jvp] the tangent of argument 0 has shape [2]",
       "primal has shape [3]"}));
}

TEST(JvpErrors, TangentDtypeMismatch) {
  auto f = [](const Tensor& x) { return x * 2.0; };
  EXPECT_TRUE(throws_with(
      [&] {
        (void)jvp(f, f64({1, 2}), from_vector({1.0, 2.0}));
      },
      {"[jvp] the tangent of argument 0 has dtype float32",
       "primal has dtype float64"}));
}

TEST(JvpErrors, TangentForAnIntegerPrimal) {
  auto f = [](const Tensor& x) { return x; };
  const Tensor i = from_vector(std::vector<int64_t>{1, 2}, {2});
  EXPECT_TRUE(throws_with([&] { (void)jvp(f, i, i); },
                          {"[jvp] argument 0 has dtype int64", "Tensor()"}));
}

TEST(JvpErrors, StructureMismatch) {
  auto f = [](const Tensor& x, const Tensor& y) { return x * y; };
  EXPECT_TRUE(throws_with(
      [&] {
        (void)jvp(f, std::tuple{f64({1}), f64({2})},
                  std::tuple{f64({1}), std::vector<Tensor>{f64({1})}});
      },
      {"[jvp] the tangents have structure", "tuple(Tensor, Tensor)"}));
}

TEST(JvpErrors, HasAuxMismatch) {
  auto pair_fn = [](const Tensor& x) { return std::pair{x, x}; };
  EXPECT_TRUE(throws_with([&] { (void)jvp(pair_fn, f64({1}), f64({1})); },
                          {"has_aux is not set"}));
  auto plain = [](const Tensor& x) { return x; };
  EXPECT_TRUE(throws_with(
      [&] {
        (void)jvp(plain, std::tuple{f64({1})}, std::tuple{f64({1})},
                  {.has_aux = true});
      },
      {"did not return a std::pair"}));
}

TEST(JvpErrors, OpErrorsInsideTheFunctionPropagate) {
  auto f = [](const Tensor& x) { return x + ones({3}, DType::Float64); };
  EXPECT_TRUE(throws_with(
      [&] {
        (void)jvp(f, f64({1, 2}), f64({1, 1}));
      },
      {"[add]", "[2]", "[3]"}));
}

}  // namespace
}  // namespace fnx::testing

namespace fnx {
namespace {

// torch.func's jvp(..., strict=True): an output independent of the primals
// is an error, not a zero tangent.
TEST(JvpStrict, IndependentOutputIsAnError) {
  const Tensor x = testing::f64({1.0, 2.0});
  const Tensor c = testing::f64({3.0, 4.0});
  auto independent = [&](const Tensor&) { return c * 2.0; };
  auto [y, t] = jvp(independent, x, x);  // not strict: zeros
  EXPECT_TRUE(testing::close(t, testing::f64({0.0, 0.0}), 0));
  EXPECT_TRUE(testing::throws_with(
      [&] { jvp(independent, x, x, {.strict = true}); },
      {"[jvp] strict: output leaf 0 does not depend on the primals"}));
  // One dependent and one independent output of a tuple.
  auto mixed = [&](const Tensor& v) { return std::tuple{v * 2.0, c}; };
  EXPECT_TRUE(testing::throws_with([&] { jvp(mixed, x, x, {.strict = true}); },
                                   "output leaf 1"));
  // Dependent outputs pass.
  auto [y2, t2] =
      jvp([](const Tensor& v) { return sin(v); }, x, x, {.strict = true});
  EXPECT_TRUE(testing::close(t2, cos(x) * x));
}

}  // namespace
}  // namespace fnx

namespace fnx {
namespace {

using testing::f64;

Tensor scalar64(double v) { return f64({v}).reshape({}); }

// torch's fwd-grad disable, with no_grad's nesting rule.
TEST(FwdGradMode, GuardInsideFStopsTangents) {
  auto f = [](const Tensor& x) {
    Tensor c;
    {
      NoFwdGradGuard off;
      EXPECT_FALSE(is_fwd_grad_enabled());
      c = x * x;  // a constant to forward mode
    }
    return c * x;
  };
  auto [y, t] = jvp(f, scalar64(2.0), scalar64(1.0));
  EXPECT_NEAR(y.item<double>(), 8.0, 1e-12);
  EXPECT_NEAR(t.item<double>(), 4.0, 1e-12);  // d/dx (c x) with c fixed
  EXPECT_TRUE(is_fwd_grad_enabled());
  // EnableFwdGradGuard turns it back on.
  auto g = [](const Tensor& x) {
    NoFwdGradGuard off;
    EnableFwdGradGuard on;
    return x * x * x;
  };
  EXPECT_NEAR(std::get<1>(jvp(g, scalar64(2.0), scalar64(1.0))).item<double>(),
              12.0, 1e-12);
}

TEST(FwdGradMode, JvpIgnoresAGuardAroundItsCall) {
  NoFwdGradGuard off;
  auto [y, t] =
      jvp([](const Tensor& x) { return sin(x); }, scalar64(0.5), scalar64(1.0));
  EXPECT_NEAR(t.item<double>(), std::cos(0.5), 1e-12);
  EXPECT_FALSE(is_fwd_grad_enabled());
}

TEST(FwdGradMode, GuardAroundInnerJvpMakesItsResultConstant) {
  // The outer tangent does not flow through the inner jvp made under the
  // guard: h(x) = x^3 - [d/du u^4/4 at x] has derivative 3x^2 there.
  auto h = [](const Tensor& x) {
    Tensor s;
    {
      NoFwdGradGuard off;
      s = std::get<1>(jvp([](const Tensor& u) { return 0.25 * pow(u, 4.0); }, x,
                          ones_like(x)));
    }
    return pow(x, 3.0) - s;
  };
  EXPECT_NEAR(std::get<1>(jvp(h, scalar64(1.5), scalar64(1.0))).item<double>(),
              3 * 1.5 * 1.5, 1e-12);
  // Without the guard the inner derivative is differentiated too.
  auto h2 = [](const Tensor& x) {
    return pow(x, 3.0) -
           std::get<1>(jvp([](const Tensor& u) { return 0.25 * pow(u, 4.0); },
                           x, ones_like(x)));
  };
  EXPECT_NEAR(std::get<1>(jvp(h2, scalar64(1.5), scalar64(1.0))).item<double>(),
              0.0, 1e-12);
}

}  // namespace
}  // namespace fnx
