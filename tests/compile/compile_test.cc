// compile: equal to eager, traced once per signature, retraces explained,
// values unreadable while tracing, captured tensors as constants, in-place
// code functionalized, random ops drawing fresh counters per call, and the
// graph passes (dead code, common subexpressions, folded creation ops).
#include "transforms/compile/compile.h"

#include <string>

#include "core/generator.h"
#include "core/ops/ops.h"
#include "gtest/gtest.h"
#include "tests/testing/transform_test_util.h"

namespace fnx {
namespace {

using testing::close;
using testing::throws_with;

Tensor f_chain(const Tensor& x, const Tensor& y) {
  return tanh(exp(x) * y + sin(x)).sum({1});
}

TEST(Compile, EqualsEagerAndTracesOncePerSignature) {
  auto f = compile(f_chain);
  const Tensor x = randn({3, 4}), y = randn({3, 4});
  EXPECT_TRUE(equal(f(x, y), f_chain(x, y)));
  EXPECT_EQ(f.trace_count(), 1);
  const Tensor x2 = randn({3, 4}), y2 = randn({3, 4});
  const int64_t before = compile_trace_count();
  EXPECT_TRUE(equal(f(x2, y2), f_chain(x2, y2)));
  EXPECT_EQ(f.trace_count(), 1);
  EXPECT_EQ(compile_trace_count(), before);
}

TEST(Compile, RetraceSaysWhatChanged) {
  auto f = compile([](const std::vector<Tensor>& xs, double scale) {
    return xs[0].sum() * scale + xs[1];
  });
  const Tensor a = randn({3}), b = randn({3});
  f(std::vector<Tensor>{a, b}, 2.0);
  f(std::vector<Tensor>{a, randn({4})}, 2.0);
  EXPECT_EQ(f.trace_count(), 2);
  EXPECT_EQ(f.last_retrace(), "argument 0 at [1]: shape [3] -> [4]");
  f(std::vector<Tensor>{a, b.to(DType::Float64)}, 2.0);
  EXPECT_EQ(f.last_retrace(), "argument 0 at [1]: dtype float32 -> float64");
  const Tensor out = f(std::vector<Tensor>{a, b}, 3.0);
  EXPECT_EQ(f.trace_count(), 4);
  EXPECT_NE(f.last_retrace().find("non-tensor arguments changed"),
            std::string::npos);
  EXPECT_TRUE(close(out, a.sum() * 3.0 + b));
  // Cached: every signature seen so far runs without tracing.
  f(std::vector<Tensor>{a, randn({4})}, 2.0);
  EXPECT_EQ(f.trace_count(), 4);
}

TEST(Compile, ReadingAValueWhileTracingIsAnError) {
  auto f = compile(
      [](const Tensor& x) { return x.sum().item<double>() > 0 ? x : -x; });
  EXPECT_TRUE(throws_with([&] { f(randn({3})); },
                          {"[compile]", "cannot read a value while tracing",
                           "move it out of the compiled function"}));
  auto g = compile([](const Tensor& x) {
    const std::string text = x.str();
    return x + static_cast<double>(text.size());
  });
  EXPECT_TRUE(throws_with([&] { g(randn({3})); }, "cannot read a value"));
}

TEST(Compile, CapturedTensorsAreConstants) {
  const Tensor w = randn({4});
  auto f = [&](const Tensor& x) { return x * w; };
  auto graph = make_graph(f)(randn({2, 4}));
  EXPECT_EQ(graph->constants.size(), 1u);
  EXPECT_EQ(graph->count(Prim::Mul), 1);
  const std::string text = graph->to_string();
  EXPECT_NE(text.find("{ lambda a:f32[4] ; b:f32[2,4] . let"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("c:f32[2,4] = mul b a"), std::string::npos) << text;
  EXPECT_NE(text.find("in ( c ) }"), std::string::npos) << text;
}

TEST(Compile, InPlaceCodeBecomesPureNodes) {
  auto f = [](const Tensor& x) {
    Tensor y = x.clone();
    y.slice(0, 1, 3).mul_(2.0);
    y.add_(1.0);
    return y;
  };
  auto cf = compile(f);
  const Tensor x = randn({4, 2});
  EXPECT_TRUE(equal(cf(x), f(x)));
  const Tensor x2 = randn({4, 2});
  EXPECT_TRUE(equal(cf(x2), f(x2)));
  EXPECT_EQ(make_graph(f)(x)->count(Prim::CopyInto), 0);
}

TEST(Compile, WritingIntoAnArgumentIsAnError) {
  auto f = compile([](Tensor x) {
    x.add_(1.0);
    return x * 2.0;
  });
  EXPECT_TRUE(
      throws_with([&] { f(randn({3})); },
                  {"[compile]", "writes into a tensor it did not create"}));
}

TEST(Compile, DropoutDrawsFreshNumbersAndMatchesEager) {
  auto f = [](const Tensor& x) { return dropout(x, 0.5); };
  const Tensor x = ones({64});
  manual_seed(7);
  const Tensor e1 = f(x), e2 = f(x);
  auto cf = compile(f);
  manual_seed(7);
  const Tensor c1 = cf(x), c2 = cf(x);
  EXPECT_EQ(cf.trace_count(), 1);
  EXPECT_TRUE(equal(c1, e1));
  EXPECT_TRUE(equal(c2, e2));
  EXPECT_FALSE(equal(c1, c2));
}

TEST(Passes, CommonSubexpressionsAreMerged) {
  auto f = [](const Tensor& x) { return exp(x) + exp(x); };
  auto graph = make_graph(f)(randn({3}));
  EXPECT_EQ(graph->count(Prim::Exp), 1) << graph->to_string();
  auto unoptimized = make_graph(f, {.optimize = false})(randn({3}));
  EXPECT_EQ(unoptimized->count(Prim::Exp), 2);
}

TEST(Passes, RandomNodesAreNeverMerged) {
  auto f = [](const Tensor& x) { return x + rand({3}) + rand({3}); };
  EXPECT_EQ(make_graph(f)(randn({3}))->count(Prim::Uniform), 2);
}

TEST(Passes, DeadCodeIsRemoved) {
  auto f = [](const Tensor& x) {
    const Tensor unused = exp(x) * 3.0;
    (void)unused;
    return sin(x);
  };
  auto graph = make_graph(f)(randn({3}));
  EXPECT_EQ(graph->nodes.size(), 1u) << graph->to_string();
  EXPECT_EQ(graph->count(Prim::Sin), 1);
}

TEST(Passes, CreationOpsAreFoldedIntoConstants) {
  auto f = [](const Tensor& x) {
    return x + zeros({3}) + arange(3).to(DType::Float32);
  };
  const Tensor x = randn({3});
  auto graph = make_graph(f)(x);
  EXPECT_EQ(graph->count(Prim::Full), 0) << graph->to_string();
  EXPECT_EQ(graph->count(Prim::Iota), 0) << graph->to_string();
  EXPECT_TRUE(equal(compile(f)(x), f(x)));
}

TEST(Compile, CompileInsideCompileIsInlined) {
  auto inner = compile([](const Tensor& x) { return exp(x) * 2.0; });
  const Tensor x = randn({3});
  inner(x);  // cached: the outer trace meets a compiled call
  auto outer = [&](const Tensor& x) { return inner(x) + 1.0; };
  auto graph = make_graph(outer)(x);
  EXPECT_EQ(graph->count(Prim::CustomCall), 0) << graph->to_string();
  EXPECT_EQ(graph->count(Prim::Exp), 1);
  EXPECT_TRUE(close(compile(outer)(x), exp(x) * 2.0 + 1.0));
}

TEST(Compile, TreesInAndOut) {
  auto f = compile([](const std::tuple<Tensor, Tensor>& p) {
    return std::vector<Tensor>{std::get<0>(p) + std::get<1>(p),
                               std::get<0>(p) * std::get<1>(p)};
  });
  const Tensor a = randn({2}), b = randn({2});
  for (int i = 0; i < 2; ++i) {
    const std::vector<Tensor> out = f(std::tuple{a, b});
    ASSERT_EQ(out.size(), 2u);
    EXPECT_TRUE(equal(out[0], a + b));
    EXPECT_TRUE(equal(out[1], a * b));
  }
}

}  // namespace
}  // namespace fnx
