// What the simulated cuSOLVER's files (cusolver.cc, cusolver_jacobi.cc)
// share: the handle, the generous workspace size, the call-time extent
// checks and enqueuing work on the handle's stream.
#pragma once

#include <cusolverDn.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "cuda_sim/stream.h"

struct cusolverDnContext {
  cudaStream_t stream = nullptr;
};

namespace cuda_sim::solver {

// The workspace size every routine asks for: generous, so a backend that
// passes a smaller buffer is caught by the extent check.
inline int workspace_for(int64_t m, int64_t n) {
  return static_cast<int>(std::max<int64_t>(1, 2 * (m + 1) * (n + 1)));
}

inline bool check_extent(const std::string& name, const char* what, bool ok) {
  if (!ok) {
    report(name + ": " + what +
           " is not device memory, or extends past the end of its "
           "allocation");
  }
  return ok;
}

template <typename T>
bool array_on_device(const T* p, int64_t count) {
  return count <= 0 ||
         is_device_range(p, static_cast<std::size_t>(count) * sizeof(T));
}

// Enqueues `work` on the handle's stream.
template <typename Work>
cusolverStatus_t enqueue(cusolverDnHandle_t handle, Work work) {
  cuda_sim::enqueue(handle->stream, [work] {
    work();
    return cudaSuccess;
  });
  return CUSOLVER_STATUS_SUCCESS;
}

}  // namespace cuda_sim::solver
