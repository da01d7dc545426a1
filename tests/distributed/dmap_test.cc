// dmap's promise: over N ranks it gives exactly what vmap over N examples
// gives, with group collectives inside f standing for vmap's collectives
// (vmap_mean / vmap_all_gather over the batch). Runs as one process and as
// two ranks (dmap_2ranks_test).
#include "transforms/distributed/dmap.h"

#include <optional>
#include <vector>

#include "core/generator.h"
#include "gtest/gtest.h"
#include "tests/testing/transform_test_util.h"
#include "transforms/grad/grad.h"
#include "transforms/vmap/vmap.h"
#include "transforms/vmap/vmap_collectives.h"

namespace fnx {
namespace {

using testing::close;

Tensor same_everywhere(const Shape& shape, uint64_t seed) {
  Generator gen(seed);
  return randn(shape, DType::Float64, &gen);
}

TEST(Dmap, EqualsVmapWithAnUnmappedArgument) {
  const int64_t n = dist::size();
  const Tensor xs = same_everywhere({n, 5, 3}, 1);
  const Tensor w = same_everywhere({3, 2}, 2);
  auto f = [](const Tensor& x, const Tensor& weight) {
    return tanh(matmul(x, weight)).sum(Dims{0});
  };
  const Tensor got = dist::dmap(f, dist::world(), {0, std::nullopt})(xs, w);
  const Tensor expected = vmap(f, {0, none})(xs, w);
  EXPECT_TRUE(close(got, expected, 1e-14, 1e-14));
}

TEST(Dmap, MappedDimAndOutDimAnywhere) {
  const int64_t n = dist::size();
  const Tensor xs = same_everywhere({4, n}, 3);
  auto f = [](const Tensor& x) { return exp(x) * 2.0; };
  EXPECT_TRUE(close(dist::dmap(f, dist::world(), {1}, 1)(xs), vmap(f, 1, 1)(xs),
                    1e-14, 1e-14));
}

// Centering over the mapped axis: all_reduce(mean) over the ranks under
// dmap, vmap_mean over the examples under vmap.
TEST(Dmap, GroupCollectivesMatchVmapCollectives) {
  const int64_t n = dist::size();
  const Tensor xs = same_everywhere({n, 6}, 4);
  auto over_ranks = [](const Tensor& x) {
    return x - dist::all_reduce(x, dist::world(), ReduceOp::Mean);
  };
  auto over_examples = [](const Tensor& x) { return x - vmap_mean(x); };
  EXPECT_TRUE(close(dist::dmap(over_ranks, dist::world(), {0})(xs),
                    vmap(over_examples)(xs), 1e-14, 1e-14));
}

// Gradients through dmap: the gathered outputs' loss, differentiated on
// every rank, equals the loss of the vmapped function.
TEST(Dmap, GradEqualsGradOfVmap) {
  const int64_t n = dist::size();
  const Tensor xs = same_everywhere({n, 4}, 5);
  auto f = [](const Tensor& x) { return sin(x) * x; };
  const Tensor got = grad([&](const Tensor& all) {
    return dist::dmap(f, dist::world(), {0})(all).sum();
  })(xs);
  const Tensor expected =
      grad([&](const Tensor& all) { return vmap(f)(all).sum(); })(xs);
  // Each rank differentiates its own slice; the all_gather's transpose
  // (a reduce-scatter) hands it the sum of every rank's cotangent for it.
  const Tensor mine = select(got, 0, dist::rank());
  EXPECT_TRUE(close(mine,
                    select(expected, 0, dist::rank()) * static_cast<double>(n),
                    1e-13, 1e-13));
}

TEST(Dmap, WrongMappedSizeIsAnError) {
  const Tensor xs = zeros({dist::size() + 1, 2}, DType::Float64);
  EXPECT_TRUE(testing::throws_with(
      [&] {
        dist::dmap([](const Tensor& x) { return x; }, dist::world(), {0})(xs);
      },
      "one slice per rank"));
}

}  // namespace
}  // namespace fnx
