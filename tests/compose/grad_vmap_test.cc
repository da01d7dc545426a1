// grad and vmap composed both ways: vmap(grad) against a per-example loop
// (the seed's per-sample-gradient example), grad(vmap) against the same
// function written without vmap, vmap of a vjp pullback, and nesting.
#include <vector>

#include "core/dispatch.h"
#include "core/ops/ops.h"
#include "gtest/gtest.h"
#include "tests/testing/transform_test_util.h"
#include "transforms/grad/grad.h"
#include "transforms/vmap/vmap.h"

namespace fnx {
namespace {

using testing::close;

// The seed talk's model: relu(dot(feature_vec, weights)), MSE loss.
Tensor loss(const Tensor& weights, const Tensor& example,
            const Tensor& target) {
  Tensor y = relu(dot(example, weights));
  return mean(square(y - target));
}

TEST(VmapOfGrad, PerSampleGradientsMatchALoop) {
  Generator gen(7);
  const Tensor weights = randn({5}, DType::Float64, &gen);
  const Tensor examples = randn({3, 5}, DType::Float64, &gen);
  const Tensor targets = randn({3}, DType::Float64, &gen);
  Tensor per_sample =
      vmap(grad(loss), {none, 0, 0})(weights, examples, targets);
  ASSERT_EQ(per_sample.shape(), (Shape{3, 5}));
  for (int64_t i = 0; i < 3; ++i) {
    Tensor one = grad(loss)(weights, examples[i], targets[i]);
    EXPECT_TRUE(close(per_sample[i], one, 1e-12)) << "example " << i;
  }
  // Not all zero: at least one example is on the active side of relu.
  EXPECT_GT(abs(per_sample).sum().item<double>(), 0);
}

TEST(VmapOfGrad, BatchedKernelsNotALoop) {
  // vmap(grad) runs each primitive once for the whole batch.
  const Tensor w = randn({5}, DType::Float64);
  const Tensor xs = randn({64, 5}, DType::Float64),
               ts = randn({64}, DType::Float64);
  const int64_t one_start = kernel_calls();
  grad(loss)(w, xs[0], ts[0]);
  const int64_t one = kernel_calls() - one_start;
  const int64_t batched_start = kernel_calls();
  vmap(grad(loss), {none, 0, 0})(w, xs, ts);
  const int64_t batched = kernel_calls() - batched_start;
  EXPECT_LT(batched, 3 * one) << "one example: " << one << " kernels, 64 "
                              << "batched: " << batched;
}

TEST(GradOfVmap, MatchesTheUnbatchedFunction) {
  const Tensor w = randn({4, 3}, DType::Float64);
  const Tensor xs = randn({6, 3}, DType::Float64);
  // sum over the batch of tanh(W x), via vmap, differentiated w.r.t. W.
  auto batched = [&](const Tensor& wt) {
    auto one = [&](const Tensor& x) { return tanh(mv(wt, x)); };
    return vmap(one, {0})(xs).sum();
  };
  auto plain = [&](const Tensor& wt) { return tanh(matmul(xs, wt.t())).sum(); };
  EXPECT_TRUE(close(grad(batched)(w), grad(plain)(w), 1e-12));
  // grad(vmap(grad)): second order through a batched first order.
  auto inner = [](const Tensor& wt, const Tensor& x) {
    return sin(dot(wt, x));
  };
  auto per_sample_sum = [&](const Tensor& wt) {
    return vmap(grad(inner), {none, 0})(wt, xs.slice(1, 0, 3)).sum();
  };
  auto looped_sum = [&](const Tensor& wt) {
    Tensor acc = zeros({}, DType::Float64);
    for (int64_t i = 0; i < 6; ++i) acc = acc + grad(inner)(wt, xs[i]).sum();
    return acc;
  };
  const Tensor v = randn({3}, DType::Float64);
  EXPECT_TRUE(close(grad(per_sample_sum)(v), grad(looped_sum)(v), 1e-12));
}

TEST(VmapOfVjp, PullbackOverABatchOfCotangents) {
  const Tensor x = randn({4}, DType::Float64);
  auto [out, vjp_fn] = vjp([](const Tensor& t) { return sin(t) * t; }, x);
  const Tensor cts = randn({5, 4}, DType::Float64);
  auto batched =
      vmap([&](const Tensor& ct) { return std::get<0>(vjp_fn(ct)); })(cts);
  for (int64_t i = 0; i < 5; ++i) {
    auto [g] = vjp_fn(cts[i]);
    EXPECT_TRUE(close(batched[i], g, 1e-12));
  }
}

TEST(VmapOfGrad, NestedAndHigherOrder) {
  // vmap(grad(grad(f))) and vmap(vmap(grad)).
  const Tensor xs = randn({3, 2}, DType::Float64);
  auto f = [](const Tensor& t) { return sin(t).sum(); };
  auto g2 = [&](const Tensor& t) { return grad(f)(t).sum(); };
  Tensor h = vmap(grad(g2))(xs);
  EXPECT_TRUE(close(h, neg(sin(xs)), 1e-12));
  Tensor hh = vmap(vmap(grad([](const Tensor& t) { return t * t * t; })))(xs);
  EXPECT_TRUE(close(hh, 3.0 * xs * xs, 1e-12));
}

TEST(VmapOfGrad, NoGradInsideStillRespected) {
  const Tensor xs = randn({4}, DType::Float64);
  auto f = [](const Tensor& x) {
    Tensor c;
    {
      NoGradGuard no_grad;
      c = x * x;
    }
    return x - c;
  };
  EXPECT_TRUE(close(vmap(grad(f))(xs), ones({4}, DType::Float64), 0));
}

// In-place writes into a view of a tracked value, under both orders.
Tensor write_head(const Tensor& w, const Tensor& x) {
  Tensor buf = x * w;  // tracked, owns its memory
  Tensor head = buf.slice(0, 0, 1);
  head.copy_(w.slice(0, 0, 1) * 2.0);
  return (buf * buf).sum();
}

TEST(InPlace, GradOfVmapAndVmapOfGradMatchALoop) {
  Generator gen(11);
  const Tensor w = randn({3}, DType::Float64, &gen);
  const Tensor xs = randn({4, 3}, DType::Float64, &gen);
  auto looped = [&](const Tensor& wt) {
    Tensor acc = zeros({}, DType::Float64);
    for (int64_t i = 0; i < 4; ++i) acc = acc + write_head(wt, xs[i]);
    return acc;
  };
  auto batched = [&](const Tensor& wt) {
    return vmap(write_head, {none, 0})(wt, xs).sum();
  };
  EXPECT_NEAR(batched(w).item<double>(), looped(w).item<double>(), 1e-12);
  EXPECT_TRUE(close(grad(batched)(w), grad(looped)(w), 1e-12));
  Tensor per_sample = vmap(grad(write_head), {none, 0})(w, xs);
  for (int64_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(close(per_sample[i], grad(write_head)(w, xs[i]), 1e-12));
  }
}

}  // namespace
}  // namespace fnx
