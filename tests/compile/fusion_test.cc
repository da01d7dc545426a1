// Elementwise fusion: gelu becomes one fused kernel, equal to eager bit for
// bit in float32 and float64; broadcasting, strided inputs, compares, where,
// casts and several outputs; and the unfused fallback (no runner) computes
// the same values.
#include <tuple>
#include <utility>
#include <vector>

#include "core/dispatch.h"
#include "core/fused_elementwise.h"
#include "core/ops/ops.h"
#include "gtest/gtest.h"
#include "transforms/compile/compile.h"
#include "transforms/grad/grad.h"
#include "transforms/vmap/vmap.h"

namespace fnx {
namespace {

Tensor gelu_fn(const Tensor& x) { return gelu(x); }

TEST(Fusion, GeluIsOneKernelAndBitIdentical) {
  for (DType dtype : {DType::Float32, DType::Float64}) {
    // Not a multiple of the tile or the vector width: tails are exercised.
    const Tensor x = randn({37, 1001}, dtype) * 3.0;
    auto f = compile(gelu_fn);
    auto graph = make_graph(gelu_fn)(x);
    EXPECT_EQ(graph->fused_count(), 1) << graph->to_string();
    EXPECT_EQ(graph->nodes.size(), 1u) << graph->to_string();
    f(x);  // traces
    const int64_t before = kernel_calls();
    const Tensor y = f(x);
    EXPECT_EQ(kernel_calls() - before, 1);
    EXPECT_TRUE(equal(y, gelu(x))) << dtype_name(dtype);
  }
}

// Results of 16 MiB and more are written with non-temporal stores
// (backends/cpu/fused.cc): the same bits, here with two outputs of two
// dtypes, one of them a returned input, and a start not on a tile.
TEST(Fusion, LargeResultsStreamedOutAreBitIdentical) {
  auto f = [](const Tensor& x) {
    const Tensor g = gelu(x);
    return std::tuple{g, (g > 0.1).to(DType::Float64) + x.to(DType::Float64),
                      x};
  };
  const Tensor x = slice(randn({4099, 1031}), 1, 3, 1030);  // 16.8 MB
  auto cf = compile(f);
  cf(x);
  auto [a, b, c] = cf(x);
  auto [ea, eb, ec] = f(x);
  EXPECT_TRUE(equal(a, ea));
  EXPECT_TRUE(equal(b, eb));
  EXPECT_TRUE(equal(c, ec));
}

TEST(Fusion, BroadcastingStridedCompareWhereCast) {
  auto f = [](const Tensor& x, const Tensor& y, const Tensor& z) {
    const Tensor s = sin(x) * y + exp(z) - 1.5;
    const Tensor m = where(s > 0.0, s, tanh(s) * 0.5);
    return (m * m).to(DType::Float64) + erf(m).to(DType::Float64);
  };
  const Tensor x = randn({3, 1, 5});
  const Tensor y = randn({4, 5});
  const Tensor z = randn({5, 4}).transpose(0, 1);  // strided
  auto cf = compile(f);
  for (int call = 0; call < 2; ++call) {
    EXPECT_TRUE(equal(cf(x, y, z), f(x, y, z)));
  }
  auto graph = make_graph(f)(x, y, z);
  EXPECT_EQ(graph->fused_count(), 1) << graph->to_string();
}

// Strided inputs are gathered per item size (1, 4 and 8 bytes): a
// transposed bool mask, int32 and float64 operands.
TEST(Fusion, StridedInputsOfEveryItemSize) {
  auto f = [](const Tensor& m, const Tensor& i, const Tensor& d) {
    const Tensor s = i.to(DType::Float64) * d + 0.5;
    return where(m, s, exp(d) - s);
  };
  const Tensor d = randn({37, 29}, DType::Float64).transpose(0, 1);
  const Tensor m = (randn({37, 29}) > 0.0).transpose(0, 1);
  const Tensor i = (randn({37, 29}) * 10.0).to(DType::Int32).transpose(0, 1);
  auto cf = compile(f);
  for (int call = 0; call < 2; ++call) {
    EXPECT_TRUE(equal(cf(m, i, d), f(m, i, d)));
  }
  EXPECT_EQ(make_graph(f)(m, i, d)->fused_count(), 1);
}

// Inputs broadcast over leading dims repeat with a period (the trailing
// dims' elements): each chunk fills a pattern once and every tile reads it
// at its own offset, periods that do not divide the tile included, over
// several chunks of the pool; a size-1 trailing dim, a scalar, and periods
// too long for a pattern (gathered instead) give the same bits.
TEST(Fusion, PeriodicInputsOverTilesAndChunks) {
  auto f = [](const Tensor& x, const Tensor& w, const Tensor& b,
              const Tensor& s,
              const Tensor& c) { return ((x - w * 0.01) * b + s) * c; };
  for (DType dtype : {DType::Float32, DType::Float64}) {
    const Tensor x = randn({64, 37, 41}, dtype);
    const Tensor w = randn({37, 41}, dtype);  // period 1517
    const Tensor b = randn({41}, dtype);      // period 41
    const Tensor s = randn({1}, dtype);       // period 1
    const Tensor c = randn({37, 1}, dtype);   // broadcast inside: gathered
    auto cf = compile(f);
    for (int call = 0; call < 2; ++call) {
      EXPECT_TRUE(equal(cf(x, w, b, s, c), f(x, w, b, s, c)));
    }
    EXPECT_EQ(make_graph(f)(x, w, b, s, c)->fused_count(), 1);
    // Longer than a pattern is kept for (4096 elements): gathered.
    const Tensor xl = randn({9, 70, 71}, dtype);
    const Tensor wl = randn({70, 71}, dtype);
    const Tensor bl = randn({1, 71}, dtype);
    const Tensor cl = randn({70, 1}, dtype);
    EXPECT_TRUE(equal(cf(xl, wl, bl, s, cl), f(xl, wl, bl, s, cl)));
  }
}

// Inputs with dims of their own before the broadcast ones repeat their
// pattern over a block, then move on: a batch of biases (64, 1, 32) over
// (64, 64, 32), two outer dims, a pattern of two dims, blocks too short to
// keep a pattern for (gathered), and columns broadcast along rows
// (gathered, or a pattern of one element when the rows are long), each
// equal to eager.
TEST(Fusion, BlockPeriodicInputs) {
  auto f = [](const Tensor& x, const Tensor& b) { return tanh(x + b) * b; };
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{64, 64, 32}, {64, 1, 32}},       // block 2048, period 32
      {{3, 5, 20, 40}, {3, 5, 1, 40}},   // two outer dims
      {{3, 5, 20, 40}, {3, 1, 20, 40}},  // period of two dims
      {{9, 7, 13, 11}, {9, 1, 13, 11}},  // block 1001: tiles cut at blocks
      {{8, 4, 16}, {8, 1, 16}},          // block 64: gathered
      {{64, 64, 32}, {64, 64, 1}},       // each element 32 times in a row
      {{9, 7, 13}, {9, 7, 1}},           // rows of 13 across tile ends
      {{5, 3, 700}, {5, 3, 1}}};         // rows of 700: a pattern of one
  for (DType dtype : {DType::Float32, DType::Float64}) {
    for (const auto& [xs, bs] : cases) {
      const Tensor x = randn(xs, dtype), b = randn(bs, dtype);
      auto cf = compile(f);
      for (int call = 0; call < 2; ++call) {
        EXPECT_TRUE(equal(cf(x, b), f(x, b))) << shape_str(bs);
      }
    }
  }
}

