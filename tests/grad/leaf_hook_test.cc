// LeafGradientHookScope: each primal leaf's gradient is handed over once,
// as soon as the backward pass finishes it (leaves used last in the forward
// pass first), equal to what the call returns; unreached leaves get zeros
// at the end; only the next grad/vjp call takes the hook.
#include "transforms/grad/leaf_hook.h"

#include <cstddef>
#include <vector>

#include "core/ops/ops.h"
#include "core/param_dict.h"
#include "gtest/gtest.h"
#include "tests/testing/transform_test_util.h"
#include "transforms/grad/grad.h"
#include "transforms/vmap/vmap.h"

namespace fnx {
namespace {

using testing::close;

struct Seen {
  std::vector<std::size_t> order;
  std::vector<Tensor> grads;
  LeafGradientHookScope scope() {
    return LeafGradientHookScope([this](std::size_t i, const Tensor& g) {
      order.push_back(i);
      if (grads.size() <= i) grads.resize(i + 1);
      grads[i] = g;
    });
  }
};

// Three layers used in order w1, w2, w3; `unused` is never read.
Tensor three_layers(const ParamDict& p, const Tensor& x) {
  const Tensor h1 = tanh(matmul(x, p.at("w1")));
  const Tensor h2 = tanh(matmul(h1, p.at("w2")));
  return matmul(h2, p.at("w3")).sum();
}

ParamDict params() {
  Generator gen(1);
  return ParamDict{{"w1", randn({4, 5}, DType::Float64, &gen)},
                   {"unused", randn({3}, DType::Float64, &gen)},
                   {"w2", randn({5, 5}, DType::Float64, &gen)},
                   {"w3", randn({5, 2}, DType::Float64, &gen)}};
}

TEST(LeafGradientHook, LastUsedFirstAndEqualToTheResult) {
  const Tensor x = randn({6, 4}, DType::Float64);
  Seen seen;
  ParamDict g;
  {
    auto scope = seen.scope();
    g = grad(three_layers)(params(), x);
  }
  // Leaves: w1 0, unused 1, w2 2, w3 3.
  EXPECT_EQ(seen.order, (std::vector<std::size_t>{3, 2, 0, 1}));
  EXPECT_TRUE(close(seen.grads[0], g.at("w1"), 0));
  EXPECT_TRUE(close(seen.grads[2], g.at("w2"), 0));
  EXPECT_TRUE(close(seen.grads[3], g.at("w3"), 0));
  EXPECT_TRUE(close(seen.grads[1], zeros({3}, DType::Float64), 0));
}

TEST(LeafGradientHook, OnlyTheNextCallTakesIt) {
  const Tensor x = randn({6, 4}, DType::Float64);
  Seen seen;
  {
    auto scope = seen.scope();
    // The outer call takes the hook; the grad inside its function does not.
    auto outer = [&](const ParamDict& p) {
      const ParamDict inner = grad(three_layers)(p, x);
      return (inner.at("w3") * inner.at("w3")).sum();
    };
    grad(outer)(params());
    EXPECT_EQ(seen.order.size(), 4u);
    grad(three_layers)(params(), x);  // the hook is spent
    EXPECT_EQ(seen.order.size(), 4u);
  }
  grad(three_layers)(params(), x);
  EXPECT_EQ(seen.order.size(), 4u);
}

TEST(LeafGradientHook, EveryPassOfAVjpAndUnderVmap) {
  const Tensor x = randn({6, 4}, DType::Float64);
  Seen seen;
  {
    auto scope = seen.scope();
    auto [value, pullback] =
        vjp([&](const ParamDict& p) { return three_layers(p, x); }, params());
    pullback(ones({}, DType::Float64));
    pullback(ones({}, DType::Float64) * 2.0);
  }
  EXPECT_EQ(seen.order.size(), 8u);
  // Per-example gradients: the hook sees the batched values (one row per
  // example), as vmap(grad) returns them.
  Seen batched;
  const Tensor xs = randn({3, 6, 4}, DType::Float64);
  ParamDict per_example;
  {
    auto scope = batched.scope();
    per_example = grad([&](const ParamDict& p) {
      return vmap([&](const Tensor& xi) { return three_layers(p, xi); })(xs)
          .sum();
    })(params());
  }
  ASSERT_EQ(batched.order.size(), 4u);
  EXPECT_TRUE(close(batched.grads[3], per_example.at("w3"), 0));
}

}  // namespace
}  // namespace fnx
