// JAX-style random keys (core/random_key.h): deterministic, independent
// after split, distinct per fold_in datum, the same on every thread, and
// usable under vmap.
#include <set>
#include <thread>
#include <vector>

#include "fnx.h"
#include "gtest/gtest.h"

namespace fnx {
namespace {

std::vector<double> draw(RandomKey key) {
  Generator g = key.generator();
  return randn({4}, DType::Float64, &g).to_vector();
}

TEST(RandomKey, SameKeySameNumbers) {
  EXPECT_EQ(draw(random_key(3)), draw(random_key(3)));
  EXPECT_NE(draw(random_key(3)), draw(random_key(4)));
}

TEST(RandomKey, SplitAndFoldInGiveDistinctStreams) {
  const RandomKey key = random_key(0);
  auto [a, b] = split(key);
  EXPECT_NE(draw(a), draw(b));
  EXPECT_NE(draw(a), draw(key));
  const std::vector<RandomKey> many = split(key, 8);
  std::set<uint64_t> values;
  for (const RandomKey& k : many) values.insert(k.value);
  EXPECT_EQ(values.size(), 8u);
  EXPECT_EQ(split(key, 8)[3], many[3]);  // deterministic
  EXPECT_NE(fold_in(key, 1), fold_in(key, 2));
  EXPECT_EQ(fold_in(key, 7), fold_in(key, 7));
  EXPECT_NE(fold_in(key, 0), split(key, 1)[0]);
  EXPECT_TRUE(split(key, 0).empty());
  EXPECT_THROW(split(key, -1), Error);
}

TEST(RandomKey, ThreadsDrawTheSameNumbersInAnyOrder) {
  const RandomKey key = random_key(11);
  std::vector<std::vector<double>> got(4);
  std::vector<std::thread> threads;
  for (int t = 3; t >= 0; --t) {
    threads.emplace_back([&, t] { got[t] = draw(fold_in(key, t)); });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(got[t], draw(fold_in(key, t)));
}

TEST(RandomKey, UnderVmapEachExampleDrawsReproducibly) {
  const RandomKey key = random_key(5);
  auto noisy = [&](const Tensor& x) {
    Generator g = key.generator();
    return x + randn({2}, DType::Float64, &g);
  };
  const Tensor xs = zeros({3, 2}, DType::Float64);
  const VmapOptions different{.randomness = Randomness::different};
  const Tensor a = vmap(noisy, different)(xs);
  const Tensor b = vmap(noisy, different)(xs);
  EXPECT_EQ(a.to_vector(), b.to_vector());
  EXPECT_NE(a.select(0, 0).to_vector(), a.select(0, 1).to_vector());
}

}  // namespace
}  // namespace fnx
