// The thread count read from the environment at start-up (BUILD sets
// FNX_NUM_THREADS / OMP_NUM_THREADS per target): FNX_EXPECT_THREADS is the
// count expected, 0 for the default (every hardware thread).
#include <algorithm>
#include <thread>

#include "backends/cpu/threads.h"
#include "core/ops/ops.h"
#include "gtest/gtest.h"

namespace fnx {
namespace {

TEST(NumThreadsFromEnvironment, IsReadBeforeFirstUse) {
  const int expected =
      FNX_EXPECT_THREADS > 0
          ? FNX_EXPECT_THREADS
          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  EXPECT_EQ(get_num_threads(), expected);
  // Parallel kernels run with it.
  const Tensor x = full({1 << 20}, 1.0);
  EXPECT_EQ(add(x, x).sum().item<double>(), 2.0 * (1 << 20));
  set_num_threads(2);  // the function still overrides it
  EXPECT_EQ(get_num_threads(), 2);
}

}  // namespace
}  // namespace fnx
