// cuda_sim's execution model, for the simulated libraries (cuBLAS, cuDNN)
// and the kernel launcher.
//
// Work enqueued on a stream does not run when it is enqueued: it runs, in
// order, when the host waits for it (stream, event or device
// synchronization, cudaFree, a copy to pageable host memory). A backend
// that reads a result without waiting for it therefore reads stale memory
// in the simulator too. Device memory is inaccessible (PROT_NONE) to host
// code: only work running on a stream may touch it, so host code that
// dereferences a device pointer faults with a message that says so.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <functional>
#include <string>

namespace cuda_sim {

// Enqueues work on the stream (nullptr: the legacy default stream of the
// current device). Work runs with device memory accessible and reports a
// failure by returning a non-success status, which becomes the sticky
// error of the next API call, as an asynchronous CUDA error does.
void enqueue(cudaStream_t stream, std::function<cudaError_t()> work);

// Whether [ptr, ptr + bytes) lies within one live device allocation.
bool is_device_range(const void* ptr, std::size_t bytes);

// Records an error for cudaGetLastError (launch-configuration errors are
// reported there, synchronously, as CUDA does).
void set_last_error(cudaError_t error);

// Writes "cuda_sim: <message>" to stderr; for misuse the real hardware
// would answer with a fault or undefined behaviour.
void report(const std::string& message);

}  // namespace cuda_sim
