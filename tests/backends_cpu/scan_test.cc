// Cumprod, Logcumsumexp, CummaxIndex and CumminIndex kernels: what random
// samples do not show (NaN and infinities, ties, reverse scans, integer
// wrap-around, a middle dim, rows longer than one task).
#include <cmath>
#include <limits>

#include "tests/backends_cpu/test_util.h"

namespace fnx::cpu_test {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Tensor scan_k(Prim prim, const Tensor& x, int64_t dim, bool reverse,
              DType out) {
  return run(prim, ScanAttrs{dim, reverse}, {x}, x.shape(), out);
}

TEST(Cumprod, ForwardAndReverseAlongEachDim) {
  const Tensor x = make({1, 2, 3, 4, 0, 6}, {2, 3}, kF64);
  EXPECT_EQ(values(scan_k(Prim::Cumprod, x, 1, false, kF64)),
            (std::vector<double>{1, 2, 6, 4, 0, 0}));
  EXPECT_EQ(values(scan_k(Prim::Cumprod, x, 1, true, kF64)),
            (std::vector<double>{6, 6, 3, 0, 0, 6}));
  EXPECT_EQ(values(scan_k(Prim::Cumprod, x, 0, false, kF64)),
            (std::vector<double>{1, 2, 3, 4, 0, 18}));
}

TEST(Cumprod, IntegersWrapAsTwosComplement) {
  // 2^62 * 4 = 2^64 wraps to 0; int64 multiplication modulo 2^64.
  const Tensor x = make({4611686018427387904.0, 4, 3}, {3}, kI64);
  EXPECT_EQ(values(scan_k(Prim::Cumprod, x, 0, false, kI64)),
            (std::vector<double>{4611686018427387904.0, 0, 0}));
  EXPECT_EQ(values(scan_k(Prim::Cumprod, make({-3, 2, -1}, {3}, kI32), 0, false,
                          kI32)),
            (std::vector<double>{-3, -6, 6}));
}

TEST(Logcumsumexp, StableOverflowUnderflowAndInfinities) {
  const Tensor x = make({-1000, 0, 1000, 1000}, {4}, kF64);
  const std::vector<double> y =
      values(scan_k(Prim::Logcumsumexp, x, 0, false, kF64));
  EXPECT_DOUBLE_EQ(y[0], -1000);
  EXPECT_DOUBLE_EQ(y[1], 0);
  EXPECT_DOUBLE_EQ(y[2], 1000);
  EXPECT_DOUBLE_EQ(y[3], 1000 + std::log(2.0));
  const Tensor inf = make({-INFINITY, -INFINITY, 1, INFINITY, 2}, {5}, kF32);
  EXPECT_EQ(values(scan_k(Prim::Logcumsumexp, inf, 0, false, kF32)),
            (std::vector<double>{-INFINITY, -INFINITY, 1, INFINITY, INFINITY}));
  const std::vector<double> nan = values(scan_k(
      Prim::Logcumsumexp, make({1, kNaN, 2}, {3}, kF64), 0, false, kF64));
  EXPECT_DOUBLE_EQ(nan[0], 1);
  EXPECT_TRUE(std::isnan(nan[1]) && std::isnan(nan[2]));
  // Reverse: from the end.
  EXPECT_EQ(values(scan_k(Prim::Logcumsumexp, make({0, -INFINITY}, {2}, kF64),
                          0, true, kF64)),
            (std::vector<double>{0, -INFINITY}));
}

TEST(CummaxIndex, LastOfEqualValuesAndNaNSticks) {
  const Tensor x = make({1, 3, 3, 2, kNaN, 5, kNaN, 7}, {8}, kF64);
  EXPECT_EQ(values(scan_k(Prim::CummaxIndex, x, 0, false, kI64)),
            (std::vector<double>{0, 1, 2, 2, 4, 4, 6, 6}));
  EXPECT_EQ(values(scan_k(Prim::CumminIndex, x, 0, false, kI64)),
            (std::vector<double>{0, 0, 0, 0, 4, 4, 6, 6}));
  const Tensor ties = make({2, 1, 1, 2, 0}, {5}, kI32);
  EXPECT_EQ(values(scan_k(Prim::CumminIndex, ties, 0, false, kI64)),
            (std::vector<double>{0, 1, 2, 2, 4}));
  EXPECT_EQ(values(scan_k(Prim::CummaxIndex, ties, 0, false, kI64)),
            (std::vector<double>{0, 0, 0, 3, 3}));
}

TEST(CummaxIndex, MiddleDimReverseAndLongRows) {
  // (2, 3, 2) along dim 1.
  const Tensor x = make({1, 6, 5, 2, 5, 9, 0, 0, 4, 1, 3, 1}, {2, 3, 2}, kF64);
  EXPECT_EQ(values(scan_k(Prim::CummaxIndex, x, 1, false, kI64)),
            (std::vector<double>{0, 0, 1, 0, 2, 2, 0, 0, 1, 1, 1, 2}));
  // Reverse: positions stay the original ones; the later-scanned (smaller)
  // position wins a tie.
  EXPECT_EQ(values(scan_k(Prim::CummaxIndex, make({4, 4, 1}, {3}, kF64), 0,
                          true, kI64)),
            (std::vector<double>{0, 1, 2}));
  // A long last dim, many rows: every row is increasing, so position = k.
  const int64_t rows = 64, n = 2048;
  std::vector<double> v(rows * n);
  for (int64_t i = 0; i < rows * n; ++i) v[i] = static_cast<double>(i % n);
  const std::vector<double> at = values(
      scan_k(Prim::CummaxIndex, make(v, {rows, n}, kF32), 1, false, kI64));
  EXPECT_EQ(at, v);
}

}  // namespace
}  // namespace fnx::cpu_test
