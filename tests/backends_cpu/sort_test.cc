// Cumsum and Argsort kernels: the conventions the op database cannot show
// with random samples (NaN order, stability, reverse scans, integer sums,
// a dim that is not the last, rows longer than one task).
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

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

Tensor argsort_first(const Tensor& x, int64_t dim, bool descending, int64_t k) {
  Shape shape = x.shape();
  shape[dim] = k;
  return run(Prim::Argsort, SortAttrs{dim, descending, k}, {x}, shape, kI64);
}

// The stable order by std::stable_sort with torch's comparison (NaN above
// everything, -0 equal to +0).
std::vector<double> reference_order(const std::vector<double>& v,
                                    bool descending) {
  auto less = [](double a, double b) {
    if (std::isnan(a)) return false;
    if (std::isnan(b)) return true;
    return a < b;
  };
  std::vector<double> order(v.size());
  std::iota(order.begin(), order.end(), 0.0);
  std::stable_sort(order.begin(), order.end(), [&](double i, double j) {
    const double a = v[static_cast<std::size_t>(i)];
    const double b = v[static_cast<std::size_t>(j)];
    return descending ? less(b, a) : less(a, b);
  });
  return order;
}

TEST(Argsort, EveryPathEqualsAStableSort) {
  // Few distinct values (ties everywhere), NaN, signed zeros, infinities
  // and extremes; lengths for insertion sort, selection and radix sort;
  // every k regime; each dtype's key.
  std::mt19937 rng(3);
  const std::vector<double> pool{0.0,       -0.0, 1.5,   -1.5, kNaN, INFINITY,
                                 -INFINITY, 3e38, -3e38, 7,    -7,   1e-40};
  for (DType dt : {kF32, kF64, kI32, kI64, DType::Bool}) {
    for (int64_t n : {1, 5, 31, 33, 200, 5000}) {
      std::vector<double> v(static_cast<std::size_t>(n));
      for (double& e : v) {
        double p = pool[rng() % pool.size()];
        if (dt == kI32 || dt == kI64) {
          p = std::isfinite(p) && std::abs(p) < 1e9
                  ? std::trunc(p)
                  : (dt == kI32 ? (p > 0 ? 2147483647.0 : -2147483648.0)
                                : (p > 0 ? 9.0e18 : -9.0e18));
        }
        if (dt == DType::Bool) p = (rng() % 2) ? 1 : 0;
        e = p;
      }
      const Tensor x = make(v, {n}, dt);
      const std::vector<double> exact = values(x);  // after the dtype's cast
      for (bool descending : {false, true}) {
        const std::vector<double> want = reference_order(exact, descending);
        EXPECT_EQ(values(argsort_k(x, 0, descending)), want)
            << dtype_name(dt) << " n " << n << " descending " << descending;
        for (int64_t k : {int64_t{0}, int64_t{1}, n / 5, n / 2, n}) {
          const std::vector<double> first(want.begin(), want.begin() + k);
          EXPECT_EQ(values(argsort_first(x, 0, descending, k)), first)
              << dtype_name(dt) << " n " << n << " k " << k;
        }
      }
    }
  }
}

TEST(Argsort, FirstKAlongAMiddleDim) {
  // (2, 4, 3) along dim 1, k = 2: the two smallest of each (outer, inner)
  // fiber, written at the fiber's place in the (2, 2, 3) result.
  const Tensor x = random_t({2, 4, 3}, kF64, 11);
  const std::vector<double> full = values(argsort_k(x, 1, false));
  const std::vector<double> first = values(argsort_first(x, 1, false, 2));
  for (int64_t o = 0; o < 2; ++o) {
    for (int64_t j = 0; j < 2; ++j) {
      for (int64_t i = 0; i < 3; ++i) {
        EXPECT_EQ(first[(o * 2 + j) * 3 + i], full[(o * 4 + j) * 3 + i]);
      }
    }
  }
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
