#include "backends/cuda/allocator.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <unordered_map>

#include "backends/cuda/kernel_errors.h"
#include "backends/cuda/runtime.h"
#include "core/error.h"

namespace fnx::cuda {
namespace {

constexpr int kMaxDevices = 16;
constexpr std::size_t kSmall = std::size_t{1} << 20;  // 1 MiB
constexpr std::size_t kSmallRound = 512;
constexpr std::size_t kLargeRound = std::size_t{2} << 20;  // 2 MiB

// FNX_CUDA_NO_CACHING=1 (cuda.h): exact-size blocks, freed on release.
bool caching_off() {
  static const bool off = [] {
    const char* env = std::getenv("FNX_CUDA_NO_CACHING");
    return env != nullptr && std::strcmp(env, "1") == 0;
  }();
  return off;
}

std::size_t round_size(std::size_t n) {
  n = std::max<std::size_t>(n, 1);
  const std::size_t to = n < kSmall ? kSmallRound : kLargeRound;
  return (n + to - 1) / to * to;
}

// One device's pool. Every block is used on the device's one stream, so a
// block released by the host can be handed out again at once: the next
// user's work is queued after the previous user's.
struct Pool {
  std::mutex mutex;
  std::multimap<std::size_t, void*> free;       // size -> cached block
  std::unordered_map<void*, std::size_t> used;  // block -> size
  MemoryStats stats;

  void release_cached() {
    for (auto& [size, ptr] : free) cudaFree(ptr);
    free.clear();
    stats.cached = 0;
  }
};

// Pinned host buffers for large copies, two so that the host copy of one
// chunk overlaps the DMA of the next.
struct Staging {
  static constexpr std::size_t kChunk = std::size_t{8} << 20;
  std::mutex mutex;
  void* buffers[2] = {nullptr, nullptr};
  cudaEvent_t done[2] = {nullptr, nullptr};
};
constexpr std::size_t kStageFrom = std::size_t{1} << 20;

class CudaAllocator final : public Allocator {
 public:
  void* allocate(std::size_t nbytes) override {
    return allocate_on(nbytes, Device::cuda(0));
  }
  void deallocate(void* ptr, std::size_t nbytes) override {
    deallocate_on(ptr, nbytes, Device::cuda(0));
  }

  void* allocate_on(std::size_t nbytes, Device device) override {
    context(device);  // checks the device; makes it current
    Pool& pool = pools_[static_cast<std::size_t>(device.index)];
    const std::size_t size =
        caching_off() ? std::max<std::size_t>(nbytes, 1) : round_size(nbytes);
    std::lock_guard<std::mutex> lock(pool.mutex);
    auto it = pool.free.lower_bound(size);
    if (it != pool.free.end() && it->first <= size + size / 4) {
      void* ptr = it->second;
      const std::size_t block = it->first;
      pool.stats.cached -= static_cast<int64_t>(block);
      pool.used[ptr] = block;
      pool.free.erase(it);
      // The whole block: deallocate_on takes back what `used` records.
      note_allocated(pool, static_cast<int64_t>(block));
      return ptr;
    }
    void* ptr = nullptr;
    cudaError_t status = cudaMalloc(&ptr, size);
    if (status == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      pool.release_cached();  // cudaFree synchronizes the device
      status = cudaMalloc(&ptr, size);
    }
    if (status != cudaSuccess) {
      cudaGetLastError();
      fail("cuda", "out of memory allocating ", size, " bytes on ",
           device.str(), " (", pool.stats.allocated,
           " bytes in use by tensors; cudaMalloc: ", cudaGetErrorString(status),
           "); free tensors, use a smaller batch or vmap's chunk_size");
    }
    ++pool.stats.device_mallocs;
    pool.used[ptr] = size;
    note_allocated(pool, static_cast<int64_t>(size));
    return ptr;
  }

  // Calls no CUDA while caching (it may run during static destruction);
  // without caching, cudaFree (once the runtime has shut down it fails,
  // harmlessly).
  void deallocate_on(void* ptr, std::size_t, Device device) override {
    Pool& pool = pools_[static_cast<std::size_t>(device.index)];
    {
      std::lock_guard<std::mutex> lock(pool.mutex);
      auto it = pool.used.find(ptr);
      if (it == pool.used.end()) return;
      const std::size_t size = it->second;
      pool.used.erase(it);
      pool.stats.allocated -= static_cast<int64_t>(size);
      if (!caching_off()) {
        pool.stats.cached += static_cast<int64_t>(size);
        pool.free.emplace(size, ptr);
        return;
      }
    }
    // A sticky error (a faulted kernel) stays for the next synchronization
    // to report; anything else is cleared here.
    if (cudaFree(ptr) != cudaSuccess) cudaGetLastError();
  }

  void copy_bytes(void* dst, Device dst_device, const void* src,
                  Device src_device, std::size_t nbytes) override {
    if (nbytes == 0) return;
    const bool dst_host = dst_device.type == DeviceType::CPU;
    const bool src_host = src_device.type == DeviceType::CPU;
    if (!dst_host && src_host) {
      to_device(dst, dst_device, src, nbytes);
    } else if (dst_host && !src_host) {
      to_host(dst, src, src_device, nbytes);
    } else if (!dst_host && !src_host) {
      between_devices(dst, dst_device, src, src_device, nbytes);
    } else {
      std::memcpy(dst, src, nbytes);
    }
  }