// Values repeated over a tile (a scalar input, a column broadcast along
// long rows) are read with a stride of 0, and instructions reading only
// such values compute one element: unary, binary, compare, where and cast
// of scalars, results that are such values only (written whole, directly
// and streamed out) and a reduction of one, each equal to eager.
TEST(Fusion, RepeatedValuesComputedOncePerTile) {
  auto f = [](const Tensor& x, const Tensor& s) {
    const Tensor k = exp(s) * 2.0 - s;  // once per tile
    const Tensor m = where(s > 0.25, k, s.to(DType::Float64).to(x.dtype()));
    const Tensor y = tanh(x * k) + where(x > 0.0, m, x * s);
    const Tensor only = broadcast_to(s, x.shape()) * 3.0 + m;
    return std::tuple{y, only, (broadcast_to(k, x.shape()) * 0.5).sum({-1})};
  };
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{37, 1001}, {}},          // one scalar throughout
      {{5, 3, 700}, {5, 3, 1}},  // a scalar per row of 700
      {{4099, 1031}, {}},        // 16.9 MB results: streamed out
  };
  for (DType dtype : {DType::Float32, DType::Float64}) {
    for (const auto& [xs, ss] : cases) {
      const Tensor x = randn(xs, dtype);
      for (double shift : {-1.0, 1.0}) {  // both sides of s > 0.25
        const Tensor s = randn(ss, dtype) * 0.1 + shift;
        auto cf = compile(f);
        for (int call = 0; call < 2; ++call) {
          auto [y, only, sum] = cf(x, s);
          auto [ey, eonly, esum] = f(x, s);
          EXPECT_TRUE(equal(y, ey)) << shape_str(xs);
          EXPECT_TRUE(equal(only, eonly)) << shape_str(xs);
          EXPECT_TRUE(allclose(sum, esum, 1e-5, 1e-5)) << shape_str(xs);
        }
      }
    }
  }
}

