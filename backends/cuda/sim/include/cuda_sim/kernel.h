// cuda_sim's kernel language: CUDA's built-in variables and device
// functions for kernels compiled as host C++, and launch(), which the
// backend uses in place of <<<grid, block, 0, stream>>>.
//
// A launch is enqueued like any stream work. When it runs, the blocks run
// one after another and each block's threads run as fibers on one host
// thread, switching only at __syncthreads() and warp shuffles: each
// barrier waits for every thread (or lane) that has not returned, so
// shared memory (`__shared__` is a function-local static) and shuffles
// behave as on the GPU. Launch limits are checked as CUDA checks them.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "cuda_sim/stream.h"

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
#define __launch_bounds__(...)

struct uint3 {
  unsigned x = 0, y = 0, z = 0;
};

// The running thread's coordinates (set by the scheduler at every switch).
inline thread_local uint3 threadIdx;
inline thread_local uint3 blockIdx;
inline thread_local dim3 blockDim;
inline thread_local dim3 gridDim;

namespace cuda_sim {

// Runs `thread` once per thread of the grid (see the file comment). Returns
// cudaErrorLaunchFailure, with a report, when the kernel misuses a barrier.
// `kernel` identifies the kernel (see kernel.cc: launches of kernels that
// never reach a barrier skip the fibers).
cudaError_t run_grid(dim3 grid, dim3 block, const void* kernel,
                     const std::function<void()>& thread);

// The launch-configuration check CUDA does at launch time.
cudaError_t check_launch(dim3 grid, dim3 block);

// Barrier of the running block / of the running thread's warp.
void sync_block();
// Lane exchange for __shfl_down_sync: publishes `bytes` of this lane's value
// and copies those of lane (lane + delta) into `out` (its own value when that
// lane is past the warp).
void shuffle_down(const void* value, void* out, std::size_t bytes, int delta);

// Whether a kernel argument is acceptable: pointers must be device memory
// (or null); other values are passed by copy.
template <typename T>
bool device_argument_ok(const T& value) {
  if constexpr (std::is_pointer_v<T>) {
    return value == nullptr || is_device_range(value, 1);
  } else {
    return true;
  }
}

template <typename... Params, typename... Args>
void launch(void (*kernel)(Params...), dim3 grid, dim3 block,
            cudaStream_t stream, Args&&... args) {
  cudaError_t status = check_launch(grid, block);
  if (status != cudaSuccess) {
    set_last_error(status);
    return;
  }
  std::tuple<std::decay_t<Params>...> params(
      static_cast<Params>(std::forward<Args>(args))...);
  const bool ok = std::apply(
      [](const auto&... p) { return (device_argument_ok(p) && ...); }, params);
  if (!ok) {
    report("a kernel was given a host pointer as an argument");
    set_last_error(cudaErrorInvalidValue);
    return;
  }
  enqueue(stream, [kernel, grid, block, params] {
    return run_grid(grid, block, reinterpret_cast<const void*>(kernel),
                    [&] { std::apply(kernel, params); });
  });
}

}  // namespace cuda_sim

inline void __syncthreads() { cuda_sim::sync_block(); }

template <typename T>
T __shfl_down_sync(unsigned /*mask*/, T value, unsigned delta) {
  static_assert(std::is_trivially_copyable_v<T>);
  T out;
  cuda_sim::shuffle_down(&value, &out, sizeof(T), static_cast<int>(delta));
  return out;
}

// Fibers of one block share a host thread and blocks run in turn, so plain
// read-modify-writes are atomic here.
template <typename T>
T atomicAdd(T* address, T value) {
  const T old = *address;
  *address = old + value;
  return old;
}

template <typename T>
T atomicCAS(T* address, T compare, T value) {
  const T old = *address;
  if (old == compare) *address = value;
  return old;
}

inline unsigned __umulhi(unsigned a, unsigned b) {
  return static_cast<unsigned>((uint64_t{a} * b) >> 32);
}
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __dadd_rn(double a, double b) { return a + b; }

// CUDA's device min/max overloads.
template <typename T>
T min(T a, T b) {
  return b < a ? b : a;
}
template <typename T>
T max(T a, T b) {
  return a < b ? b : a;
}