  MemoryStats stats(int device) {
    Pool& pool = pools_.at(static_cast<std::size_t>(device));
    std::lock_guard<std::mutex> lock(pool.mutex);
    return pool.stats;
  }

  void empty_cache() {
    for (int i = 0; i < std::min(device_count(), kMaxDevices); ++i) {
      synchronize(Device::cuda(i));
      Pool& pool = pools_[static_cast<std::size_t>(i)];
      std::lock_guard<std::mutex> lock(pool.mutex);
      pool.release_cached();
    }
  }

 private:
  static void note_allocated(Pool& pool, int64_t size) {
    pool.stats.allocated += size;
    pool.stats.peak = std::max(pool.stats.peak, pool.stats.allocated);
  }

  // Call with s.mutex held.
  static void ensure_buffers(Staging& s) {
    if (s.buffers[0] == nullptr) {
      for (int b = 0; b < 2; ++b) {
        FNX_CUDA_CHECK(cudaHostAlloc(&s.buffers[b], Staging::kChunk,
                                     cudaHostAllocPortable));
        FNX_CUDA_CHECK(
            cudaEventCreateWithFlags(&s.done[b], cudaEventDisableTiming));
      }
    }
  }

  // Small copies from pageable memory: cudaMemcpyAsync returns once the
  // source has been staged by the driver, so the caller may free it. Large
  // ones go through the pinned buffers, chunk by chunk.
  void to_device(void* dst, Device device, const void* src, std::size_t n) {
    const Context& ctx = context(device);
    if (n < kStageFrom) {
      FNX_CUDA_CHECK(
          cudaMemcpyAsync(dst, src, n, cudaMemcpyHostToDevice, ctx.stream));
      return;
    }
    Staging& s = staging_[static_cast<std::size_t>(ctx.index)];
    std::lock_guard<std::mutex> lock(s.mutex);
    ensure_buffers(s);
    int b = 0;
    for (std::size_t off = 0; off < n; off += Staging::kChunk, b ^= 1) {
      const std::size_t len = std::min(Staging::kChunk, n - off);
      FNX_CUDA_CHECK(cudaEventSynchronize(s.done[b]));  // buffer b is free
      std::memcpy(s.buffers[b], static_cast<const char*>(src) + off, len);
      FNX_CUDA_CHECK(cudaMemcpyAsync(static_cast<char*>(dst) + off,
                                     s.buffers[b], len, cudaMemcpyHostToDevice,
                                     ctx.stream));
      FNX_CUDA_CHECK(cudaEventRecord(s.done[b], ctx.stream));
    }
  }

  // Host reads wait for the stream (all work that produced src).
  void to_host(void* dst, const void* src, Device device, std::size_t n) {
    const Context& ctx = context(device);
    const uint64_t mark = kernel_errors_mark(ctx);
    if (n < kStageFrom) {
      FNX_CUDA_CHECK(
          cudaMemcpyAsync(dst, src, n, cudaMemcpyDeviceToHost, ctx.stream));
      FNX_CUDA_CHECK(cudaStreamSynchronize(ctx.stream));
      raise_kernel_errors(ctx, mark);
      return;
    }
    Staging& s = staging_[static_cast<std::size_t>(ctx.index)];
    std::lock_guard<std::mutex> lock(s.mutex);
    ensure_buffers(s);
    auto issue = [&](std::size_t off, int b) {
      const std::size_t len = std::min(Staging::kChunk, n - off);
      FNX_CUDA_CHECK(cudaMemcpyAsync(s.buffers[b],
                                     static_cast<const char*>(src) + off, len,
                                     cudaMemcpyDeviceToHost, ctx.stream));
      FNX_CUDA_CHECK(cudaEventRecord(s.done[b], ctx.stream));
    };
    issue(0, 0);
    int b = 0;
    for (std::size_t off = 0; off < n; off += Staging::kChunk, b ^= 1) {
      const std::size_t next = off + Staging::kChunk;
      if (next < n) issue(next, b ^ 1);
      FNX_CUDA_CHECK(cudaEventSynchronize(s.done[b]));
      std::memcpy(static_cast<char*>(dst) + off, s.buffers[b],
                  std::min(Staging::kChunk, n - off));
    }
    raise_kernel_errors(ctx, mark);  // the last event covers the mark
  }

  void between_devices(void* dst, Device dst_device, const void* src,
                       Device src_device, std::size_t n) {
    const Context& from = context(src_device);
    if (dst_device == src_device) {
      FNX_CUDA_CHECK(
          cudaMemcpyAsync(dst, src, n, cudaMemcpyDeviceToDevice, from.stream));
      return;
    }
    // The source's producers finish first; the copy finishes before the
    // source block can be reused by its own device.
    FNX_CUDA_CHECK(cudaStreamSynchronize(from.stream));
    const Context& to = context(dst_device);
    FNX_CUDA_CHECK(
        cudaMemcpyPeerAsync(dst, to.index, src, from.index, n, to.stream));
    FNX_CUDA_CHECK(cudaStreamSynchronize(to.stream));
  }

  std::array<Pool, kMaxDevices> pools_;
  std::array<Staging, kMaxDevices> staging_;
};

CudaAllocator& instance() {
  // Never destroyed: storages may be released during static destruction.
  static CudaAllocator* allocator = new CudaAllocator;
  return *allocator;
}

}  // namespace

Allocator& cuda_allocator() { return instance(); }
MemoryStats memory_stats(int device) { return instance().stats(device); }
void empty_cache() { instance().empty_cache(); }

}  // namespace fnx::cuda
