#include "core/cpu_allocator.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace fnx {
namespace {

constexpr std::size_t kAlignment = 64;
constexpr std::size_t kPage = 4096;
constexpr std::size_t kMaxCached = std::size_t{2} << 30;  // 2 GiB

// Small blocks: up to 64 KiB, in size classes. glibc's aligned_alloc takes
// its slow memalign path (no tcache), which was ~23% of tiny-op workloads.
constexpr std::size_t kSmallMax = std::size_t{64} << 10;
// Every larger block is cached whole (page-rounded, best fit). Blocks
// between 64 KiB and 1 MiB used to go back to glibc, which returned them to
// the system and faulted them in again on every call: page faults and
// zeroing were 15% of a compiled ensemble step's 512 KiB activations.
constexpr std::size_t kCacheFrom = kSmallMax + 1;
// Per-thread cache: a few blocks per class, at most this many bytes, so
// that idle threads hold little.
constexpr std::size_t kThreadCacheBytes = std::size_t{256} << 10;
constexpr int kThreadCacheBlocks = 32;  // per class
// The shared fallback (blocks freed on one thread, wanted on another).
constexpr std::size_t kSharedCacheBytes = std::size_t{4} << 20;

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kCacheEnabled = false;  // keep use-after-free detectable
#else
constexpr bool kCacheEnabled = true;
#endif

std::size_t round_up(std::size_t n, std::size_t to) {
  return (std::max<std::size_t>(n, 1) + to - 1) / to * to;
}

constexpr int kNumClasses = 16 + 6 * 4;

// Size classes: every multiple of 64 bytes up to 1 KiB, then four per
// doubling (at most 25% waste) up to 64 KiB.
struct SizeClasses {
  std::vector<std::size_t> sizes;
  std::array<uint8_t, kSmallMax / kAlignment + 1>
      of_units{};  // by 64-byte units
  SizeClasses() {
    for (std::size_t s = kAlignment; s <= 1024; s += kAlignment) {
      sizes.push_back(s);
    }
    for (std::size_t base = 1024; base < kSmallMax; base *= 2) {
      for (int q = 1; q <= 4; ++q) sizes.push_back(base + base / 4 * q);
    }
    if (sizes.size() != kNumClasses) std::abort();
    std::size_t c = 0;
    for (std::size_t units = 0; units < of_units.size(); ++units) {
      while (sizes[c] < units * kAlignment) ++c;
      of_units[units] = static_cast<uint8_t>(c);
    }
  }
  int of(std::size_t nbytes) const {
    return of_units[(std::max<std::size_t>(nbytes, 1) + kAlignment - 1) /
                    kAlignment];
  }
};

const SizeClasses& classes() {
  static const SizeClasses* c = new SizeClasses;
  return *c;
}

class SmallBlockCache;

// One thread's blocks, touched only by that thread (no locks on the fast
// path). `bytes` is atomic so that cached_cpu_bytes() may read it.
struct ThreadCache {
  struct Bin {
    std::array<void*, kThreadCacheBlocks> blocks;
    int count = 0;
  };
  std::array<Bin, kNumClasses> bins;
  std::atomic<int64_t> bytes{0};
  uint64_t epoch = 0;  // of the last release_cached_cpu_memory() seen
};

class SmallBlockCache {
 public:
  void* allocate(std::size_t nbytes) {
    const int c = classes().of(nbytes);
    const std::size_t size = classes().sizes[c];
    ThreadCache* tc = local();
    if (tc != nullptr) {
      ThreadCache::Bin& bin = tc->bins[c];
      if (bin.count == 0) refill(*tc, c);
      if (bin.count > 0) {
        set_bytes(*tc, tc->bytes.load(std::memory_order_relaxed) -
                           static_cast<int64_t>(size));
        return bin.blocks[--bin.count];
      }
    } else if (void* ptr = take_shared(c)) {
      return ptr;
    }
    return std::aligned_alloc(kAlignment, size);
  }

