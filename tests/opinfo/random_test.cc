// The random ops (rand, randn, uniform, normal, randint, bernoulli and
// dropout's random case): determinism for a fixed seed, shape and dtype,
// ranges, and mean/variance within loose statistical bounds over 10k
// samples (every bound is at least 5 standard errors wide).
#include <algorithm>
#include <cmath>
#include <set>
#include <vector>

#include "core/ops/ops.h"
#include "gtest/gtest.h"

namespace fnx {
namespace {

constexpr int64_t kN = 10000;

double mean_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

double var_of(const std::vector<double>& v) {
  const double m = mean_of(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return s / static_cast<double>(v.size() - 1);
}

class RandomTest : public ::testing::TestWithParam<DType> {};

TEST_P(RandomTest, SameSeedSameStream) {
  const DType dtype = GetParam();
  Generator a(42), b(42);
  EXPECT_EQ(rand({3, 5}, dtype, &a).to_vector(),
            rand({3, 5}, dtype, &b).to_vector());
  EXPECT_EQ(randn({7}, dtype, &a).to_vector(),
            randn({7}, dtype, &b).to_vector());
  EXPECT_EQ(bernoulli({64}, 0.5, dtype, &a).to_vector(),
            bernoulli({64}, 0.5, dtype, &b).to_vector());
  // The default generator, reseeded.
  manual_seed(7);
  const std::vector<double> first = rand({16}, dtype).to_vector();
  manual_seed(7);
  EXPECT_EQ(rand({16}, dtype).to_vector(), first);
}

TEST_P(RandomTest, StreamsDiffer) {
  const DType dtype = GetParam();
  Generator a(1), b(2);
  const std::vector<double> x = rand({256}, dtype, &a).to_vector();
  const std::vector<double> y = rand({256}, dtype, &b).to_vector();
  const std::vector<double> z = rand({256}, dtype, &a).to_vector();
  int same_xy = 0, same_xz = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    same_xy += x[i] == y[i];
    same_xz += x[i] == z[i];
  }
  EXPECT_LT(same_xy, 3) << "two seeds gave the same stream";
  EXPECT_LT(same_xz, 3) << "consecutive calls repeated the stream";
  EXPECT_EQ(std::set<double>(x.begin(), x.end()).size(), x.size());
}

TEST_P(RandomTest, ShapeAndDtype) {
  const DType dtype = GetParam();
  Generator g(3);
  for (const Tensor& t :
       {rand({2, 3}, dtype, &g), randn({4}, dtype, &g),
        uniform({1, 2, 3}, -1, 1, dtype, &g), normal({}, 0, 1, dtype, &g),
        bernoulli({0, 5}, 0.5, dtype, &g)}) {
    EXPECT_EQ(t.dtype(), dtype);
    EXPECT_TRUE(t.is_contiguous());
  }
  EXPECT_EQ(rand({2, 3}, dtype, &g).shape(), Shape({2, 3}));
  EXPECT_EQ(normal({}, 0, 1, dtype, &g).shape(), Shape({}));
  EXPECT_EQ(bernoulli({0, 5}, 0.5, dtype, &g).numel(), 0);
}

TEST_P(RandomTest, UniformRangeAndMoments) {
  const DType dtype = GetParam();
  Generator g(11);
  const std::vector<double> u = rand({kN}, dtype, &g).to_vector();
  for (double v : u) {
    ASSERT_GE(v, 0.0);
    ASSERT_LT(v, 1.0);
  }
  EXPECT_NEAR(mean_of(u), 0.5, 0.02);       // se 0.0029
  EXPECT_NEAR(var_of(u), 1.0 / 12, 0.005);  // se 0.00075
  const std::vector<double> w = uniform({kN}, -2, 3, dtype, &g).to_vector();
  for (double v : w) {
    ASSERT_GE(v, -2.0);
    ASSERT_LT(v, 3.0);
  }
  EXPECT_NEAR(mean_of(w), 0.5, 0.1);        // se 0.0144
  EXPECT_NEAR(var_of(w), 25.0 / 12, 0.12);  // se 0.019
}

TEST_P(RandomTest, NormalMoments) {
  const DType dtype = GetParam();
  Generator g(12);
  const std::vector<double> z = randn({kN}, dtype, &g).to_vector();
  for (double v : z) ASSERT_TRUE(std::isfinite(v));
  EXPECT_NEAR(mean_of(z), 0.0, 0.05);  // se 0.01
  EXPECT_NEAR(var_of(z), 1.0, 0.08);   // se 0.014
  // Normal tails: about 4.6% beyond 2 sigma.
  const double beyond = std::count_if(z.begin(), z.end(),
                                      [](double v) { return std::abs(v) > 2; });
  EXPECT_NEAR(beyond / kN, 0.0455, 0.012);  // se 0.0021
  const std::vector<double> n = normal({kN}, 2, 3, dtype, &g).to_vector();
  EXPECT_NEAR(mean_of(n), 2.0, 0.15);            // se 0.03
  EXPECT_NEAR(std::sqrt(var_of(n)), 3.0, 0.15);  // se 0.021
}

TEST_P(RandomTest, Bernoulli) {
  const DType dtype = GetParam();
  Generator g(13);
  const std::vector<double> b = bernoulli({kN}, 0.3, dtype, &g).to_vector();
  for (double v : b) ASSERT_TRUE(v == 0.0 || v == 1.0);
  EXPECT_NEAR(mean_of(b), 0.3, 0.03);  // se 0.0046
  // Per-element probabilities from a tensor.
  const Tensor p = cast(arange(kN) < static_cast<double>(kN / 2), dtype) * 0.8;
  const std::vector<double> c = bernoulli(p, &g).to_vector();
  const std::vector<double> lo(c.begin(), c.begin() + kN / 2);
  const std::vector<double> hi(c.begin() + kN / 2, c.end());
  EXPECT_NEAR(mean_of(lo), 0.8, 0.04);  // se 0.0057
  EXPECT_EQ(mean_of(hi), 0.0);
}

TEST_P(RandomTest, DropoutTraining) {
  const DType dtype = GetParam();
  Generator g(14);
  const Tensor x = full({kN}, 2.0, dtype);
  const std::vector<double> y = dropout(x, 0.25, true, &g).to_vector();
  int64_t kept = 0;
  for (double v : y) {
    ASSERT_TRUE(v == 0.0 || std::abs(v - 2.0 / 0.75) < 1e-6) << v;
    kept += v != 0;
  }
  EXPECT_NEAR(static_cast<double>(kept) / kN, 0.75, 0.03);  // se 0.0043
  EXPECT_NEAR(mean_of(y), 2.0, 0.1);                        // se 0.015
  Generator a(5), b(5);
  EXPECT_EQ(dropout(x, 0.5, true, &a).to_vector(),
            dropout(x, 0.5, true, &b).to_vector());
}

INSTANTIATE_TEST_SUITE_P(Floating, RandomTest,
                         ::testing::Values(DType::Float32, DType::Float64),
                         [](const ::testing::TestParamInfo<DType>& p) {
                           return std::string(dtype_name(p.param));
                         });

TEST(RandintTest, RangeUniformityAndDtype) {
  for (DType dtype : {DType::Int32, DType::Int64}) {
    Generator g(21);
    const Tensor t = randint(-3, 7, {kN}, dtype, &g);
    EXPECT_EQ(t.dtype(), dtype);
    const std::vector<double> v = t.to_vector();
    std::vector<int64_t> counts(10, 0);
    for (double x : v) {
      ASSERT_EQ(x, std::floor(x));
      ASSERT_GE(x, -3);
      ASSERT_LT(x, 7);
      ++counts[static_cast<int64_t>(x) + 3];
    }
    for (int64_t c : counts) EXPECT_NEAR(c, kN / 10, 150);  // se 30
    EXPECT_NEAR(mean_of(v), 1.5, 0.15);                     // se 0.029
    Generator a(8), b(8);
    EXPECT_EQ(randint(0, 100, {32}, dtype, &a).to_vector(),
              randint(0, 100, {32}, dtype, &b).to_vector());
  }
}

}  // namespace
}  // namespace fnx
