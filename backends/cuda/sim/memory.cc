// cuda_sim's device and pinned host memory, copies and memsets
// (runtime_state.h says how device memory is kept).
#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "runtime_state.h"

using cuda_sim::enqueue;
using cuda_sim::report;
using cuda_sim::detail::Allocation;
using cuda_sim::detail::device;
using cuda_sim::detail::fail;
using cuda_sim::detail::find;
using cuda_sim::detail::is_pinned;
using cuda_sim::detail::kAlignment;
using cuda_sim::detail::kArenaBytes;
using cuda_sim::detail::kPage;
using cuda_sim::detail::reserve_arena;
using cuda_sim::detail::resolve;
using cuda_sim::detail::round_up;
using cuda_sim::detail::run_all;
using cuda_sim::detail::run_stream;
using cuda_sim::detail::state;
using cuda_sim::detail::sticky_status;

namespace {

// An allocation's pages (runtime_state.h: Allocation), without the guard.
std::size_t reserved_for(std::size_t bytes) {
  return round_up(std::max<std::size_t>(bytes, 1), kPage);
}

}  // namespace

// ---- memory ----

cudaError_t cudaMalloc(void** ptr, std::size_t bytes) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  if (s.device_count <= 0) return fail(cudaErrorNoDevice);
  if (s.arena == nullptr) reserve_arena(s);
  if (bytes > s.capacity || s.in_use + bytes > s.capacity) {
    *ptr = nullptr;
    return fail(cudaErrorMemoryAllocation);
  }
  const std::size_t reserved = reserved_for(bytes);
  const std::size_t span = reserved + kPage;  // and the guard page
  uintptr_t addr = 0;
  for (auto it = s.free_ranges.begin(); it != s.free_ranges.end(); ++it) {
    if (it->second < span) continue;
    addr = it->first;
    if (it->second > span) s.free_ranges[addr + span] = it->second - span;
    s.free_ranges.erase(it);
    break;
  }
  if (addr == 0) {
    if (s.used + span > kArenaBytes) return fail(cudaErrorMemoryAllocation);
    addr = reinterpret_cast<uintptr_t>(s.arena) + s.used;
    s.used += span;
  }
  const uintptr_t start =
      addr + reserved - round_up(std::max<std::size_t>(bytes, 1), kAlignment);
  s.live[start] = {bytes, device, addr, reserved};
  s.in_use += bytes;
  void* pages = reinterpret_cast<void*>(addr);
  mprotect(pages, reserved, PROT_READ | PROT_WRITE);
  std::memset(pages, 0xff, reserved);
  if (!s.device_access) mprotect(pages, reserved, PROT_NONE);
  *ptr = reinterpret_cast<void*>(start);
  return cudaSuccess;
}

cudaError_t cudaFree(void* ptr) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  if (ptr == nullptr) return cudaSuccess;
  run_all();  // cudaFree synchronizes the device
  auto it = s.live.find(reinterpret_cast<uintptr_t>(ptr));
  if (it == s.live.end()) {
    cuda_sim::report("cudaFree of a pointer cudaMalloc did not return");
    return fail(cudaErrorInvalidDevicePointer);
  }
  const Allocation a = it->second;
  s.in_use -= a.bytes;
  s.live.erase(it);
  madvise(reinterpret_cast<void*>(a.base), a.reserved + kPage, MADV_DONTNEED);
  s.free_ranges[a.base] = a.reserved + kPage;
  return sticky_status();
}

cudaError_t cudaHostAlloc(void** ptr, std::size_t bytes, unsigned /*flags*/) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  *ptr = std::aligned_alloc(kPage,
                            round_up(std::max<std::size_t>(bytes, 1), kPage));
  if (*ptr == nullptr) return fail(cudaErrorMemoryAllocation);
  s.pinned[reinterpret_cast<uintptr_t>(*ptr)] = bytes;
  return cudaSuccess;
}

cudaError_t cudaMallocHost(void** ptr, std::size_t bytes) {
  return cudaHostAlloc(ptr, bytes, cudaHostAllocDefault);
}

cudaError_t cudaFreeHost(void* ptr) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  run_all();
  if (s.pinned.erase(reinterpret_cast<uintptr_t>(ptr)) == 0) {
    return fail(cudaErrorInvalidValue);
  }
  std::free(ptr);
  return sticky_status();
}

// ---- copies ----

