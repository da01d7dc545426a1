// The compiled vjp rule saves the forward's residuals (AOTAutograd's
// partition, transforms/compile/graph_function.cc): grad(compile(f)) runs
// the forward graph once per call, and the backward graph reads what it
// saved instead of recomputing it. A custom function inside f counts its
// forward runs (custom calls are never merged or dropped, so every run of
// the forward shows).
#include <atomic>
#include <memory>
#include <tuple>

#include "core/custom_function.h"
#include "core/dispatch.h"
#include "core/generator.h"
#include "core/ops/ops.h"
#include "gtest/gtest.h"
#include "transforms/compile/compile.h"
#include "transforms/grad/grad.h"
#include "transforms/jvp/jvp.h"
#include "transforms/vmap/vmap.h"

namespace fnx {
namespace {

std::atomic<int> g_forward_runs{0};

std::shared_ptr<const CustomFunction> counted_sin() {
  static const auto fn = [] {
    auto f = std::make_shared<CustomFunction>();
    f->name = "counted_sin";
    f->fwd = [](std::span<const Tensor> x) {
      ++g_forward_runs;
      return TensorList{sin(x[0])};
    };
    f->bwd = [](std::span<const Tensor> res, std::span<const Tensor> ct) {
      return TensorList{ct[0] * cos(res[0])};
    };
    return f;
  }();
  return fn;
}

Tensor model(const Tensor& x, const Tensor& w) {
  const Tensor h = custom_call(counted_sin(), std::vector<Tensor>{x})[0];
  return (gelu(matmul(h, w)) * exp(-h.sum())).sum();
}

TEST(VjpResiduals, ForwardRunsOncePerGradCall) {
  const Tensor x = randn({3, 4});
  const Tensor w = randn({4, 5});
  auto g = grad<0, 1>(compile(model));
  for (int warm = 0; warm < 3; ++warm) g(x, w);  // traces
  g_forward_runs = 0;
  const auto [gx, gw] = g(x, w);
  EXPECT_EQ(g_forward_runs.load(), 1);
  g_forward_runs = 0;
  const auto [ex, ew] = grad<0, 1>(model)(x, w);
  EXPECT_EQ(g_forward_runs.load(), 1);
  EXPECT_TRUE(allclose(gx, ex, 1e-5, 1e-6));
  EXPECT_TRUE(allclose(gw, ew, 1e-5, 1e-6));
}

TEST(VjpResiduals, IntOutputsHigherOrderAndVmapMatchEager) {
  auto f = [](const Tensor& x) {
    const Tensor y = tanh(x) * x;
    return std::tuple{y.sum(), argmax(y, 0)};
  };
  auto loss = [&](const Tensor& x) { return std::get<0>(f(x)); };
  auto cf = compile(f);
  auto closs = [&](const Tensor& x) { return std::get<0>(cf(x)); };
  auto scalar = [](const Tensor& x) { return tanh(x) * exp(x); };
  auto cscalar = compile(scalar);
  const Tensor x = randn({6});
  for (int call = 0; call < 3; ++call) {
    EXPECT_TRUE(allclose(grad(closs)(x), grad(loss)(x), 1e-6, 1e-6));
    EXPECT_TRUE(allclose(grad(grad(cscalar))(x.sum()),
                         grad(grad(scalar))(x.sum()), 1e-6, 1e-6));
    const Tensor xs = randn({4, 6});
    EXPECT_TRUE(
        allclose(vmap(grad(closs))(xs), vmap(grad(loss))(xs), 1e-6, 1e-6));
  }
}

// Graphs with random nodes get compiled jvp and vjp rules: each call draws
// fresh numbers (the forward graph's random nodes), eager's for the same
// seed, and the backward reads the mask the forward drew.
TEST(VjpResiduals, RandomGraphsHaveCompiledRulesThatDrawAsEager) {
  auto f = [](const Tensor& x) {
    return (dropout(x, 0.5) * exp(x) + rand({64}, DType::Float64) * x).sum();
  };
  auto cf = compile(f);
  const Tensor x = randn({64}, DType::Float64);
  const Tensor t = randn({64}, DType::Float64);
  for (int warm = 0; warm < 3; ++warm) grad(cf)(x);  // traces the rules
  for (int call = 0; call < 2; ++call) {
    manual_seed(11 + call);
    const Tensor eager = grad(f)(x);
    manual_seed(11 + call);
    const int64_t traces = compile_trace_count();
    const Tensor compiled = grad(cf)(x);
    EXPECT_EQ(compile_trace_count(), traces) << "the rule traced again";
    EXPECT_TRUE(allclose(compiled, eager, 1e-12, 1e-12)) << call;
  }
  // Fresh numbers per call.
  EXPECT_FALSE(allclose(grad(cf)(x), grad(cf)(x)));
  // The compiled rule runs fused graphs (forward and backward); a graph
  // without rules runs its nodes one by one under grad, as eager does.
  int64_t before = kernel_calls();
  grad(f)(x);
  const int64_t eager_kernels = kernel_calls() - before;
  before = kernel_calls();
  grad(cf)(x);
  // (Measured: 9 against eager's 23; without the rules, 21.)
  EXPECT_LE(2 * (kernel_calls() - before), eager_kernels);
  // jvp: the same draws as eager's jvp.
  for (int warm = 0; warm < 3; ++warm) jvp(cf, x, t);
  manual_seed(5);
  const auto [eo, et] = jvp(f, x, t);
  manual_seed(5);
  const auto [co, ct] = jvp(cf, x, t);
  EXPECT_TRUE(allclose(co, eo, 1e-12, 1e-12));
  EXPECT_TRUE(allclose(ct, et, 1e-12, 1e-12));
}

}  // namespace
}  // namespace fnx
