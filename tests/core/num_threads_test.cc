// fnx::set_num_threads / get_num_threads: the setting, its errors, and
// parallel kernels giving the same results at every thread count (the pool
// grows and shrinks between jobs).
#include <string>
#include <thread>

#include "backends/cpu/threads.h"
#include "core/error.h"
#include "core/ops/ops.h"
#include "gtest/gtest.h"

namespace fnx {
namespace {

TEST(NumThreads, SetAndGet) {
  const int saved = get_num_threads();
  EXPECT_GE(saved, 1);
  set_num_threads(1);
  EXPECT_EQ(get_num_threads(), 1);
  set_num_threads(3);
  EXPECT_EQ(get_num_threads(), 3);
  set_num_threads(saved);
  EXPECT_EQ(get_num_threads(), saved);
}

TEST(NumThreads, RejectsCountsBelowOneOrAbsurd) {
  const int saved = get_num_threads();
  for (int bad : {0, -1, -100, 1025}) {
    try {
      set_num_threads(bad);
      FAIL() << "accepted " << bad;
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.rfind("[set_num_threads]", 0), 0u) << what;
      EXPECT_NE(what.find(std::to_string(bad)), std::string::npos) << what;
    }
  }
  EXPECT_EQ(get_num_threads(), saved);  // unchanged
}

TEST(NumThreads, ParallelResultsAgreeAtEveryCount) {
  const int saved = get_num_threads();
  Generator gen(3);
  const Tensor a = randn({300, 200}, DType::Float64, &gen);
  const Tensor b = randn({200, 300}, DType::Float64, &gen);
  const Tensor x = randn({1 << 20}, DType::Float64, &gen);
  set_num_threads(1);
  const Tensor c1 = matmul(a, b);
  const Tensor y1 = add(mul(x, x), x);
  for (int n : {2, 4, 3, 1, 2}) {
    set_num_threads(n);
    EXPECT_TRUE(allclose(matmul(a, b), c1)) << n;
    EXPECT_TRUE(equal(add(mul(x, x), x), y1)) << n;
  }
  set_num_threads(saved);
}

TEST(NumThreads, SettingWhileAnotherThreadRunsOps) {
  const int saved = get_num_threads();
  Generator gen(4);
  const Tensor x = randn({1 << 18}, DType::Float32, &gen);
  const double expected = mul(x, 2.0).sum().item<double>();
  std::thread other([&] {
    for (int i = 0; i < 50; ++i) {
      EXPECT_NEAR(mul(x, 2.0).sum().item<double>(), expected, 1e-2);
    }
  });
  for (int i = 0; i < 50; ++i) set_num_threads(1 + i % 3);
  other.join();
  set_num_threads(saved);
}

}  // namespace
}  // namespace fnx
