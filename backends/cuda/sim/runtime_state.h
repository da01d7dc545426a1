// cuda_sim's runtime state, shared by the files that implement the CUDA
// runtime API (runtime.cc: devices, errors and the execution model;
// memory.cc: allocations and copies; streams.cc: streams and events).
//
// Device memory is one reserved address range, inaccessible to host code
// (PROT_NONE) except while stream work runs; each allocation is followed
// by an inaccessible guard page and is filled with 0xff bytes (NaN, -1) so
// that reads of memory nobody wrote show. Stream work runs when the host
// waits for it, under one lock (a device runs one thing at a time here).
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "cuda_sim/stream.h"

struct CUstream_st {
  int device = 0;
  std::deque<std::function<cudaError_t()>> queue;
  uint64_t enqueued = 0;  // items ever enqueued
  uint64_t finished = 0;  // items ever run
};

struct CUevent_st {
  CUstream_st* stream = nullptr;  // where it was last recorded
  uint64_t position = 0;          // complete once that many items ran
};

namespace cuda_sim::detail {

inline constexpr std::size_t kPage = 4096;
inline constexpr std::size_t kArenaBytes = std::size_t{1} << 38;

inline std::size_t round_up(std::size_t n, std::size_t to) {
  return (n + to - 1) / to * to;
}

// cudaMalloc's alignment: an allocation starts on a multiple of it.
inline constexpr std::size_t kAlignment = 256;

// An allocation's pages are [base, base + reserved), then one inaccessible
// guard page. Its bytes end as close to the guard page as kAlignment lets
// them (the pointer handed out is past `base`), so a kernel that runs past
// the end faults, as under compute-sanitizer's memcheck.
struct Allocation {
  std::size_t bytes;
  int device;
  uintptr_t base;
  std::size_t reserved;
};

struct State {
  std::recursive_mutex mutex;
  char* arena = nullptr;
  std::size_t used = 0;      // bytes of the arena ever handed out (bump)
  std::size_t capacity = 0;  // device memory limit, all devices together
  std::size_t in_use = 0;
  std::map<uintptr_t, Allocation> live;
  std::map<uintptr_t, std::size_t> free_ranges;  // address -> bytes
  std::map<uintptr_t, std::size_t> pinned;       // address -> bytes
  int device_count = 2;
  std::vector<std::unique_ptr<CUstream_st>> default_streams;
  std::set<CUstream_st*> streams;
  cudaError_t sticky = cudaSuccess;  // an asynchronous failure
  bool device_access = false;
};

State& state();

// The calling thread's last error and current device.
extern thread_local cudaError_t last_error;
extern thread_local int device;

// Records e as the last error and returns it.
cudaError_t fail(cudaError_t e);

// Reserves the arena and installs the fault handler that explains faults
// in it (first cudaMalloc).
void reserve_arena(State& s);

// The stream for `stream` (nullptr: the current device's default stream).
CUstream_st* resolve(cudaStream_t stream);
// Runs the stream's queue up to (and including) item `position`.
void run_until(CUstream_st* st, uint64_t position);
void run_stream(CUstream_st* st);
void run_all();
// The status a synchronizing call returns: a failure of work that ran.
cudaError_t sticky_status();

bool is_pinned(const void* p, std::size_t bytes);
// The live allocation holding [ptr, ptr + bytes), or nullptr.
const Allocation* find(const void* ptr, std::size_t bytes);

}  // namespace cuda_sim::detail
