// The backend's runtime: error checking, and one context per device (its
// stream and lazily created cuBLAS, cuSOLVER and cuDNN handles bound to that stream).
// Everything the backend enqueues for a device goes to that device's one
// stream, so work is ordered and a host read only has to synchronize it.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>
#include <cudnn.h>
#include <cusolverDn.h>

#include <mutex>
#include <string_view>

#include "backends/cuda/cuda.h"
#include "core/device.h"

namespace fnx::cuda {

// Throw fnx::Error("[cuda] <call>: <status name>: <status string>") unless
// the status is success.
void check(cudaError_t status, std::string_view call);
void check(cublasStatus_t status, std::string_view call);
void check(cudnnStatus_t status, std::string_view call);
void check(cusolverStatus_t status, std::string_view call);

// A library handle with the lock that makes its use exclusive: cuBLAS
// settings such as the math mode belong to the handle, and a cuDNN handle
// must not be used by two host threads at once. Calls only enqueue work, so
// the lock is held briefly.
template <typename Handle>
struct Exclusive {
  Handle handle;
  std::unique_lock<std::mutex> lock;
};

struct Context {
  int index = 0;
  cudaStream_t stream = nullptr;
  Exclusive<cublasHandle_t> cublas() const;  // created on first use
  Exclusive<cudnnHandle_t> cudnn() const;    // created on first use
  Exclusive<cusolverDnHandle_t> cusolver() const;  // created on first use
};

// The context of a CUDA device, made current on this thread. The first call
// checks that the device exists: an fnx::Error when CUDA reports no device
// (or no driver) or the index is out of range.
Context& context(Device device);
// device_count() and synchronize() are public: backends/cuda/cuda.h.

}  // namespace fnx::cuda

#define FNX_CUDA_CHECK(call) ::fnx::cuda::check((call), #call)