  void deallocate(void* ptr, std::size_t nbytes) {
    const int c = classes().of(nbytes);
    const int64_t size = static_cast<int64_t>(classes().sizes[c]);
    ThreadCache* tc = local();
    if (tc == nullptr) {
      put_shared(c, ptr);
      return;
    }
    ThreadCache::Bin& bin = tc->bins[c];
    const int64_t bytes = tc->bytes.load(std::memory_order_relaxed);
    if (bin.count == kThreadCacheBlocks ||
        bytes + size > static_cast<int64_t>(kThreadCacheBytes)) {
      spill(*tc, c);  // half the bin to the shared cache, this block too
      put_shared(c, ptr);
      return;
    }
    bin.blocks[bin.count++] = ptr;
    set_bytes(*tc, bytes + size);
  }

  // Frees the shared cache and the calling thread's; other threads free
  // theirs at their next allocation or release of a small block, or when
  // they exit.
  int64_t release() {
    int64_t freed = 0;
    if (ThreadCache* tc = local()) freed += tc->bytes.load();
    epoch_.fetch_add(1, std::memory_order_relaxed);
    local();  // sees the new epoch: frees this thread's blocks
    std::lock_guard<std::mutex> lock(mutex_);
    for (int c = 0; c < kNumClasses; ++c) {
      for (void* ptr : shared_[c]) std::free(ptr);
      shared_[c].clear();
    }
    freed += static_cast<int64_t>(shared_bytes_);
    shared_bytes_ = 0;
    return freed;
  }

  int64_t cached() {
    std::lock_guard<std::mutex> lock(mutex_);
    int64_t total = static_cast<int64_t>(shared_bytes_);
    for (const ThreadCache* tc : threads_) {
      total += tc->bytes.load(std::memory_order_relaxed);
    }
    return total;
  }

 private:
  // Owns the calling thread's cache; on exit hands its blocks to the
  // shared cache (or frees them) and unregisters it.
  struct Holder {
    SmallBlockCache* owner;
    ThreadCache cache;
    explicit Holder(SmallBlockCache* o) : owner(o) {
      cache.epoch = o->epoch_.load(std::memory_order_relaxed);
      std::lock_guard<std::mutex> lock(owner->mutex_);
      owner->threads_.push_back(&cache);
    }
    ~Holder() {
      t_dead = true;  // storages freed later on this thread skip the cache
      for (int c = 0; c < kNumClasses; ++c) {
        ThreadCache::Bin& bin = cache.bins[c];
        while (bin.count > 0) owner->put_shared(c, bin.blocks[--bin.count]);
      }
      std::lock_guard<std::mutex> lock(owner->mutex_);
      cache.bytes.store(0, std::memory_order_relaxed);
      std::erase(owner->threads_, &cache);
    }
  };
  static thread_local bool t_dead;  // trivially destructible: always usable

  ThreadCache* local() {
    if (t_dead) return nullptr;
    thread_local Holder holder(this);
    ThreadCache* tc = &holder.cache;
    // A release on another thread asked every thread to drop its blocks.
    const uint64_t epoch = epoch_.load(std::memory_order_relaxed);
    if (tc->epoch != epoch) {
      tc->epoch = epoch;
      for (ThreadCache::Bin& bin : tc->bins) {
        while (bin.count > 0) std::free(bin.blocks[--bin.count]);
      }
      set_bytes(*tc, 0);
    }
    return tc;
  }

  static void set_bytes(ThreadCache& tc, int64_t bytes) {
    tc.bytes.store(bytes, std::memory_order_relaxed);  // owner-only writes
  }

  // Moves up to half a bin's capacity from the shared cache.
  void refill(ThreadCache& tc, int c) {
    ThreadCache::Bin& bin = tc.bins[c];
    const std::size_t size = classes().sizes[c];
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<void*>& from = shared_[c];
    int64_t bytes = tc.bytes.load(std::memory_order_relaxed);
    while (!from.empty() && bin.count < kThreadCacheBlocks / 2 &&
           bytes + static_cast<int64_t>(size) <=
               static_cast<int64_t>(kThreadCacheBytes)) {
      bin.blocks[bin.count++] = from.back();
      from.pop_back();
      shared_bytes_ -= size;
      bytes += static_cast<int64_t>(size);
    }
    set_bytes(tc, bytes);
  }

