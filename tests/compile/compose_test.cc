// compile composed with vmap, grad and jvp both ways: compile(vmap(grad(f)))
// traces under the stack; vmap(compile(f)), grad(compile(f)),
// jvp(compile(f)) and their nestings run compiled rules (graphs traced from
// the transformed graph), equal to the uncompiled compositions, and a second
// call traces nothing.
#include <tuple>

#include "core/generator.h"
#include "core/ops/ops.h"
#include "gtest/gtest.h"
#include "tests/testing/transform_test_util.h"
#include "transforms/compile/compile.h"
#include "transforms/grad/grad.h"
#include "transforms/jvp/jvp.h"
#include "transforms/vmap/vmap.h"

namespace fnx {
namespace {

using testing::close;

Tensor loss(const Tensor& w, const Tensor& x) {
  return (tanh(matmul(x, w)) * gelu(w.sum({0}))).sum();
}

Tensor pointwise(const Tensor& x) { return exp(sin(x)) * x + sigmoid(x); }

// Runs check `warmups` times, then once more, which must not trace. (The
// first call under a transform traces the function under that transform's
// levels; the next ones run the compiled call, whose rule is traced on its
// first use, and so on once per level of nesting.)
template <typename Check>
void warm_calls_do_not_trace(Check check, int warmups = 2) {
  for (int i = 0; i < warmups; ++i) check();
  const int64_t traces = compile_trace_count();
  check();
  EXPECT_EQ(compile_trace_count(), traces);
}

TEST(ComposeCompile, VmapOfCompiled) {
  auto cf = compile(pointwise);
  const Tensor xs = randn({5, 3});
  warm_calls_do_not_trace(
      [&] { EXPECT_TRUE(close(vmap(cf)(xs), vmap(pointwise)(xs))); });
  auto cl = compile(loss);
  const Tensor w = randn({4, 3}), x = randn({5, 2, 4});
  warm_calls_do_not_trace([&] {
    EXPECT_TRUE(close(vmap(cl, {none, 0})(w, x), vmap(loss, {none, 0})(w, x)));
  });
}

TEST(ComposeCompile, GradOfCompiled) {
  auto cl = compile(loss);
  const Tensor w = randn({4, 3}, DType::Float64),
               x = randn({2, 4}, DType::Float64);
  warm_calls_do_not_trace([&] {
    auto [gw, gx] = grad<0, 1>(cl)(w, x);
    auto [ew, ex] = grad<0, 1>(loss)(w, x);
    EXPECT_TRUE(close(gw, ew, 1e-12, 1e-12));
    EXPECT_TRUE(close(gx, ex, 1e-12, 1e-12));
  });
}

TEST(ComposeCompile, JvpOfCompiled) {
  auto cf = compile(pointwise);
  const Tensor x = randn({6}, DType::Float64), t = randn({6}, DType::Float64);
  warm_calls_do_not_trace([&] {
    auto [y, ty] = jvp(cf, x, t);
    auto [ey, ety] = jvp(pointwise, x, t);
    EXPECT_TRUE(close(y, ey, 1e-12, 1e-12));
    EXPECT_TRUE(close(ty, ety, 1e-12, 1e-12));
  });
}

TEST(ComposeCompile, NestedTransformsOfCompiled) {
  auto cl = compile(loss);
  const Tensor w = randn({4, 3}, DType::Float64);
  const Tensor xs = randn({5, 2, 4}, DType::Float64);
  warm_calls_do_not_trace(
      [&] {
        EXPECT_TRUE(close(vmap(grad(cl), {none, 0})(w, xs),
                          vmap(grad(loss), {none, 0})(w, xs), 1e-12, 1e-12));
      },
      3);
  auto cf = compile([](const Tensor& x) { return pointwise(x).sum(); });
  auto f = [](const Tensor& x) { return pointwise(x).sum(); };
  const Tensor x = randn({4}, DType::Float64);
  warm_calls_do_not_trace(
      [&] {
        EXPECT_TRUE(close(
            grad(grad([&](const Tensor& v) { return cf(v * v); }))(x.sum()),
            grad(grad([&](const Tensor& v) { return f(v * v); }))(x.sum()),
            1e-10, 1e-10));
        auto [g, tg] = jvp(grad(cf), x, x);
        auto [eg, etg] = jvp(grad(f), x, x);
        EXPECT_TRUE(close(g, eg, 1e-12, 1e-12));
        EXPECT_TRUE(close(tg, etg, 1e-10, 1e-10));
      },
      4);
}

TEST(ComposeCompile, CompileOfTransforms) {
  auto per_example = [](const Tensor& w, const Tensor& xs) {
    return vmap(grad(loss), {none, 0})(w, xs);
  };
  auto compiled = compile(per_example);
  const Tensor w = randn({4, 3}, DType::Float64);
  const Tensor xs = randn({5, 2, 4}, DType::Float64);
  warm_calls_do_not_trace([&] {
    EXPECT_TRUE(close(compiled(w, xs), per_example(w, xs), 1e-12, 1e-12));
  });
  EXPECT_EQ(compiled.trace_count(), 1);
  // The graph holds primitives only: the transforms were traced through.
  auto graph = make_graph(per_example)(w, xs);
  EXPECT_EQ(graph->count(Prim::CustomCall), 0);
  EXPECT_GT(graph->count(Prim::Matmul), 0);
}

TEST(ComposeCompile, GradOfCompiledDropoutUsesTheForwardsMask) {
  auto f = [](const Tensor& x) { return (dropout(x, 0.5) * x).sum(); };
  auto cf = compile(f);
  const Tensor x = randn({32}, DType::Float64);
  cf(x);
  manual_seed(3);
  const Tensor eager = grad(f)(x);
  manual_seed(3);
  const Tensor compiled = grad(cf)(x);
  EXPECT_TRUE(close(compiled, eager, 1e-12, 1e-12));
}

}  // namespace
}  // namespace fnx
