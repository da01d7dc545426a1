// The CPU allocator's cache of small blocks (<= 64 KiB): reuse, alignment,
// memory figures, blocks freed on another thread, release. Under
// AddressSanitizer nothing is cached; the checks that do not depend on
// caching run there too.
#include <cstdint>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "core/cpu_allocator.h"
#include "core/memory_stats.h"
#include "core/ops/ops.h"
#include "gtest/gtest.h"

namespace fnx {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kCaching = false;
#else
constexpr bool kCaching = true;
#endif

bool aligned(const void* p) { return reinterpret_cast<uintptr_t>(p) % 64 == 0; }

TEST(SmallBlockCache, ReusesAFreedBlock) {
  if (!kCaching) GTEST_SKIP() << "no cache under AddressSanitizer";
  Allocator& alloc = cpu_allocator();
  void* first = alloc.allocate(200);
  alloc.deallocate(first, 200);
  // The same size class (193..256 bytes) gets the block back.
  void* again = alloc.allocate(250);
  EXPECT_EQ(again, first);
  alloc.deallocate(again, 250);
}

TEST(SmallBlockCache, ReusesTensorStorage) {
  if (!kCaching) GTEST_SKIP() << "no cache under AddressSanitizer";
  void* first = nullptr;
  {
    Tensor t = zeros({8});
    first = t.raw_data();
  }
  Tensor again = ones({8});
  EXPECT_EQ(again.raw_data(), first);
  EXPECT_EQ(again.sum().item<double>(), 8);
}

TEST(SmallBlockCache, BlocksAre64ByteAlignedAndUsable) {
  Allocator& alloc = cpu_allocator();
  std::vector<std::pair<void*, std::size_t>> blocks;
  for (std::size_t n = 1; n <= (std::size_t{64} << 10); n = n * 3 / 2 + 1) {
    void* p = alloc.allocate(n);
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(aligned(p)) << n;
    std::memset(p, 0xab, n);  // the whole block is usable
    blocks.emplace_back(p, n);
  }
  for (auto [p, n] : blocks) alloc.deallocate(p, n);
  // Again, now served from the cache.
  for (auto [p0, n] : blocks) {
    void* p = alloc.allocate(n);
    EXPECT_TRUE(aligned(p)) << n;
    std::memset(p, 0xcd, n);
    alloc.deallocate(p, n);
  }
}

TEST(SmallBlockCache, CachedBlocksAreNotInUse) {
  const MemoryStats before = memory_stats();
  const int64_t live = live_storage_bytes();
  {
    Tensor t = zeros({100});  // 400 bytes
    EXPECT_EQ(memory_stats().live_bytes - before.live_bytes, 400);
    EXPECT_EQ(live_storage_bytes() - live, 400);
  }
  EXPECT_EQ(memory_stats().live_bytes, before.live_bytes);
  EXPECT_EQ(live_storage_bytes(), live);
  if (kCaching) {
    EXPECT_GT(cached_small_cpu_bytes(), 0);
  }
  reset_peak_memory();
  const MemoryStats reset = memory_stats();
  {
    Tensor t = zeros({100});  // from the cache, and counted again
    EXPECT_EQ(memory_stats().peak_bytes - reset.peak_bytes, 400);
  }
}

TEST(SmallBlockCache, ReleaseFreesTheCallersAndTheSharedBlocks) {
  Allocator& alloc = cpu_allocator();
  for (int i = 0; i < 10; ++i) {
    void* p = alloc.allocate(1000);
    alloc.deallocate(p, 1000);
  }
  if (kCaching) {
    EXPECT_GE(cached_small_cpu_bytes(), 1024);
    EXPECT_GE(release_cached_cpu_memory(), 1024);
  } else {
    release_cached_cpu_memory();
  }
  EXPECT_EQ(cached_small_cpu_bytes(), 0);
  EXPECT_EQ(cached_cpu_bytes(), 0);
}

TEST(SmallBlockCache, StaysBounded) {
  release_cached_cpu_memory();
  Allocator& alloc = cpu_allocator();
  std::vector<void*> blocks;
  for (int i = 0; i < 2000; ++i) blocks.push_back(alloc.allocate(64 << 10));
  for (void* p : blocks) alloc.deallocate(p, 64 << 10);
  // 125 MiB freed: at most this thread's 256 KiB and the shared 4 MiB kept.
  EXPECT_LE(cached_small_cpu_bytes(), (256 << 10) + (4 << 20));
  release_cached_cpu_memory();
}

// Blocks allocated on one thread and freed on another (tensors made by the
// caller and released by a pool task, or the reverse), many times, while
// the cache is trimmed. Run under ThreadSanitizer too.
TEST(SmallBlockCache, AllocateOnOneThreadFreeOnAnother) {
  Allocator& alloc = cpu_allocator();
  constexpr int kRounds = 200;
  constexpr int kBlocks = 64;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::pair<void*, std::size_t>> blocks;
    std::thread producer([&] {
      for (int i = 0; i < kBlocks; ++i) {
        const std::size_t n = 8 + static_cast<std::size_t>(i * 97 % 4000);
        auto* p = static_cast<unsigned char*>(alloc.allocate(n));
        ASSERT_NE(p, nullptr);
        ASSERT_TRUE(aligned(p));
        std::memset(p, i & 0xff, n);
        blocks.emplace_back(p, n);
      }
    });
    producer.join();
    std::thread consumer([&] {
      for (auto [p, n] : blocks) {
        const auto* bytes = static_cast<const unsigned char*>(p);
        EXPECT_EQ(bytes[0], bytes[n - 1]);  // nobody else wrote the block
        alloc.deallocate(p, n);
      }
      if (round % 50 == 0) release_cached_cpu_memory();
    });
    consumer.join();
  }
  release_cached_cpu_memory();
  EXPECT_EQ(cached_small_cpu_bytes(), 0);  // exited threads keep nothing
}

// Tensors made on one thread and dropped on another while both run, and
// the main thread reads the cache's size meanwhile.
TEST(SmallBlockCache, ConcurrentTensorHandOff) {
  constexpr int kTensors = 3000;
  std::mutex mutex;
  std::deque<Tensor> queue;
  bool done = false;
  std::thread producer([&] {
    for (int i = 0; i < kTensors; ++i) {
      Tensor t = full({1 + i % 50}, 2.0);
      std::lock_guard<std::mutex> lock(mutex);
      queue.push_back(std::move(t));
    }
    std::lock_guard<std::mutex> lock(mutex);
    done = true;
  });
  std::thread consumer([&] {
    int seen = 0;
    while (true) {
      Tensor t;
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (queue.empty()) {
          if (done) break;
          continue;
        }
        t = std::move(queue.front());
        queue.pop_front();
      }
      EXPECT_EQ(t.sum().item<double>(), 2.0 * (1 + seen % 50));
      ++seen;
    }  // each tensor's block is freed here, on this thread
    EXPECT_EQ(seen, kTensors);
  });
  for (int i = 0; i < 100; ++i) EXPECT_GE(cached_cpu_bytes(), 0);
  producer.join();
  consumer.join();
}

}  // namespace
}  // namespace fnx
