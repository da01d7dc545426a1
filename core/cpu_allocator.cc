#include "core/cpu_allocator.h"

#include <cstdlib>
#include <map>
#include <mutex>
#include <unordered_map>

namespace fnx {
namespace {

constexpr std::size_t kAlignment = 64;
constexpr std::size_t kCacheFrom = std::size_t{1} << 20;  // 1 MiB
constexpr std::size_t kPage = 4096;
constexpr std::size_t kMaxCached = std::size_t{2} << 30;  // 2 GiB

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kCacheEnabled = false;  // keep use-after-free detectable
#else
constexpr bool kCacheEnabled = true;
#endif

class CachingCpuAllocator final : public Allocator {
 public:
  void* allocate(std::size_t nbytes) override {
    if (!kCacheEnabled || nbytes < kCacheFrom) {
      return std::aligned_alloc(kAlignment, round_up(nbytes, kAlignment));
    }
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
    if (!kCacheEnabled || nbytes < kCacheFrom) {
      std::free(ptr);
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
    std::lock_guard<std::mutex> lock(mutex_);
    const int64_t freed = static_cast<int64_t>(cached_bytes_);
    for (auto& [size, ptr] : free_) std::free(ptr);
    free_.clear();
    cached_bytes_ = 0;
    return freed;
  }

  int64_t cached() {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<int64_t>(cached_bytes_);
  }

 private:
  static std::size_t round_up(std::size_t n, std::size_t to) {
    return (std::max<std::size_t>(n, 1) + to - 1) / to * to;
  }

  std::mutex mutex_;
  std::multimap<std::size_t, void*> free_;       // size -> cached block
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

}  // namespace fnx
