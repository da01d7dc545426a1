// Fusion's reductions: sum, amax and amin of an elementwise group over a
// block of the group shape's dims (the last ones, or leading or middle
// ones) run in the same pass as the group (one kernel; the reduced value
// not materialised unless read elsewhere). Sums
// agree with eager to rounding (rtol 1e-5 in float32, 1e-12 in float64:
// another order of additions, all in double); amax and amin bit for bit,
// NaN propagating. A runner that does not declare the capability gets no
// reduction, and a graph traced with one still runs without it.
#include <cmath>
#include <limits>
#include <string>
#include <tuple>

#include "core/dispatch.h"
#include "core/error.h"
#include "core/fused_elementwise.h"
#include "core/ops/ops.h"
#include "gtest/gtest.h"
#include "transforms/compile/compile.h"
#include "transforms/vmap/vmap.h"

namespace fnx {
namespace {

bool has_reduction(const Graph& g) {
  for (const Graph::Node& node : g.nodes) {
    if (node.fused != nullptr && node.fused->reduction.has_value()) {
      return true;
    }
  }
  return false;
}

Tensor dot_fn(const Tensor& x, const Tensor& y) { return (x * y).sum(); }

TEST(FusionReduction, SumOfProductIsOneKernel) {
  for (DType dt : {DType::Float32, DType::Float64}) {
    // Not a multiple of the tile: chunks end inside tiles.
    const Tensor x = randn({3001, 517}, dt), y = randn({3001, 517}, dt);
    auto graph = make_graph(dot_fn)(x, y);
    EXPECT_EQ(graph->nodes.size(), 1u) << graph->to_string();
    EXPECT_TRUE(has_reduction(*graph)) << graph->to_string();
    EXPECT_NE(graph->to_string().find("red=sum[dims=[0,1]"), std::string::npos)
        << graph->to_string();
    auto f = compile(dot_fn);
    f(x, y);
    const int64_t before = kernel_calls();
    const Tensor got = f(x, y);
    EXPECT_EQ(kernel_calls() - before, 1);
    const double tol = dt == DType::Float32 ? 1e-5 : 1e-12;
    EXPECT_TRUE(allclose(got, dot_fn(x, y), tol, tol)) << got.str();
  }
}

// mean((a - b)^2) over the last dim, keepdim: rows split between chunks.
TEST(FusionReduction, RowMeansOfSquaredDifference) {
  auto f = [](const Tensor& a, const Tensor& b) {
    const Tensor d = a - b;
    return (d * d).mean({-1}, true);
  };
  const Tensor a = randn({7, 100003}), b = randn({100003});
  auto graph = make_graph(f)(a, b);
  EXPECT_TRUE(has_reduction(*graph)) << graph->to_string();
  auto cf = compile(f);
  for (int call = 0; call < 2; ++call) {
    const Tensor got = cf(a, b);
    EXPECT_EQ(got.shape(), (Shape{7, 1}));
    EXPECT_TRUE(allclose(got, f(a, b), 1e-5, 1e-6));
  }
}

// Softmax written out: the max is a lone reduction (no group before it);
// the sum of exp ends exp's group, whose value is also read (an output).
TEST(FusionReduction, SoftmaxSumEndsTheExpGroup) {
  auto f = [](const Tensor& x) {
    const Tensor e = exp(x - amax(x, {1}, true));
    return e / e.sum({1}, true);
  };
  const Tensor x = randn({300, 999}) * 4.0;
  auto graph = make_graph(f)(x);
  EXPECT_TRUE(has_reduction(*graph)) << graph->to_string();
  EXPECT_EQ(graph->count(Prim::Sum), 1);
  auto cf = compile(f);
  cf(x);
  EXPECT_TRUE(allclose(cf(x), f(x), 1e-5, 1e-7));
  EXPECT_TRUE(allclose(cf(x), softmax(x, 1), 1e-5, 1e-7));
}

TEST(FusionReduction, MaxAndMinAreExactAndPropagateNan) {
  auto f = [](const Tensor& x) {
    const Tensor s = sin(x) * 2.0 + x;
    return std::tuple{amax(s, {1, 2}), amin(tanh(x) - 1.0, {2}, true)};
  };
  std::vector<double> v(5 * 40 * 333);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::sin(0.37 * i) * 9;
  v[40 * 333 + 17] = std::numeric_limits<double>::quiet_NaN();  // row 1
  const Tensor x = from_vector(v, {5, 40, 333}, DType::Float32);
  auto graph = make_graph(f)(x);
  EXPECT_EQ(graph->count(Prim::Amax), 1);
  EXPECT_EQ(graph->count(Prim::Amin), 1);
  EXPECT_TRUE(has_reduction(*graph)) << graph->to_string();
  auto cf = compile(f);
  cf(x);
  auto [mx, mn] = cf(x);
  auto [emx, emn] = f(x);
  EXPECT_TRUE(std::isnan(mx.at<double>({1})));
  EXPECT_TRUE(allclose(mx, emx, 0, 0, /*equal_nan=*/true));
  EXPECT_TRUE(allclose(mn, emn, 0, 0, /*equal_nan=*/true));
}

// Reductions over leading or middle dims run in the pass too (the CPU
// runner declares middle_reduction): chunks are whole slabs of the reduced
// dims, sums within rounding of eager's, amax and amin exact with NaN.
TEST(FusionReduction, LeadingAndMiddleDims) {
  for (DType dt : {DType::Float32, DType::Float64}) {
    const double tol = dt == DType::Float32 ? 1e-5 : 1e-12;
    // Many slabs (split over the pool) of rows not a multiple of the tile.
    const Tensor x = randn({300, 45, 37}, dt), y = randn({45, 1}, dt);
    auto middle = [](const Tensor& a, const Tensor& b) {
      return (exp(a) * b).sum({1}, true);
    };
    auto leading = [](const Tensor& a, const Tensor& b) {
      return (a * b + 1.0).sum({0, 1});
    };
    for (auto* f : {+middle, +leading}) {
      auto graph = make_graph(f)(x, y);
      EXPECT_EQ(graph->nodes.size(), 1u) << graph->to_string();
      EXPECT_TRUE(has_reduction(*graph)) << graph->to_string();
      auto cf = compile(f);
      cf(x, y);
      const int64_t before = kernel_calls();
      const Tensor got = cf(x, y);
      EXPECT_EQ(kernel_calls() - before, 1);
      EXPECT_TRUE(allclose(got, f(x, y), tol, tol)) << graph->to_string();
    }
  }
  std::vector<double> v(6 * 50 * 20);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = std::cos(0.91 * i) * 7;
  v[2 * 50 * 20 + 13 * 20 + 4] = std::numeric_limits<double>::quiet_NaN();
  const Tensor x = from_vector(v, {6, 50, 20}, DType::Float32);
  auto extremes = [](const Tensor& a) {
    return std::tuple{amax(sin(a) + a, {1}), amin(a * 0.5, {0, 1}, true)};
  };
  // One group for both chains, ending in one of the reductions.
  EXPECT_TRUE(has_reduction(*make_graph(extremes)(x)));
  auto cf = compile(extremes);
  cf(x);
  auto [mx, mn] = cf(x);
  auto [emx, emn] = extremes(x);
  EXPECT_TRUE(std::isnan(mx.at<double>({2, 4})));
  EXPECT_TRUE(allclose(mx, emx, 0, 0, /*equal_nan=*/true));
  EXPECT_TRUE(allclose(mn, emn, 0, 0, /*equal_nan=*/true));
}

// Dims that are not one block (0 and 2 of three) stay a node of their own;
// so do middle dims on a runner that declares only trailing reductions.
TEST(FusionReduction, OtherDimsStayUnfused) {
  auto gap = [](const Tensor& a) { return exp(a).sum({0, 2}); };
  const Tensor x = randn({8, 9, 10});
  EXPECT_FALSE(has_reduction(*make_graph(gap)(x)));
  EXPECT_TRUE(allclose(compile(gap)(x), gap(x), 1e-6, 1e-6));
  auto middle = [](const Tensor& a) { return exp(a).sum({1}); };
  const FusedRunner runner = fused_runner(DeviceType::CPU);
  const FusedRunnerCaps caps = fused_runner_caps(DeviceType::CPU);
  ASSERT_TRUE(caps.middle_reduction);
  set_fused_runner(DeviceType::CPU, runner, {.trailing_reduction = true});
  const bool fused = has_reduction(*make_graph(middle)(x));
  const Tensor got = compile(middle)(x);
  set_fused_runner(DeviceType::CPU, runner, caps);
  EXPECT_FALSE(fused);
  EXPECT_TRUE(allclose(got, middle(x), 1e-6, 1e-6));
}

// Without the capability (the two-argument set_fused_runner) fusion leaves
// the reduction out; a graph traced with it runs its primitives instead.
TEST(FusionReduction, RunnerWithoutTheCapability) {
  const Tensor x = randn({100, 77}), y = randn({100, 77});
  auto f = compile(dot_fn);
  f(x, y);  // traced with the CPU runner's capability
  const FusedRunner runner = fused_runner(DeviceType::CPU);
  const FusedRunnerCaps caps = fused_runner_caps(DeviceType::CPU);
  ASSERT_TRUE(caps.trailing_reduction);
  set_fused_runner(DeviceType::CPU, runner);
  EXPECT_FALSE(fused_runner_caps(DeviceType::CPU).trailing_reduction);
  auto graph = make_graph(dot_fn)(x, y);
  const bool fused_without = has_reduction(*graph);
  const int64_t before = kernel_calls();
  const Tensor got = f(x, y);
  const int64_t kernels = kernel_calls() - before;
  set_fused_runner(DeviceType::CPU, runner, caps);
  EXPECT_FALSE(fused_without) << graph->to_string();
  EXPECT_GT(kernels, 1);
  EXPECT_TRUE(allclose(got, dot_fn(x, y), 1e-5, 1e-5));
}

// Rows of no elements sum to zero, in the fused pass as in the kernel.
TEST(FusionReduction, EmptyRowsSumToZero) {
  auto f = [](const Tensor& x) { return exp(x).sum({1}); };
  const Tensor x = randn({3, 0});
  auto cf = compile(f);
  cf(x);
  const Tensor got = cf(x);
  EXPECT_EQ(got.shape(), (Shape{3}));
  EXPECT_TRUE(equal(got, zeros({3})));
}

// A program with a reduction handed to a runner without the capability is
// refused with a message that says what to do, and so are a reduction of
// another primitive and one of an integer register.
TEST(FusionReduction, Errors) {
  FusedProgram prog;
  prog.shape = {4, 5};
  prog.device = Device::cpu();
  prog.instrs.push_back(
      {FusedInstr::Kind::kInput, Prim::Add, DType::Float32, 0});
  prog.instrs.push_back(
      {FusedInstr::Kind::kUnary, Prim::Exp, DType::Float32, 0});
  prog.reduction = FusedReduction{Prim::Sum, ReduceAttrs{{1}, false}, 1};
  const Tensor x = randn({4, 5});
  const std::vector<Tensor> in = {x};
  EXPECT_EQ(fused_reduction_shape(prog), (Shape{4}));
  EXPECT_TRUE(allclose(run_fused(prog, in).at(0), exp(x).sum({1}), 1e-6, 1e-6));
  auto message = [&](const FusedProgram& p) {
    try {
      run_fused(p, in);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  FusedProgram argmax = prog;
  argmax.reduction->prim = Prim::Argmax;
  EXPECT_NE(message(argmax).find("[fused_elementwise] a trailing reduction is "
                                 "Sum, Amax or Amin, not argmax"),
            std::string::npos)
      << message(argmax);
  const FusedRunner runner = fused_runner(DeviceType::CPU);
  const FusedRunnerCaps caps = fused_runner_caps(DeviceType::CPU);
  set_fused_runner(DeviceType::CPU, runner);
  const std::string refused = message(prog);
  set_fused_runner(DeviceType::CPU, runner, caps);
  EXPECT_NE(refused.find("does not run this reduction (sum over dims [1] of "
                         "[4, 5]); run the primitives one by one"),
            std::string::npos)
      << refused;
  // Dims that are not one block: no runner runs them.
  FusedProgram gap = prog;
  gap.shape = {2, 2, 5};
  gap.reduction->attrs.dims = {0, 2};
  const std::vector<Tensor> in3 = {randn({2, 2, 5})};
  try {
    run_fused(gap, in3);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("does not run this reduction (sum "
                                         "over dims [0, 2] of [2, 2, 5])"),
              std::string::npos)
        << e.what();
  }
}

// Under vmap the compiled function's graph runs unfused primitives or its
// own vmapped graph: the same values either way.
TEST(FusionReduction, UnderVmap) {
  auto f = compile([](const Tensor& x) { return (x * x + 1.0).sum(); });
  const Tensor xs = randn({6, 300});
  for (int call = 0; call < 3; ++call) {
    EXPECT_TRUE(allclose(vmap(f)(xs), (xs * xs + 1.0).sum({1}), 1e-5, 1e-5));
  }
}

}  // namespace
}  // namespace fnx
