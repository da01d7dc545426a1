// DP-SGD across ranks (issue 18's demo, as a test): each rank clips the
// per-sample gradients of its shard of the batch and sums them, the sums
// are all-reduced, and every rank adds the same noise (the same generator
// seed) before dividing by the whole batch's size. Several steps of it
// equal the one-process DP-SGD of the demos (tools/demos/dp_sgd.h) on the
// whole batch, in float64. Runs as one process and as two ranks
// (dpsgd_ranks_2ranks_test).
#include "core/generator.h"
#include "gtest/gtest.h"
#include "tests/testing/transform_test_util.h"
#include "tools/demos/dp_sgd.h"
#include "transforms/distributed/demo/dp_sgd_ranks.h"
#include "transforms/distributed/dist.h"
#include "transforms/grad/grad.h"
#include "transforms/vmap/vmap.h"

namespace fnx {
namespace {

constexpr int64_t kBatch = 8;
constexpr double kClip = 0.5, kNoise = 1.1, kLr = 0.2;

Tensor same_everywhere(const Shape& shape, uint64_t seed) {
  Generator gen(seed);
  return randn(shape, DType::Float64, &gen);
}

Tensor example_loss(const ParamDict& p, const Tensor& x, const Tensor& y) {
  const Tensor h = tanh(matmul(x, p.at("w1")) + p.at("b1"));
  const Tensor out = matmul(h, p.at("w2")).squeeze(0);
  return (out - y) * (out - y);
}

ParamDict per_sample_grads(const ParamDict& p, const Tensor& xs,
                           const Tensor& ys) {
  return vmap(grad(example_loss), {none, 0, 0})(p, xs, ys);
}

ParamDict sgd(const ParamDict& p, const ParamDict& g) {
  ParamDict next;
  for (const auto& [name, value] : p) {
    next.insert_or_assign(name, value - g.at(name) * kLr);
  }
  return next;
}

// The privatized gradient of the whole batch from this rank's shard.
ParamDict privatize_across_ranks(const ParamDict& per_sample, int64_t shard,
                                 Generator& gen) {
  return dist::privatize_across_ranks(per_sample, shard, kBatch, kClip, kNoise,
                                      gen);
}

TEST(DpsgdAcrossRanks, StepsEqualTheOneProcessRun) {
  const Tensor xs = same_everywhere({kBatch, 3}, 1);
  const Tensor ys = same_everywhere({kBatch}, 2);
  const int64_t shard = kBatch / dist::size();
  const Tensor my_xs = narrow(xs, 0, dist::rank() * shard, shard);
  const Tensor my_ys = narrow(ys, 0, dist::rank() * shard, shard);
  ParamDict alone{{"w1", same_everywhere({3, 4}, 3)},
                  {"b1", same_everywhere({4}, 4)},
                  {"w2", same_everywhere({4, 1}, 5)}};
  ParamDict ranks = alone;
  Generator noise_alone(7), noise_ranks(7);
  for (int step = 0; step < 3; ++step) {
    alone = sgd(alone, demos::privatize(per_sample_grads(alone, xs, ys), kBatch,
                                        kClip, kNoise, noise_alone));
    ranks =
        sgd(ranks, privatize_across_ranks(per_sample_grads(ranks, my_xs, my_ys),
                                          shard, noise_ranks));
    for (const auto& [name, value] : alone) {
      SCOPED_TRACE(name);
      EXPECT_TRUE(testing::close(ranks.at(name), value, 1e-13, 1e-13));
    }
  }
}

}  // namespace
}  // namespace fnx
