// A data-parallel training step (each rank's half of the batch, gradients
// all-reduced by mean in buckets) equals the one-process step on the whole
// batch, in float64. Runs as one process and as two ranks
// (data_parallel_2ranks_test).
#include "transforms/distributed/data_parallel.h"

#include <string>
#include <vector>

#include "core/generator.h"
#include "gtest/gtest.h"
#include "tests/testing/transform_test_util.h"
#include "transforms/distributed/dist.h"
#include "transforms/grad/grad.h"
#include "transforms/grad/leaf_hook.h"

namespace fnx {
namespace {

using testing::close;

constexpr int64_t kBatch = 8;

Tensor same_everywhere(const Shape& shape, uint64_t seed) {
  Generator gen(seed);
  return randn(shape, DType::Float64, &gen);
}

ParamDict initial_params() {
  return ParamDict{{"w1", same_everywhere({5, 7}, 1)},
                   {"b1", same_everywhere({7}, 2)},
                   {"w2", same_everywhere({7, 1}, 3)},
                   {"b2", same_everywhere({1}, 4)}};
}

Tensor mse(const ParamDict& p, const Tensor& x, const Tensor& y) {
  const Tensor h = tanh(matmul(x, p.at("w1")) + p.at("b1"));
  const Tensor out = (matmul(h, p.at("w2")) + p.at("b2")).squeeze(1);
  return ((out - y) * (out - y)).mean();
}

ParamDict sgd(const ParamDict& p, const ParamDict& g, double lr) {
  ParamDict next;
  for (const auto& [name, value] : p) {
    next.insert_or_assign(name, value - g.at(name) * lr);
  }
  return next;
}

// This rank's contiguous share of the batch.
Tensor shard(const Tensor& batch) {
  const int64_t per_rank = kBatch / dist::size();
  return narrow(batch, 0, dist::rank() * per_rank, per_rank);
}

TEST(DataParallel, StepEqualsTheFullBatchStep) {
  const Tensor x = same_everywhere({kBatch, 5}, 10);
  const Tensor y = same_everywhere({kBatch}, 11);
  const ParamDict p = initial_params();
  const ParamDict full = sgd(p, grad(mse)(p, x, y), 0.1);

  const ParamDict local = grad(mse)(p, shard(x), shard(y));
  const ParamDict step = sgd(p, dist::all_reduce_gradients(local), 0.1);
  for (const auto& [name, value] : full) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(close(step.at(name), value, 1e-14, 1e-14));
  }
}

// Small buckets (one parameter each), gradients handed over last layer
// first as a backward pass makes them: each bucket starts as soon as it is
// complete, and the result is the same.
TEST(DataParallel, BucketsStartAsGradientsArrive) {
  const Tensor x = same_everywhere({kBatch, 5}, 12);
  const Tensor y = same_everywhere({kBatch}, 13);
  const ParamDict p = initial_params();
  const ParamDict full_grads = grad(mse)(p, x, y);
  const ParamDict local = grad(mse)(p, shard(x), shard(y));

  dist::GradientBuckets buckets(p, dist::world(), ReduceOp::Mean,
                                /*bucket_bytes=*/7 * 8);
  EXPECT_EQ(buckets.num_buckets(), 4);
  for (const char* name : {"b2", "w2", "b1", "w1"}) {
    buckets.ready(name, local.at(name));
  }
  const ParamDict reduced = buckets.finish();
  for (const auto& [name, value] : full_grads) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(close(reduced.at(name), value, 1e-14, 1e-14));
  }
}

// The same through the backward pass itself: grad's leaf hook hands each
// gradient to the buckets as soon as it is final, last layer first, so the
// first buckets are all-reducing while the backward computes the rest.
TEST(DataParallel, BackwardHandsGradientsToTheBuckets) {
  const Tensor x = same_everywhere({kBatch, 5}, 14);
  const Tensor y = same_everywhere({kBatch}, 15);
  const ParamDict p = initial_params();
  const ParamDict full_grads = grad(mse)(p, x, y);

  dist::GradientBuckets buckets(p, dist::world(), ReduceOp::Mean,
                                /*bucket_bytes=*/7 * 8);
  std::vector<std::size_t> order;
  auto bucket_hook = buckets.hook();
  ParamDict local;
  {
    LeafGradientHookScope scope([&](std::size_t leaf, const Tensor& g) {
      order.push_back(leaf);
      bucket_hook(leaf, g);
    });
    local = grad(mse)(p, shard(x), shard(y));
  }
  // w1, b1, w2, b2 are leaves 0..3; the last layer's come first.
  ASSERT_EQ(order.size(), 4u);
  EXPECT_TRUE(order[0] == 2 || order[0] == 3);
  EXPECT_TRUE(order[3] == 0 || order[3] == 1);
  const ParamDict reduced = buckets.finish();
  for (const auto& [name, value] : full_grads) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(close(reduced.at(name), value, 1e-14, 1e-14));
  }
}

TEST(DataParallel, MisuseIsAnError) {
  const ParamDict p = initial_params();
  dist::GradientBuckets buckets(p, dist::world());
  EXPECT_TRUE(testing::throws_with([&] { buckets.ready("w3", p.at("w1")); },
                                   "no parameter named 'w3'"));
  EXPECT_TRUE(testing::throws_with([&] { buckets.ready("w1", p.at("b1")); },
                                   "the gradient of 'w1'"));
  EXPECT_TRUE(
      testing::throws_with([&] { buckets.finish(); }, "was never handed over"));
}

// Buckets dropped without finish(): their all-reduces still complete in
// the background (the progress thread keeps each buffer alive until its
// request is done), and the collectives after them are unaffected.
TEST(DataParallel, DroppedBucketsLeaveLaterCollectivesIntact) {
  const ParamDict params = initial_params();
  for (int round = 0; round < 3; ++round) {
    dist::GradientBuckets buckets(params, dist::world(), ReduceOp::Sum,
                                  /*bucket_bytes=*/64);
    for (const auto& [name, value] : params) buckets.ready(name, value * 1.0);
  }
  const Tensor mine = full({4}, static_cast<double>(dist::rank() + 1),
                           DType::Float64);
  const int64_t n = dist::size();
  EXPECT_TRUE(close(dist::all_reduce(mine),
                    full({4}, n * (n + 1) / 2.0, DType::Float64), 0, 0));
  // And a finished set of buckets after them gives the sum.
  dist::GradientBuckets buckets(params, dist::world(), ReduceOp::Sum);
  for (const auto& [name, value] : params) buckets.ready(name, value);
  const ParamDict summed = buckets.finish();
  for (const auto& [name, value] : params) {
    EXPECT_TRUE(close(summed.at(name), value * static_cast<double>(n), 1e-14,
                      1e-14));
  }
}

}  // namespace
}  // namespace fnx
