// The tape frees what backward no longer needs: memory held by live storage
// returns to its baseline after each grad call and when a vjp_fn is
// released, and stays flat over 100,000 grad calls.
#include <chrono>

#include "core/ops/ops.h"
#include "core/storage.h"
#include "gtest/gtest.h"
#include "transforms/grad/grad.h"

namespace fnx {
namespace {

Tensor loss(const Tensor& w, const Tensor& x) {
  Tensor h = tanh(matmul(x, w));
  return mean(square(h - 0.5)) + (w * w).sum() * 1e-3;
}

TEST(Memory, FlatOverManyGradCalls) {
  const Tensor w = randn({4, 2}, DType::Float64);
  const Tensor x = randn({3, 4}, DType::Float64);
  // Warm up, then measure.
  Tensor g = grad(loss)(w, x);
  const int64_t baseline = live_storage_bytes();
  const auto start = std::chrono::steady_clock::now();
  // 100,000 in an optimized build (about 3 s); fewer in the default
  // unoptimized test build.
#ifdef NDEBUG
  constexpr int kCalls = 100000;
#else
  constexpr int kCalls = 10000;
#endif
  for (int i = 0; i < kCalls; ++i) {
    g = grad(loss)(w, x);
    if (i % 1000 == 0) {
      EXPECT_EQ(live_storage_bytes(), baseline) << i;
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  EXPECT_EQ(live_storage_bytes(), baseline);
  std::cout << kCalls << " grad calls in " << seconds << " s ("
            << seconds / kCalls * 1e6 << " us each)\n";
}

TEST(Memory, ReleasingTheVjpFnFreesTheTape) {
  const Tensor x = randn({256, 256}, DType::Float64);
  const int64_t baseline = live_storage_bytes();
  {
    auto [out, vjp_fn] =
        vjp([](const Tensor& t) { return exp(sin(t)) * t; }, x);
    // The output and exp's result (its rule reads it) are alive; sin's
    // result is not needed (sin's rule reads x), so it is already freed.
    constexpr int64_t kBytes = 256 * 256 * 8;
    EXPECT_EQ(live_storage_bytes(), baseline + 2 * kBytes);
    auto [g1] = vjp_fn(ones_like(out));
    auto [g2] = vjp_fn(ones_like(out));  // reusable
    EXPECT_TRUE(allclose(g1, g2));
  }
  EXPECT_EQ(live_storage_bytes(), baseline);
}

TEST(Memory, HigherOrderFreesEveryTape) {
  const Tensor x = randn({32}, DType::Float64);
  auto f = [](const Tensor& t) { return (sin(t) * t).sum(); };
  auto gg = [&](const Tensor& t) { return grad(f)(t).sum(); };
  Tensor h = grad(gg)(x);
  const int64_t baseline = live_storage_bytes();
  for (int i = 0; i < 200; ++i) h = grad(gg)(x);
  EXPECT_EQ(live_storage_bytes(), baseline);
}

TEST(Memory, LongChainsAreFreedWithoutDeepRecursion) {
  // 100,000 recorded ops in one chain: freeing the tape must not recurse
  // once per node (that would overflow the stack).
  const Tensor x = scalar_tensor(1.0, DType::Float64);
  const int64_t baseline = live_storage_bytes();
  Tensor g = grad([](const Tensor& t) {
    Tensor y = t;
    for (int i = 0; i < 100000; ++i) y = y * 1.0;
    return y;
  })(x);
  EXPECT_DOUBLE_EQ(g.item<double>(), 1.0);
  g = Tensor();
  EXPECT_EQ(live_storage_bytes(), baseline);
}

}  // namespace
}  // namespace fnx