// A group may read a value computed after its first member: the backward
// pass of a tanh layer computes be = h * y, then 1 - tanh^2 (joining the
// forward's tanh group), then be * (1 - tanh^2), which joins be's group.
// Then 1 - tanh^2, read only by be's group, moves there: computed in that
// pass, never written. The forward's group keeps the exp (whose result the
// matmul reads) and tanh.
TEST(Fusion, GroupReadsValueComputedAfterItsFirstNode) {
  auto f = [](const Tensor& x, const Tensor& y, const Tensor& w) {
    const Tensor o = tanh(exp(x));
    const Tensor be = matmul(o, w) * y;
    const Tensor bj = 1.0 - o * o;
    return be * bj;
  };
  const Tensor x = randn({8, 16}), y = randn({8, 16}), w = randn({16, 16});
  auto graph = make_graph(f)(x, y, w);
  EXPECT_EQ(graph->fused_count(), 2) << graph->to_string();
  EXPECT_EQ(graph->nodes.size(), 3u) << graph->to_string();
  for (const Graph::Node& node : graph->nodes) {
    EXPECT_EQ(node.outputs.size(), 1u) << graph->to_string();
  }
  auto cf = compile(f);
  for (int call = 0; call < 2; ++call) {
    EXPECT_TRUE(equal(cf(x, y, w), f(x, y, w)));
  }
}

// Joining must not make a cycle: c reads s, which reads a's group through a
// reduction, so c stays out of that group (which ends in the reduction).
TEST(Fusion, NoCycleThroughAnOutsideNode) {
  auto f = [](const Tensor& x) {
    const Tensor a = sin(x) * 2.0;
    const Tensor s = a.sum({1}, true);
    return std::tuple{a * s, s};
  };
  const Tensor x = randn({6, 10});
  auto cf = compile(f);
  for (int call = 0; call < 2; ++call) {
    auto [c, s] = cf(x);
    auto [ec, es] = f(x);
    EXPECT_TRUE(allclose(c, ec, 1e-6, 1e-6));
    EXPECT_TRUE(allclose(s, es, 1e-6, 1e-6));
  }
  auto graph = make_graph(f)(x);
  EXPECT_EQ(graph->fused_count(), 1) << graph->to_string();
  EXPECT_EQ(graph->nodes.size(), 2u) << graph->to_string();
}

