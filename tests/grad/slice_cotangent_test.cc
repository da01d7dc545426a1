// The cotangents of unit-step slices of one tensor (unbind, chunk, the
// steps of an unrolled RNN) are joined by one cat instead of being padded
// to the full shape and added one by one (quadratic in the number of
// slices). These tests check the values in every arrangement (disjoint
// with gaps, overlapping, mixed with a dense use, under vmap and at second
// order).
#include <cstdint>
#include <vector>

#include "core/ops/ops.h"
#include "gtest/gtest.h"
#include "tests/testing/transform_test_util.h"
#include "transforms/grad/grad.h"
#include "transforms/vmap/vmap.h"

namespace fnx {
namespace {

using testing::close;

// sum_t (t + 1) * sum(x[t]) over the rows listed, plus `dense` * sum(x).
Tensor weighted_rows(const Tensor& x, const std::vector<int64_t>& rows,
                     double dense) {
  Tensor total = x.sum() * dense;
  for (int64_t t : rows) {
    total = total + select(x, 0, t).sum() * static_cast<double>(t + 1);
  }
  return total;
}

Tensor expected(const std::vector<int64_t>& rows, double dense, int64_t n,
                int64_t m) {
  std::vector<double> g(static_cast<std::size_t>(n * m), dense);
  for (int64_t t : rows) {
    for (int64_t j = 0; j < m; ++j) g[t * m + j] += static_cast<double>(t + 1);
  }
  return from_vector(g, {n, m});
}

TEST(SliceCotangent, DisjointSlicesWithGaps) {
  const Tensor x = randn({9, 3}, DType::Float64);
  const std::vector<int64_t> rows{7, 1, 2, 5};
  auto f = [&](const Tensor& t) { return weighted_rows(t, rows, 0.0); };
  EXPECT_TRUE(close(grad(f)(x), expected(rows, 0.0, 9, 3)));
}

TEST(SliceCotangent, EveryRowAndADenseUse) {
  const Tensor x = randn({6, 4}, DType::Float64);
  const std::vector<int64_t> rows{0, 1, 2, 3, 4, 5};
  auto f = [&](const Tensor& t) { return weighted_rows(t, rows, 0.5); };
  EXPECT_TRUE(close(grad(f)(x), expected(rows, 0.5, 6, 4)));
}

TEST(SliceCotangent, RepeatedAndOverlappingSlices) {
  const Tensor x = randn({6, 2}, DType::Float64);
  const std::vector<int64_t> rows{3, 3, 1};
  auto f = [&](const Tensor& t) {
    // rows 1..4 and 2..3 overlap the single rows.
    return weighted_rows(t, rows, 0.0) + narrow(t, 0, 1, 4).sum() +
           narrow(t, 0, 2, 2).sum() * 2.0;
  };
  Tensor want = expected(rows, 0.0, 6, 2);
  std::vector<double> extra(12, 0.0);
  for (int64_t r = 1; r < 5; ++r) extra[r * 2] = extra[r * 2 + 1] = 1;
  for (int64_t r = 2; r < 4; ++r) extra[r * 2] += 2, extra[r * 2 + 1] += 2;
  EXPECT_TRUE(close(grad(f)(x), want + from_vector(extra, {6, 2})));
}

TEST(SliceCotangent, SlicesAlongDifferentDims) {
  const Tensor x = randn({4, 5}, DType::Float64);
  auto f = [](const Tensor& t) {
    return select(t, 0, 1).sum() + select(t, 1, 3).sum() * 3.0;
  };
  std::vector<double> g(20, 0.0);
  for (int64_t j = 0; j < 5; ++j) g[5 + j] += 1;
  for (int64_t i = 0; i < 4; ++i) g[i * 5 + 3] += 3;
  EXPECT_TRUE(close(grad(f)(x), from_vector(g, {4, 5})));
}

TEST(SliceCotangent, UnderVmapAndAtSecondOrder) {
  const Tensor xs = randn({3, 5, 2}, DType::Float64);
  // Per-example gradients of sum_t sin(x[t]) (rows of each example).
  auto f = [](const Tensor& t) {
    Tensor total = zeros({}, DType::Float64);
    for (int64_t r = 0; r < 5; ++r) total = total + sin(select(t, 0, r)).sum();
    return total;
  };
  EXPECT_TRUE(close(vmap(grad(f))(xs), cos(xs)));
  // The gradient of the gradient's sum: d/dx sum(cos x) = -sin x.
  auto g_sum = [&](const Tensor& t) { return grad(f)(t).sum(); };
  EXPECT_TRUE(close(grad(g_sum)(xs[0]), -sin(xs[0])));
}

}  // namespace
}  // namespace fnx
