// Uniform and Normal follow the Philox element-to-counter mapping of
// core/generator.h exactly, whatever the size (and so the thread count).
#include <cmath>

#include "core/generator.h"
#include "tests/backends_cpu/test_util.h"

namespace fnx::cpu_test {
namespace {

RandomAttrs attrs(const Shape& shape, DType dtype, double low, double high) {
  RandomAttrs a;
  a.shape = shape;
  a.dtype = dtype;
  a.seed = 1234;
  a.offset = 77;
  a.low = low;
  a.high = high;
  return a;
}

TEST(Random, UniformMatchesPhiloxMapping) {
  for (DType dt : {kF32, kF64}) {
    const Tensor u =
        run(Prim::Uniform, attrs({3, 5}, dt, -2, 3), {}, {3, 5}, dt);
    const auto v = values(u);
    for (int64_t i = 0; i < 15; ++i) {
      const double want = -2 + 5 * philox_uniform_at(1234, 77, i, dt == kF64);
      EXPECT_NEAR(v[i], want, dt == kF32 ? 1e-6 : 0) << i;
      EXPECT_GE(v[i], -2);
      EXPECT_LT(v[i], 3);
    }
  }
}

TEST(Random, NormalMatchesPhiloxMapping) {
  const Tensor z = run(Prim::Normal, attrs({7}, kF64, 1.5, 2), {}, {7}, kF64);
  const auto v = values(z);
  for (int64_t i = 0; i < 7; ++i) {
    EXPECT_DOUBLE_EQ(v[i], 1.5 + 2 * philox_normal_at(1234, 77, i)) << i;
  }
}

TEST(Random, LargeCallsAreDeterministicAndWellDistributed) {
  const int64_t n = 1 << 18;
  const auto big =
      values(run(Prim::Normal, attrs({n}, kF32, 0, 1), {}, {n}, kF32));
  const auto small =
      values(run(Prim::Normal, attrs({10}, kF32, 0, 1), {}, {10}, kF32));
  for (int i = 0; i < 10; ++i) EXPECT_EQ(big[i], small[i]);
  double mean = 0, sq = 0;
  for (double x : big) {
    mean += x;
    sq += x * x;
  }
  mean /= n;
  EXPECT_NEAR(mean, 0, 0.01);
  EXPECT_NEAR(std::sqrt(sq / n - mean * mean), 1, 0.01);
  const auto u =
      values(run(Prim::Uniform, attrs({n}, kF64, 0, 1), {}, {n}, kF64));
  double um = 0;
  for (double x : u) um += x;
  EXPECT_NEAR(um / n, 0.5, 0.005);
  EXPECT_EQ(
      run(Prim::Uniform, attrs({0, 4}, kF32, 0, 1), {}, {0, 4}, kF32).numel(),
      0);
}

TEST(Random, IntegerDtypesTakeTheFloor) {
  const auto v =
      values(run(Prim::Uniform, attrs({1000}, kI64, -3, 3), {}, {1000}, kI64));
  for (int64_t i = 0; i < 1000; ++i) {
    EXPECT_EQ(v[i], std::floor(-3 + 6 * philox_uniform_at(1234, 77, i, false)));
  }
}

}  // namespace
}  // namespace fnx::cpu_test