  void spill(ThreadCache& tc, int c) {
    ThreadCache::Bin& bin = tc.bins[c];
    const std::size_t size = classes().sizes[c];
    int64_t bytes = tc.bytes.load(std::memory_order_relaxed);
    const int keep = bin.count / 2;
    while (bin.count > keep) {
      put_shared(c, bin.blocks[--bin.count]);
      bytes -= static_cast<int64_t>(size);
    }
    set_bytes(tc, bytes);
  }

  void* take_shared(int c) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (shared_[c].empty()) return nullptr;
    void* ptr = shared_[c].back();
    shared_[c].pop_back();
    shared_bytes_ -= classes().sizes[c];
    return ptr;
  }

  void put_shared(int c, void* ptr) {
    const std::size_t size = classes().sizes[c];
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (shared_bytes_ + size <= kSharedCacheBytes) {
        shared_[c].push_back(ptr);
        shared_bytes_ += size;
        return;
      }
    }
    std::free(ptr);
  }

  std::atomic<uint64_t> epoch_{0};
  std::mutex mutex_;  // guards the fields below
  std::array<std::vector<void*>, kNumClasses> shared_;
  std::size_t shared_bytes_ = 0;
  std::vector<ThreadCache*> threads_;  // every live thread's cache
};

thread_local bool SmallBlockCache::t_dead = false;

class CachingCpuAllocator final : public Allocator {
 public:
  void* allocate(std::size_t nbytes) override {
    if (!kCacheEnabled) {
      return std::aligned_alloc(kAlignment, round_up(nbytes, kAlignment));
    }
    if (nbytes < kCacheFrom) return small_.allocate(nbytes);
    const std::size_t size = round_up(nbytes, kPage);
    std::lock_guard<std::mutex> lock(mutex_);
    // Best fit among cached blocks at most 25% larger than asked.
    auto it = free_.lower_bound(size);
    if (it != free_.end() && it->first <= size + size / 4) {
      void* ptr = it->second;
      cached_bytes_ -= it->first;
      in_use_[ptr] = it->first;
      free_.erase(it);
      return ptr;
    }
    void* ptr = std::aligned_alloc(kAlignment, size);
    if (ptr != nullptr) in_use_[ptr] = size;
    return ptr;
  }

  void deallocate(void* ptr, std::size_t nbytes) override {
    if (!kCacheEnabled) {
      std::free(ptr);
      return;
    }
    if (nbytes < kCacheFrom) {
      small_.deallocate(ptr, nbytes);
      return;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = in_use_.find(ptr);
    const std::size_t size = it->second;
    in_use_.erase(it);
    if (cached_bytes_ + size > kMaxCached) {
      std::free(ptr);
      return;
    }
    free_.emplace(size, ptr);
    cached_bytes_ += size;
  }

  int64_t release() {
    int64_t freed = small_.release();
    std::lock_guard<std::mutex> lock(mutex_);
    freed += static_cast<int64_t>(cached_bytes_);
    for (auto& [size, ptr] : free_) std::free(ptr);
    free_.clear();
    cached_bytes_ = 0;
    return freed;
  }

  int64_t cached() {
    const int64_t small = small_.cached();
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<int64_t>(cached_bytes_) + small;
  }

  int64_t cached_large() {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<int64_t>(cached_bytes_);
  }
  int64_t cached_small() { return small_.cached(); }

 private:
  SmallBlockCache small_;
  std::mutex mutex_;
  std::multimap<std::size_t, void*> free_;         // size -> cached block
  std::unordered_map<void*, std::size_t> in_use_;  // large blocks handed out
  std::size_t cached_bytes_ = 0;
};

CachingCpuAllocator& instance() {
  // Never destroyed: storages may be released during static destruction.
  static CachingCpuAllocator* allocator = new CachingCpuAllocator;
  return *allocator;
}

}  // namespace

Allocator& cpu_allocator() { return instance(); }
int64_t release_cached_cpu_memory() { return instance().release(); }
int64_t cached_cpu_bytes() { return instance().cached(); }
int64_t cached_large_cpu_bytes() { return instance().cached_large(); }
int64_t cached_small_cpu_bytes() { return instance().cached_small(); }

}  // namespace fnx
