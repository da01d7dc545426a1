// The pool's watch for the next job, read from FNX_SPIN_US at start-up (BUILD
// sets it per target; FNX_EXPECT_SPIN_US is the value expected: 50 for the
// default and for a value it rejects). Whatever it is, back-to-back parallel
// jobs, and resizing the pool while its workers watch, compute the same.
#include "backends/cpu/thread_pool.h"
#include "backends/cpu/threads.h"
#include "core/ops/ops.h"
#include "gtest/gtest.h"

namespace fnx {
namespace {

TEST(PoolSpinFromEnvironment, IsReadAndJobsRun) {
  EXPECT_EQ(cpu::pool_spin_us(), FNX_EXPECT_SPIN_US);
  const Tensor x = full({1 << 18}, 1.0);
  for (int threads : {2, 3, 1, 2}) {
    set_num_threads(threads);
    for (int job = 0; job < 200; ++job) {
      ASSERT_EQ(mul(x, x).sum().item<double>(), static_cast<double>(1 << 18));
    }
  }
}

}  // namespace
}  // namespace fnx
