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
#include "core/ops/ops.h"
#include "gtest/gtest.h"
#include "transforms/compile/compile.h"
#include "transforms/grad/grad.h"
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

}  // namespace
}  // namespace fnx