namespace {

// Checks a copy's direction against where its pointers point; a real GPU
// would fault or copy the wrong way.
cudaError_t check_copy(void* dst, const void* src, std::size_t bytes,
                       cudaMemcpyKind kind) {
  const bool dst_dev = find(dst, bytes) != nullptr;
  const bool src_dev = find(src, bytes) != nullptr;
  bool ok = true;
  switch (kind) {
    case cudaMemcpyHostToHost:
      ok = !dst_dev && !src_dev;
      break;
    case cudaMemcpyHostToDevice:
      ok = dst_dev && !src_dev;
      break;
    case cudaMemcpyDeviceToHost:
      ok = !dst_dev && src_dev;
      break;
    case cudaMemcpyDeviceToDevice:
      ok = dst_dev && src_dev;
      break;
    case cudaMemcpyDefault:
      break;
  }
  if (ok) return cudaSuccess;
  report("a copy of " + std::to_string(bytes) + " bytes whose kind (" +
         std::to_string(kind) + ") does not match its pointers (destination " +
         (dst_dev ? "device" : "host or out of an allocation's bounds") +
         ", source " + (src_dev ? "device" : "host or out of bounds") + ")");
  return fail(cudaErrorInvalidValue);
}

}  // namespace

cudaError_t cudaMemcpyAsync(void* dst, const void* src, std::size_t bytes,
                            cudaMemcpyKind kind, cudaStream_t stream) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  if (bytes == 0) return cudaSuccess;
  if (cudaError_t e = check_copy(dst, src, bytes, kind); e != cudaSuccess) {
    return e;
  }
  CUstream_st* st = resolve(stream);
  const bool src_dev = find(src, bytes) != nullptr;
  const bool dst_dev = find(dst, bytes) != nullptr;
  if (!src_dev && !is_pinned(src, bytes)) {
    // From pageable memory CUDA stages the source before returning, so the
    // caller may reuse it at once.
    auto staged = std::make_shared<std::vector<char>>(
        static_cast<const char*>(src), static_cast<const char*>(src) + bytes);
    enqueue(st, [dst, staged] {
      std::memcpy(dst, staged->data(), staged->size());
      return cudaSuccess;
    });
    return cudaSuccess;
  }
  if (!dst_dev && !is_pinned(dst, bytes)) {
    // To pageable memory the call returns when the copy is done.
    enqueue(st, [dst, src, bytes] {
      std::memcpy(dst, src, bytes);
      return cudaSuccess;
    });
    run_stream(st);
    return sticky_status();
  }
  // Pinned or device memory on both sides: asynchronous; the host must not
  // touch a pinned buffer until it has waited for the stream.
  enqueue(st, [dst, src, bytes] {
    std::memmove(dst, src, bytes);
    return cudaSuccess;
  });
  return cudaSuccess;
}

cudaError_t cudaMemcpy(void* dst, const void* src, std::size_t bytes,
                       cudaMemcpyKind kind) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  run_all();  // the legacy default stream waits for the
              // others
  const cudaError_t e = cudaMemcpyAsync(dst, src, bytes, kind, nullptr);
  if (e != cudaSuccess) return e;
  run_all();
  return sticky_status();
}

cudaError_t cudaMemcpyPeerAsync(void* dst, int dst_device, const void* src,
                                int src_device, std::size_t bytes,
                                cudaStream_t stream) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  if (bytes == 0) return cudaSuccess;
  const Allocation* d = find(dst, bytes);
  const Allocation* from = find(src, bytes);
  if (d == nullptr || from == nullptr || d->device != dst_device ||
      from->device != src_device) {
    report(
        "cudaMemcpyPeerAsync: a pointer is not device memory of the "
        "device given for it");
    return fail(cudaErrorInvalidValue);
  }
  enqueue(stream, [dst, src, bytes] {
    std::memmove(dst, src, bytes);
    return cudaSuccess;
  });
  return cudaSuccess;
}

cudaError_t cudaMemsetAsync(void* ptr, int value, std::size_t bytes,
                            cudaStream_t stream) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  if (bytes == 0) return cudaSuccess;
  if (find(ptr, bytes) == nullptr) {
    report("cudaMemsetAsync outside device memory");
    return fail(cudaErrorInvalidValue);
  }
  enqueue(stream, [ptr, value, bytes] {
    std::memset(ptr, value, bytes);
    return cudaSuccess;
  });
  return cudaSuccess;
}

cudaError_t cudaMemset(void* ptr, int value, std::size_t bytes) {
  auto& s = state();
  std::lock_guard lock(s.mutex);
  const cudaError_t e = cudaMemsetAsync(ptr, value, bytes, nullptr);
  if (e != cudaSuccess) return e;
  run_all();
  return sticky_status();
}
