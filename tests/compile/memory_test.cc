// Buffer planning: a compiled function never holds more memory at once than
// the same function run eagerly (values are released after their last
// use), fused or not, and less when fusion reduces a value in the pass
// that computes it.
#include <functional>

#include "core/memory_stats.h"
#include "core/ops/ops.h"
#include "gtest/gtest.h"
#include "transforms/compile/compile.h"

namespace fnx {
namespace {

// Long-lived and short-lived intermediates, a reduction, a matmul.
Tensor f(const Tensor& x, const Tensor& w) {
  Tensor h = tanh(matmul(x, w));
  const Tensor skip = exp(h) * 0.5;
  for (int i = 0; i < 6; ++i) h = sin(h) + h * 0.25;
  return (h + skip).sum({1}) + x.sum({1});
}

int64_t peak_above_live(const std::function<Tensor()>& run) {
  const int64_t live = memory_stats().live_bytes;
  reset_peak_memory();
  Tensor out = run();
  return memory_stats().peak_bytes - live;
}

TEST(Memory, PeakNoHigherThanEager) {
  const Tensor x = randn({256, 256}), w = randn({256, 256});
  const int64_t eager = peak_above_live([&] { return f(x, w); });
  for (bool fuse : {false, true}) {
    auto cf = compile(f, {.fuse = fuse});
    cf(x, w);
    const int64_t compiled = peak_above_live([&] { return cf(x, w); });
    EXPECT_LE(compiled, eager) << "fuse=" << fuse;
    EXPECT_GT(compiled, 0);
  }
}

// A fused trailing reduction never writes the value it reduces: the
// compiled peak stays far below eager's, which materialises x * y or
// (x - y)^2 (4 MB) before reducing it; the results agree. (One reduction
// ends a group: a second one of the same group would read a written
// value.)
TEST(Memory, FusedReductionsDoNotMaterialiseTheirOperand) {
  const Tensor x = randn({1000, 1000}), y = randn({1000, 1000});
  auto dot = [](const Tensor& a, const Tensor& b) { return (a * b).sum(); };
  auto row_sq = [](const Tensor& a, const Tensor& b) {
    const Tensor d = a - b;
    return (d * d).sum({1});
  };
  auto check = [&](const auto& g) {
    const int64_t eager = peak_above_live([&] { return g(x, y); });
    auto cg = compile(g);
    cg(x, y);
    const int64_t compiled = peak_above_live([&] { return cg(x, y); });
    EXPECT_GE(eager, 4000000);
    EXPECT_LE(compiled, 8192) << "eager " << eager;
    EXPECT_TRUE(allclose(cg(x, y), g(x, y), 1e-5, 1e-3));
  };
  check(dot);
  check(row_sq);
}

}  // namespace
}  // namespace fnx
