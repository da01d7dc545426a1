// The CPU allocator's cache of large blocks: reuse, accounting, release.
#include "core/cpu_allocator.h"

#include "core/ops/ops.h"
#include "gtest/gtest.h"

namespace fnx {
namespace {

#if !defined(__SANITIZE_ADDRESS__)
TEST(CpuAllocator, ReusesLargeBlocks) {
  release_cached_cpu_memory();
  const int64_t live = live_storage_bytes();
  void* first = nullptr;
  {
    Tensor big = zeros({1 << 20});  // 4 MiB
    first = big.raw_data();
    EXPECT_EQ(live_storage_bytes() - live, 4 << 20);
  }
  EXPECT_EQ(live_storage_bytes(), live);  // storage freed...
  EXPECT_EQ(cached_cpu_bytes(), 4 << 20);  // ...its block kept
  Tensor again = ones({1 << 20});
  EXPECT_EQ(again.raw_data(), first);
  EXPECT_EQ(cached_cpu_bytes(), 0);
  EXPECT_EQ(again.sum().item<double>(), 1 << 20);
}

TEST(CpuAllocator, ReusesMediumBlocks) {
  // Between the small size classes (<= 64 KiB) and 1 MiB: cached too.
  release_cached_cpu_memory();
  void* first = nullptr;
  {
    Tensor mid = zeros({1 << 17});  // 512 KiB
    first = mid.raw_data();
  }
  EXPECT_EQ(cached_large_cpu_bytes(), 512 << 10);
  Tensor again = ones({(1 << 17) - 100});  // a little smaller: same block
  EXPECT_EQ(again.raw_data(), first);
  EXPECT_EQ(cached_large_cpu_bytes(), 0);
  release_cached_cpu_memory();
}

TEST(CpuAllocator, ReleaseFreesTheCache) {
  { Tensor big = zeros({1 << 19}); }
  EXPECT_GT(cached_cpu_bytes(), 0);
  EXPECT_GT(release_cached_cpu_memory(), 0);
  EXPECT_EQ(cached_cpu_bytes(), 0);
}

TEST(CpuAllocator, DoesNotReuseMuchLargerBlocks) {
  release_cached_cpu_memory();
  { Tensor big = zeros({1 << 22}); }  // 16 MiB cached
  Tensor small = zeros({1 << 19});     // 2 MiB: a fresh block
  EXPECT_EQ(cached_cpu_bytes(), 16 << 20);
  release_cached_cpu_memory();
}
#endif

TEST(CpuAllocator, SmallBlocksAreAligned) {
  for (int64_t n : {1, 3, 17, 1000}) {
    Tensor t = zeros({n});
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw_data()) % 64, 0u);
  }
}

}  // namespace
}  // namespace fnx
