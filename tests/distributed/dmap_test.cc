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
#include "transforms/jvp/jvp.h"
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

// Gradients through dmap are those of vmap, on every rank, for the mapped
// argument (its cotangent all-gathered) and for a replicated parameter
// (its cotangent summed over the ranks once, where it enters).
TEST(Dmap, GradEqualsGradOfVmap) {
  const int64_t n = dist::size();
  const Tensor xs = same_everywhere({n, 4}, 5);
  const Tensor w = same_everywhere({4}, 6);
  auto f = [](const Tensor& x, const Tensor& weight) {
    return sin(x * weight) * x;
  };
  auto through_dmap = [&](const Tensor& all, const Tensor& weight) {
    return (dist::dmap(f, dist::world(), {0, std::nullopt})(all, weight) *
            cos(all))
        .sum();
  };
  auto through_vmap = [&](const Tensor& all, const Tensor& weight) {
    return (vmap(f, {0, none})(all, weight) * cos(all)).sum();
  };
  const auto [gx, gw] = grad<0, 1>(through_dmap)(xs, w);
  const auto [ex, ew] = grad<0, 1>(through_vmap)(xs, w);
  EXPECT_TRUE(close(gx, ex, 1e-13, 1e-13));
  EXPECT_TRUE(close(gw, ew, 1e-13, 1e-13));
}

// A replicated parameter used both in the varying part and in a
// replicated part (a regulariser), a collective inside, and a replicated
// result: still vmap's gradient, with vmap_mean for the group's mean.
TEST(Dmap, GradOfReplicatedResultAndMixedUses) {
  const int64_t n = dist::size();
  const Tensor xs = same_everywhere({n, 3}, 7);
  const Tensor w = same_everywhere({3}, 8);
  auto loss_d = [&](const Tensor& weight) {
    auto f = [](const Tensor& x, const Tensor& wt) {
      const Tensor per_rank = (tanh(x * wt)).sum();
      return dist::all_reduce(per_rank, dist::world(), ReduceOp::Mean) +
             (wt * wt).sum();
    };
    return dist::dmap(f, dist::world(), {0, std::nullopt},
                      std::nullopt)(xs, weight);
  };
  auto loss_v = [&](const Tensor& weight) {
    auto f = [](const Tensor& x, const Tensor& wt) {
      return (tanh(x * wt)).sum();
    };
    return vmap(f, {0, none})(xs, weight).mean() + (weight * weight).sum();
  };
  EXPECT_TRUE(close(loss_d(w), loss_v(w), 1e-13, 1e-13));
  EXPECT_TRUE(close(grad(loss_d)(w), grad(loss_v)(w), 1e-13, 1e-13));
}

// Forward mode through dmap's boundary: the tangents of vmap(f).
TEST(Dmap, JvpEqualsJvpOfVmap) {
  const int64_t n = dist::size();
  const Tensor xs = same_everywhere({n, 3}, 12);
  const Tensor w = same_everywhere({3}, 13);
  const Tensor tx = same_everywhere({n, 3}, 14);
  const Tensor tw = same_everywhere({3}, 15);
  auto f = [](const Tensor& x, const Tensor& wt) { return sin(x * wt) * wt; };
  const auto [y_d, t_d] = jvp(
      [&](const Tensor& a, const Tensor& b) {
        return dist::dmap(f, dist::world(), {0, std::nullopt})(a, b);
      },
      std::tuple{xs, w}, std::tuple{tx, tw});
  const auto [y_v, t_v] =
      jvp([&](const Tensor& a, const Tensor& b) { return vmap(f, {0, none})(a, b); },
          std::tuple{xs, w}, std::tuple{tx, tw});
  EXPECT_TRUE(close(y_d, y_v, 1e-14, 1e-14));
  EXPECT_TRUE(close(t_d, t_v, 1e-13, 1e-13));
}

TEST(Dmap, TracksWhatVaries) {
  const int64_t n = dist::size();
  const Tensor xs = same_everywhere({n, 2}, 9);
  const Tensor w = same_everywhere({2}, 10);
  std::vector<bool> seen;
  auto f = [&](const Tensor& x, const Tensor& wt) {
    seen = {dist::varies(x), dist::varies(wt), dist::varies(x * wt),
            dist::varies(wt * 2.0), dist::varies(dist::all_reduce(x)),
            dist::varies(dist::all_gather(x)),
            dist::varies(dist::reduce_scatter(
                dist::all_gather(unsqueeze(x, 0)) * 1.0)),
            dist::varies(dist::shift(wt, dist::world())),
            dist::varies(ones({2}))};
    return x;
  };
  dist::dmap(f, dist::world(), {0, std::nullopt})(xs, w);
  EXPECT_EQ(seen, (std::vector<bool>{true, false, true, false, false, false,
                                     true, true, false}));
  EXPECT_FALSE(dist::varies(xs));  // outside dmap
}

TEST(Dmap, ReplicatedResultThatVariesIsAnError) {
  const Tensor xs = same_everywhere({dist::size(), 3}, 11);
  EXPECT_TRUE(testing::throws_with(
      [&] {
        dist::dmap([](const Tensor& x) { return x * 2.0; }, dist::world(), {0},
                   std::nullopt)(xs);
      },
      {"[dmap]", "result leaf 0", "declared replicated", "varies",
       "give it an out_dim"}));
  // Reduced over the group, it is replicated: the mean over ranks, as
  // vmap_mean over the examples.
  const Tensor mean = dist::dmap(
      [](const Tensor& x) {
        return dist::all_reduce(x, dist::world(), ReduceOp::Mean);
      },
      dist::world(), {0}, std::nullopt)(xs);
  EXPECT_TRUE(close(mean, xs.mean({0}), 1e-14, 1e-14));
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