TEST(Fusion, SeveralOutputs) {
  auto f = [](const Tensor& x) {
    const Tensor e = exp(x);
    return std::tuple{e, e * 2.0 + x, log1p(e).sum()};
  };
  const Tensor x = randn({1000, 33});
  auto cf = compile(f);
  cf(x);
  for (int call = 0; call < 2; ++call) {
    auto [a, b, c] = cf(x);
    auto [ea, eb, ec] = f(x);
    EXPECT_TRUE(equal(a, ea));
    EXPECT_TRUE(equal(b, eb));
    EXPECT_TRUE(equal(c, ec));
  }
}

// From 16 tiles on, registers whose values are no longer read hand their
// scratch slot to later ones (backends/cpu/fused.cc): values read long
// after they are computed, operands read twice, a widening cast, outputs
// and a reduced register that live to the end of the tile, each equal to
// eager.
TEST(Fusion, RegistersShareSlotsByLiveness) {
  auto f = [](const Tensor& x, const Tensor& y) {
    const Tensor a = sin(x);
    const Tensor b = a * y;
    const Tensor c = exp(b) - a;                  // a read again, after b
    const Tensor d = (c * c).to(DType::Float64);  // c twice; wider
    const Tensor e = tanh(b) + c;
    return std::tuple{e, d + a.to(DType::Float64), (e * b).sum({1})};
  };
  const Tensor x = randn({300, 211}), y = randn({300, 211});
  EXPECT_EQ(make_graph(f)(x, y)->fused_count(), 1)
      << make_graph(f)(x, y)->to_string();
  auto cf = compile(f);
  for (int call = 0; call < 2; ++call) {
    auto [e, d, r] = cf(x, y);
    auto [ee, ed, er] = f(x, y);
    EXPECT_TRUE(equal(e, ee));
    EXPECT_TRUE(equal(d, ed));
    EXPECT_TRUE(allclose(r, er, 1e-5, 1e-5));
  }
}

// vmap of a compiled function runs the compiled vmap rule, fused too (MLX
// falls back to the unfused graph when a compiled function is transformed).
TEST(Fusion, TransformedCompiledFunctionsStayFused) {
  auto f = compile(gelu_fn);
  const Tensor xs = randn({16, 300});
  for (int call = 0; call < 2; ++call) vmap(f)(xs);
  int64_t before = kernel_calls();
  const Tensor y = vmap(f)(xs);
  EXPECT_EQ(kernel_calls() - before, 1);
  EXPECT_TRUE(equal(y, gelu(xs)));
  auto g = grad([&](const Tensor& x) { return f(x).sum(); });
  for (int call = 0; call < 2; ++call) g(xs);
  before = kernel_calls();
  const Tensor dx = g(xs);
  const int64_t compiled_kernels = kernel_calls() - before;
  before = kernel_calls();
  const Tensor eager_dx =
      grad([](const Tensor& x) { return gelu(x).sum(); })(xs);
  EXPECT_LT(compiled_kernels, kernel_calls() - before);
  EXPECT_TRUE(allclose(dx, eager_dx, 1e-5, 1e-6));
}

TEST(Fusion, WithoutARunnerThePrimitivesRunOneByOne) {
  const Tensor x = randn({64, 65});
  auto f = compile(gelu_fn);
  f(x);
  const FusedRunner runner = fused_runner(DeviceType::CPU);
  ASSERT_NE(runner, nullptr);
  set_fused_runner(DeviceType::CPU, nullptr);
  const int64_t before = kernel_calls();
  const Tensor y = f(x);
  const int64_t kernels = kernel_calls() - before;
  set_fused_runner(DeviceType::CPU, runner);
  EXPECT_GT(kernels, 1);
  EXPECT_TRUE(equal(y, gelu(x)));
}

TEST(Fusion, UnfusedOptionKeepsNodes) {
  const Tensor x = randn({8});
  auto graph = make_graph(gelu_fn, {.fuse = false})(x);
  EXPECT_EQ(graph->fused_count(), 0);
  EXPECT_GT(graph->nodes.size(), 2u);
  EXPECT_EQ(graph->count(Prim::Erf), 1);
  EXPECT_EQ(make_graph(gelu_fn)(x)->count(Prim::Erf), 1);
}

}  // namespace
}  // namespace fnx
