// Cumsum and Argsort kernels: the conventions the op database cannot show
// with random samples (NaN order, stability, reverse scans, integer sums,
// a dim that is not the last, rows longer than one task).
#include <cmath>
#include <limits>

#include "tests/backends_cpu/test_util.h"

namespace fnx::cpu_test {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Tensor cumsum_k(const Tensor& x, int64_t dim, bool reverse) {
  return run(Prim::Cumsum, ScanAttrs{dim, reverse}, {x}, x.shape(), x.dtype());
}
Tensor argsort_k(const Tensor& x, int64_t dim, bool descending) {
  return run(Prim::Argsort, SortAttrs{dim, descending}, {x}, x.shape(), kI64);
}

TEST(Cumsum, ForwardAndReverseAlongEachDim) {
  const Tensor x = make({1, 2, 3, 4, 5, 6}, {2, 3}, kF64);
  EXPECT_EQ(values(cumsum_k(x, 1, false)),
            (std::vector<double>{1, 3, 6, 4, 9, 15}));
  EXPECT_EQ(values(cumsum_k(x, 1, true)),
            (std::vector<double>{6, 5, 3, 15, 11, 6}));
  EXPECT_EQ(values(cumsum_k(x, 0, false)),
            (std::vector<double>{1, 2, 3, 5, 7, 9}));
  EXPECT_EQ(values(cumsum_k(x, 0, true)),
            (std::vector<double>{5, 7, 9, 4, 5, 6}));
}

TEST(Cumsum, IntegersAndFloat32AccumulateExactly) {
  EXPECT_EQ(values(cumsum_k(make({-3, 2, 7}, {3}, kI64), 0, false)),
            (std::vector<double>{-3, -1, 6}));
  // A float32 running sum that would drift if accumulated in float32.
  const Tensor ones = make(std::vector<double>(1 << 18, 0.1), {1 << 18}, kF32);
  const std::vector<double> s = values(cumsum_k(ones, 0, false));
  EXPECT_NEAR(s.back(), 0.1f * (1 << 18), 1e-3);
}

TEST(Argsort, StableWithNaNAboveEverything) {
  const Tensor x = make({2, kNaN, 1, 2, -INFINITY, kNaN, 1}, {7}, kF64);
  EXPECT_EQ(values(argsort_k(x, 0, false)),
            (std::vector<double>{4, 2, 6, 0, 3, 1, 5}));
  EXPECT_EQ(values(argsort_k(x, 0, true)),
            (std::vector<double>{1, 5, 0, 3, 2, 6, 4}));
}

TEST(Argsort, AlongAMiddleDimAndIntegers) {
  // (2, 3, 2): sort along dim 1.
  const Tensor x = make({5, 0, 3, 1, 4, 1, 9, 9, 8, 7, 7, 8}, {2, 3, 2}, kI32);
  EXPECT_EQ(values(argsort_k(x, 1, false)),
            (std::vector<double>{1, 0, 2, 1, 0, 2, 2, 1, 1, 2, 0, 0}));
}

TEST(Argsort, ManyRowsRunInParallel) {
  const Tensor x = random_t({300, 257}, kF32, 7);
  const std::vector<double> v = values(x);
  const std::vector<double> order = values(argsort_k(x, 1, false));
  for (int64_t r = 0; r < 300; ++r) {
    for (int64_t k = 1; k < 257; ++k) {
      const double a =
          v[r * 257 + static_cast<int64_t>(order[r * 257 + k - 1])];
      const double b = v[r * 257 + static_cast<int64_t>(order[r * 257 + k])];
      ASSERT_LE(a, b) << "row " << r;
    }
  }
}

}  // namespace
}  // namespace fnx::cpu_test
