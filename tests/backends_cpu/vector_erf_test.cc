// Float erf of vector_math.h (fnx's own with AVX-512, libmvec's erff with
// AVX2) over a sample of every float: within 2.03 ulp of erf, and within 1
// ulp from |x| = 0.125 on for fnx's own (libmvec's: 1.25); odd to the bit;
// NaN, infinities, signed zeros, subnormals and the saturation at 1 kept.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "backends/cpu/vector_math.h"
#include "gtest/gtest.h"

namespace fnx {
namespace {

std::vector<float> erf_of(const std::vector<float>& x) {
  std::vector<float> y(x.size());
  cpu::vector_math(cpu::VectorFn::kErf, x.data(), 1, y.data(), 1,
                   static_cast<int64_t>(x.size()));
  return y;
}

float from_bits(uint32_t b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}

// |got - erf(x)| in units of the float spacing at erf(x) rounded to float.
double ulp_error(float x, float got) {
  const double want = std::erf(static_cast<double>(x));
  const float w = static_cast<float>(want);
  double ulp = std::nextafter(std::fabs(w), std::numeric_limits<float>::max()) -
               std::fabs(w);
  if (ulp == 0) ulp = std::numeric_limits<float>::denorm_min();
  return std::fabs(static_cast<double>(got) - want) / ulp;
}

TEST(VectorErf, WithinTwoUlpOverEveryFloatSampled) {
  if (!cpu::has_vector_math()) GTEST_SKIP() << "no vector math on this CPU";
  // Every 4099th bit pattern (prime: every exponent, mantissas spread).
  std::vector<float> x;
  for (uint64_t b = 0; b < (uint64_t{1} << 32); b += 4099) {
    const float f = from_bits(static_cast<uint32_t>(b));
    if (!std::isnan(f)) x.push_back(f);
  }
  const std::vector<float> y = erf_of(x);
  double worst = 0, worst_from_eighth = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double e = ulp_error(x[i], y[i]);
    worst = std::max(worst, e);
    if (std::fabs(x[i]) >= 0.125f) {
      worst_from_eighth = std::max(worst_from_eighth, e);
    }
    ASSERT_LE(e, 2.03) << "x = " << x[i] << " got " << y[i];
    ASSERT_EQ(std::signbit(y[i]), std::signbit(x[i])) << "x = " << x[i];
  }
  if (cpu::vector_math_isa() == cpu::VectorIsa::kAvx512) {
    EXPECT_LE(worst_from_eighth, 1.0);
  } else {
    EXPECT_LE(worst_from_eighth, 1.3);
  }
  EXPECT_GT(worst, 0.0);  // the comparison ran
}

TEST(VectorErf, OddSpecialValuesAndSaturation) {
  if (!cpu::has_vector_math()) GTEST_SKIP() << "no vector math on this CPU";
  const float inf = std::numeric_limits<float>::infinity();
  const float tiny = std::numeric_limits<float>::denorm_min();
  const std::vector<float> x = {
      0.0f,    -0.0f,  inf,    -inf,
      3.95f,   4.0f,   1e30f,  -1e30f,
      0.1249f, 0.125f, 1e-30f, 3e-39f,
      tiny,    0.5f,   -2.25f, std::numeric_limits<float>::quiet_NaN()};
  const std::vector<float> y = erf_of(x);
  EXPECT_EQ(y[0], 0.0f);
  EXPECT_FALSE(std::signbit(y[0]));
  EXPECT_EQ(y[1], 0.0f);
  EXPECT_TRUE(std::signbit(y[1]));
  EXPECT_EQ(y[2], 1.0f);
  EXPECT_EQ(y[3], -1.0f);
  EXPECT_EQ(y[4], 1.0f);  // erf(3.95) rounds to 1
  EXPECT_EQ(y[5], 1.0f);
  EXPECT_EQ(y[6], 1.0f);
  EXPECT_EQ(y[7], -1.0f);
  for (int i = 8; i < 15; ++i) {
    EXPECT_LE(ulp_error(x[i], y[i]), 2.03) << x[i];
  }
  EXPECT_TRUE(std::isnan(y[15]));
  // Odd to the bit, in a block and in a tail.
  std::vector<float> pos, neg;
  for (int i = 0; i < 1000; ++i) {
    pos.push_back(0.0041f * static_cast<float>(i));
    neg.push_back(-pos.back());
  }
  const std::vector<float> yp = erf_of(pos), yn = erf_of(neg);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(yn[i], -yp[i]) << pos[i];
}

}  // namespace
}  // namespace fnx
