// Random ops under vmap follow VmapOptions::randomness: error (the
// default) refuses them, different draws per example, same draws once.
// Chunked vmap draws exactly the numbers of an unchunked one.
#include <set>
#include <vector>

#include "core/generator.h"
#include "core/ops/ops.h"
#include "gtest/gtest.h"
#include "tests/vmap/test_util.h"
#include "transforms/vmap/vmap.h"

namespace fnx {
namespace {

using testing::same_values;
using testing::throws_error;

constexpr int64_t kBatch = 6;

// Adds noise drawn inside the mapped function from `gen`.
auto noisy(Generator* gen) {
  return [gen](const Tensor& x) { return x + randn({5}, DType::Float64, gen); };
}

std::set<std::vector<double>> distinct_rows(const Tensor& t) {
  std::set<std::vector<double>> rows;
  for (int64_t b = 0; b < t.size(0); ++b) rows.insert(t[b].to_vector());
  return rows;
}

TEST(VmapRandomness, ErrorIsTheDefault) {
  const Tensor x = zeros({kBatch, 5}, DType::Float64);
  EXPECT_TRUE(throws_error(
      [&] { vmap(noisy(nullptr))(x); },
      {"[vmap]", "normal", "Randomness::different", "Randomness::same"}));
  EXPECT_TRUE(throws_error(
      [&] { vmap([](const Tensor& v) { return dropout(v, 0.5); })(x); },
      {"[vmap]", "uniform", "randomness"}));
}

TEST(VmapRandomness, DifferentDrawsPerExample) {
  const Tensor x = zeros({kBatch, 5}, DType::Float64);
  Generator gen(42);
  const Tensor y =
      vmap(noisy(&gen), 0, 0, {.randomness = Randomness::different})(x);
  EXPECT_EQ(distinct_rows(y).size(), static_cast<std::size_t>(kBatch));
  // Deterministic given the generator's state.
  Generator again(42);
  EXPECT_TRUE(same_values(
      vmap(noisy(&again), 0, 0, {.randomness = Randomness::different})(x), y,
      0));
}

TEST(VmapRandomness, DifferentHasTheRightDistribution) {
  const Tensor x = zeros({2000, 5}, DType::Float64);
  Generator gen(7);
  const Tensor y =
      vmap(noisy(&gen), 0, 0, {.randomness = Randomness::different})(x);
  EXPECT_NEAR(y.mean().item<double>(), 0.0, 0.05);
  EXPECT_NEAR(std(y).item<double>(), 1.0, 0.05);
  const Tensor u =
      vmap([](const Tensor& v) { return v + rand({3}); }, 0, 0,
           {.randomness = Randomness::different})(zeros({4000, 3}));
  EXPECT_NEAR(u.mean().item<double>(), 0.5, 0.02);
  EXPECT_GE(u.min().item<double>(), 0.0);
  EXPECT_LT(u.max().item<double>(), 1.0);
}

TEST(VmapRandomness, SameDrawsOnceForEveryExample) {
  const Tensor x = zeros({kBatch, 5}, DType::Float64);
  Generator gen(42);
  const Tensor y = vmap(noisy(&gen), 0, 0, {.randomness = Randomness::same})(x);
  EXPECT_EQ(distinct_rows(y).size(), 1u);
  // The same numbers as the op outside vmap with the same generator state.
  Generator outside(42);
  EXPECT_TRUE(same_values(y[0], randn({5}, DType::Float64, &outside), 0));
}

TEST(VmapRandomness, CompositesFollowTheMode) {
  const Tensor x = ones({kBatch, 64});
  const Tensor masks = vmap([](const Tensor& v) { return dropout(v, 0.5); }, 0,
                            0, {.randomness = Randomness::different})(x);
  EXPECT_EQ(distinct_rows(masks).size(), static_cast<std::size_t>(kBatch));
  const Tensor shared = vmap([](const Tensor& v) { return dropout(v, 0.5); }, 0,
                             0, {.randomness = Randomness::same})(x);
  EXPECT_EQ(distinct_rows(shared).size(), 1u);
  // bernoulli of a batched probability: per-example p, fresh draws.
  const Tensor p = stack({zeros({64}), ones({64})});
  const Tensor b = vmap([](const Tensor& q) { return bernoulli(q); }, 0, 0,
                        {.randomness = Randomness::same})(p);
  EXPECT_TRUE(same_values(b, p));
}

TEST(VmapRandomness, NestedLevelsEachFollowTheirMode) {
  const Tensor x = zeros({2, 3, 4}, DType::Float64);
  auto draw = [](const Tensor& v) { return v + randn({4}, DType::Float64); };
  const Tensor all =
      vmap(vmap(draw, 0, 0, {.randomness = Randomness::different}), 0, 0,
           {.randomness = Randomness::different})(x);
  EXPECT_EQ(distinct_rows(all.reshape({6, 4})).size(), 6u);
  const Tensor per_outer =
      vmap(vmap(draw, 0, 0, {.randomness = Randomness::same}), 0, 0,
           {.randomness = Randomness::different})(x);
  EXPECT_EQ(distinct_rows(per_outer.reshape({6, 4})).size(), 2u);
  EXPECT_EQ(distinct_rows(per_outer[0]).size(), 1u);
  const Tensor per_inner =
      vmap(vmap(draw, 0, 0, {.randomness = Randomness::different}), 0, 0,
           {.randomness = Randomness::same})(x);
  EXPECT_EQ(distinct_rows(per_inner.reshape({6, 4})).size(), 3u);
  EXPECT_TRUE(same_values(per_inner[0], per_inner[1], 0));
  EXPECT_TRUE(throws_error(
      [&] { vmap(vmap(draw, 0, 0, {.randomness = Randomness::same}))(x); },
      {"[vmap]", "normal"}));
}

TEST(VmapRandomness, ChunkedDrawsTheNumbersOfUnchunked) {
  const Tensor x = zeros({kBatch + 1, 5}, DType::Float32);
  auto f = [](const Tensor& v) {
    // float32 uniforms (4 per Philox block) and normals (2 per block), and
    // an odd count per example, so chunks start mid-block.
    return std::make_pair(v + rand({5}), randn({3}));
  };
  for (Randomness mode : {Randomness::different, Randomness::same}) {
    manual_seed(5);
    const auto whole = vmap(f, 0, 0, {.randomness = mode})(x);
    for (int64_t chunk : {1, 2, 3, 5}) {
      manual_seed(5);
      const auto chunked =
          vmap(f, 0, 0, {.randomness = mode, .chunk_size = chunk})(x);
      EXPECT_TRUE(same_values(chunked.first, whole.first, 0)) << chunk;
      EXPECT_TRUE(same_values(chunked.second, whole.second, 0)) << chunk;
    }
  }
}

TEST(VmapRandomness, CreationOpsAreUnbatchedInEveryMode) {
  const Tensor x = rand({3, 2});
  for (Randomness mode :
       {Randomness::error, Randomness::different, Randomness::same}) {
    const Tensor y =
        vmap([](const Tensor& v) { return v + arange(2.0, 4.0) + ones({2}); },
             0, 0, {.randomness = mode})(x);
    EXPECT_TRUE(same_values(y, x + arange(2.0, 4.0) + ones({2}), 0));
  }
}

}  // namespace
}  // namespace fnx
