// grad, grad_and_value and vjp on the seed's examples and torch.func's
// semantics: argnums and trees, has_aux, higher order, non-scalar,
// integer and independent outputs.
#include "transforms/grad/grad.h"

#include <cmath>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/ops/ops.h"
#include "core/param_dict.h"
#include "core/registry.h"
#include "gtest/gtest.h"
#include "tests/testing/transform_test_util.h"

namespace fnx {
namespace {

using testing::close;
using testing::throws_with;

Tensor sum_sin(const Tensor& x) { return sin(x).sum(); }

TEST(Grad, EveryPrimitiveHasAVjpRule) {
  const int table = Registry::get().table_id("vjp");
  for (int p = 0; p < kNumPrims; ++p) {
    EXPECT_NE(Registry::get().rule(table, prim_at(p)), nullptr)
        << prim_name(prim_at(p));
  }
}

TEST(Grad, OfSinIsCos) {
  Tensor x = randn({10}, DType::Float64);
  EXPECT_TRUE(close(grad(sum_sin)(x), cos(x), 1e-12));
  // A plain 0-d function.
  Tensor s = scalar_tensor(0.3, DType::Float64);
  EXPECT_NEAR(grad([](const Tensor& t) { return sin(t); })(s).item<double>(),
              std::cos(0.3), 1e-12);
}

TEST(Grad, SecondAndThirdOrderOfSin) {
  Tensor x = randn({7}, DType::Float64);
  auto g2 = grad([](const Tensor& t) { return grad(sum_sin)(t).sum(); });
  EXPECT_TRUE(close(g2(x), neg(sin(x)), 1e-12));
  auto g3 = grad([&](const Tensor& t) { return g2(t).sum(); });
  EXPECT_TRUE(close(g3(x), neg(cos(x)), 1e-12));
  // grad(grad(f)) on a scalar, spelled as in the seed.
  auto sin0 = [](const Tensor& t) { return sin(t); };
  Tensor s = scalar_tensor(1.1, DType::Float64);
  EXPECT_NEAR(grad(grad(sin0))(s).item<double>(), -std::sin(1.1), 1e-12);
}

TEST(Grad, ArgnumsSelectArgumentsAndKeepTheirTrees) {
  Tensor w = randn({3}, DType::Float64), b = randn({}, DType::Float64);
  Tensor x = randn({3}, DType::Float64);
  auto f = [](const Tensor& w, const Tensor& b, const Tensor& x) {
    return square(dot(w, x) + b);
  };
  const double r = (dot(w, x) + b).item<double>();
  auto [gw, gb] = grad<0, 1>(f)(w, b, x);
  EXPECT_TRUE(close(gw, x * (2 * r), 1e-12));
  EXPECT_NEAR(gb.item<double>(), 2 * r, 1e-12);
  Tensor gx = grad<2>(f)(w, b, x);
  EXPECT_TRUE(close(gx, w * (2 * r), 1e-12));
  // Order follows argnums.
  auto [gb2, gw2] = grad<1, 0>(f)(w, b, x);
  EXPECT_TRUE(close(gb2, gb, 0));
  EXPECT_TRUE(close(gw2, gw, 0));
}

TEST(Grad, ParamDictInParamDictOut) {
  ParamDict p{{"w", randn({2, 3}, DType::Float64)},
              {"b", randn({2}, DType::Float64)}};
  Tensor x = randn({3}, DType::Float64);
  auto loss = [](const ParamDict& p, const Tensor& x) {
    return (mv(p.at("w"), x) + p.at("b")).sum();
  };
  ParamDict g = grad(loss)(p, x);
  EXPECT_EQ(g.keys(), p.keys());
  EXPECT_TRUE(close(g.at("w"), expand(unsqueeze(x, 0), {2, 3}), 1e-12));
  EXPECT_TRUE(close(g.at("b"), ones({2}, DType::Float64), 1e-12));
}

struct Params {
  Tensor w;
  std::vector<Tensor> layers;
  int tag = 7;  // static data passes through
};
FNX_TREE_STRUCT(Params, w, layers, tag);

TEST(Grad, NestedTreesAndStaticData) {
  Params p{randn({2}, DType::Float64),
           {randn({2}, DType::Float64), randn({2}, DType::Float64)},
           3};
  auto f = [](const Params& p) {
    Tensor s = p.w * p.layers[0] * p.layers[1];
    return s.sum() * static_cast<double>(p.tag);
  };
  Params g = grad(f)(p);
  EXPECT_EQ(g.tag, 3);
  ASSERT_EQ(g.layers.size(), 2u);
  EXPECT_TRUE(close(g.w, p.layers[0] * p.layers[1] * 3.0, 1e-12));
  EXPECT_TRUE(close(g.layers[0], p.w * p.layers[1] * 3.0, 1e-12));
  EXPECT_TRUE(close(g.layers[1], p.w * p.layers[0] * 3.0, 1e-12));
}

TEST(Grad, HasAuxReturnsAuxUntracked) {
  Tensor x = randn({4}, DType::Float64);
  auto f = [](const Tensor& x) {
    Tensor y = exp(x);
    return std::pair{y.sum(), std::vector<Tensor>{y, x * 2.0}};
  };
  auto [g, aux] = grad(f, {.has_aux = true})(x);
  EXPECT_TRUE(close(g, exp(x), 1e-12));
  ASSERT_EQ(aux.size(), 2u);
  EXPECT_FALSE(aux[0].is_wrapper());
  EXPECT_TRUE(close(aux[0], exp(x), 1e-12));
  EXPECT_TRUE(close(aux[1], x * 2.0, 1e-12));
  // has_aux must match what f returns.
  EXPECT_TRUE(throws_with([&] { grad(f)(x); }, "has_aux is not set"));
  EXPECT_TRUE(throws_with([&] { grad(sum_sin, {.has_aux = true})(x); },
                          "did not return a std::pair"));
}

TEST(GradAndValue, GradFirstThenValue) {
  Tensor x = randn({5}, DType::Float64);
  auto [g, v] = grad_and_value(sum_sin)(x);
  EXPECT_TRUE(close(g, cos(x), 1e-12));
  EXPECT_NEAR(v.item<double>(), sin(x).sum().item<double>(), 1e-12);
  EXPECT_FALSE(v.is_wrapper());
  auto f = [](const Tensor& x) { return std::pair{sin(x).sum(), x * 3.0}; };
  auto [g2, value_aux] = grad_and_value(f, {.has_aux = true})(x);
  EXPECT_TRUE(close(g2, cos(x), 1e-12));
  EXPECT_NEAR(value_aux.first.item<double>(), v.item<double>(), 1e-12);
  EXPECT_TRUE(close(value_aux.second, x * 3.0, 1e-12));
}

TEST(Grad, NonScalarOutputIsAnError) {
  Tensor x = randn({3});
  EXPECT_TRUE(
      throws_with([&] { grad([](const Tensor& t) { return sin(t); })(x); },
                  "must return a scalar (0-d) tensor, got shape [3]"));
  // One element is not enough either (torch.func wants dim() == 0).
  EXPECT_TRUE(throws_with(
      [&] { grad([](const Tensor& t) { return t.sum({0}, true); })(x); },
      "got shape [1]"));
}

TEST(Grad, IntegerInputIsAnError) {
  Tensor i = arange(3);
  EXPECT_TRUE(
      throws_with([&] { grad([](const Tensor& t) { return t.sum(); })(i); },
                  "only floating-point tensors can be differentiated"));
  Tensor b = ones({2}, DType::Bool);
  EXPECT_TRUE(throws_with(
      [&] {
        grad([](const Tensor& t) { return cast(t, DType::Float32).sum(); })(b);
      },
      "dtype bool"));
  // Integer arguments that are not differentiated are fine.
  Tensor x = randn({3}, DType::Float64);
  Tensor g = grad([](const Tensor& x, const Tensor& idx) {
    return index_select(x, 0, idx).sum();
  })(x, from_vector(std::vector<int64_t>{0, 0, 2}, {3}));
  EXPECT_TRUE(close(g, from_vector({2, 0, 1}, DType::Float64), 0));
}

TEST(Grad, IndependentOutputGivesZeros) {
  Tensor x = randn({2, 3}, DType::Float64);
  Tensor c = randn({4}, DType::Float64);
  Tensor g = grad([&](const Tensor&) { return c.sum(); })(x);
  EXPECT_TRUE(close(g, zeros({2, 3}, DType::Float64), 0));
  // An integer-valued result of x carries no gradient either.
  Tensor gi = grad([](const Tensor& t) { return argmax(t.flatten(), 0); })(x);
  EXPECT_TRUE(close(gi, zeros({2, 3}, DType::Float64), 0));
  // Piecewise-constant ops have zero derivative.
  Tensor gf =
      grad([](const Tensor& t) { return floor(t).sum() + sign(t).sum(); })(x);
  EXPECT_TRUE(close(gf, zeros({2, 3}, DType::Float64), 0));
}

TEST(Grad, UsedTwiceAccumulates) {
  Tensor x = randn({3}, DType::Float64);
  Tensor g = grad([](const Tensor& t) { return (t * t * t).sum(); })(x);
  EXPECT_TRUE(close(g, 3.0 * x * x, 1e-12));
  // The same tensor passed as two arguments: separate gradients.
  auto [g0, g1] = grad<0, 1>(
      [](const Tensor& a, const Tensor& b) { return (a * b).sum(); })(x, x);
  EXPECT_TRUE(close(g0, x, 0));
  EXPECT_TRUE(close(g1, x, 0));
}

TEST(Grad, FloatDtypesAreKept) {
  Tensor x32 = randn({3});
  Tensor g32 =
      grad([](const Tensor& t) { return cast(t, DType::Float64).sum(); })(x32);
  EXPECT_EQ(g32.dtype(), DType::Float32);
  EXPECT_TRUE(close(g32, ones({3}), 0));
}

TEST(Grad, ItemInsideFReadsTheValue) {
  Tensor x = scalar_tensor(2.0, DType::Float64);
  auto f = [](const Tensor& t) {
    // Data-dependent control flow is fine under grad (not under vmap).
    return t.item<double>() > 0 ? t * t : -t;
  };
  EXPECT_NEAR(grad(f)(x).item<double>(), 4.0, 1e-12);
  EXPECT_NEAR(grad(f)(scalar_tensor(-1.0, DType::Float64)).item<double>(), -1.0,
              1e-12);
}

TEST(Vjp, OutputAndReusablePullback) {
  Tensor x = randn({3}, DType::Float64), y = randn({3}, DType::Float64);
  auto f = [](const Tensor& a, const Tensor& b) { return a * sin(b); };
  auto [out, vjp_fn] = vjp(f, x, y);
  EXPECT_TRUE(close(out, x * sin(y), 1e-12));
  EXPECT_FALSE(out.is_wrapper());
  for (int i = 0; i < 3; ++i) {
    Tensor ct = randn({3}, DType::Float64);
    auto [gx, gy] = vjp_fn(ct);
    EXPECT_TRUE(close(gx, ct * sin(y), 1e-12));
    EXPECT_TRUE(close(gy, ct * x * cos(y), 1e-12));
  }
}

TEST(Vjp, TreeOutputsAndAux) {
  Tensor x = randn({2}, DType::Float64);
  auto f = [](const Tensor& t) {
    return std::tuple<Tensor, Tensor>{t * 2.0, exp(t)};
  };
  auto [out, vjp_fn] = vjp(f, x);
  EXPECT_TRUE(close(std::get<1>(out), exp(x), 1e-12));
  Tensor c0 = ones({2}, DType::Float64), c1 = full({2}, 3.0, DType::Float64);
  auto [gx] = vjp_fn(std::tuple<Tensor, Tensor>{c0, c1});
  EXPECT_TRUE(close(gx, 2.0 + 3.0 * exp(x), 1e-12));

  auto g = [](const Tensor& t) { return std::pair{t * t, t.sum()}; };
  auto [o, fn, aux] = vjp(g, {.has_aux = true}, x);
  EXPECT_TRUE(close(aux, x.sum(), 1e-12));
  auto [gg] = fn(ones({2}, DType::Float64));
  EXPECT_TRUE(close(gg, 2.0 * x, 1e-12));
}

TEST(Vjp, CotangentMustMatchTheOutput) {
  Tensor x = randn({3});
  auto [out, vjp_fn] = vjp([](const Tensor& t) { return t * 2.0; }, x);
  EXPECT_TRUE(
      throws_with([&] { vjp_fn(ones({4})); },
                  "cotangent 0 has shape [4] but output 0 has shape [3]"));
}

TEST(Vjp, PullbackIsDifferentiable) {
  // grad through a vjp_fn: d/dx <ct, J(x) v> style second order.
  Tensor x = randn({4}, DType::Float64);
  auto h = [](const Tensor& t) {
    auto [out, fn] = vjp([](const Tensor& u) { return sin(u); }, t);
    auto [g] = fn(ones_like(t));
    return g.sum();  // sum(cos(t))
  };
  EXPECT_TRUE(close(grad(h)(x), neg(sin(x)), 1e-12));
}

TEST(Grad, UndefinedLeavesStayUndefined) {
  ParamDict p{{"w", randn({2}, DType::Float64)}, {"bias", Tensor()}};
  auto f = [](const ParamDict& p) { return p.at("w").sum(); };
  ParamDict g = grad(f)(p);
  EXPECT_TRUE(close(g.at("w"), ones({2}, DType::Float64), 0));
  EXPECT_FALSE(g.at("bias").defined());
}

}  // namespace
}  // namespace fnx
