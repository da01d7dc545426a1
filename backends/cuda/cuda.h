// The CUDA backend's public switches and queries (the backend registers
// itself: link //backends/cuda with --config=cuda, or let fnx load
// libfnx_cuda.so the first time a CUDA device is used). Tensors move with
// x.to(Device::cuda()); everything else is the ordinary op API.
#pragma once

#include <cstdint>

#include "core/device.h"

namespace fnx::cuda {

// Whether a CUDA device can be used (driver present and at least one GPU).
bool is_available();
int device_count();
// Waits for all work queued on the device (benchmarks, timing).
void synchronize(Device device = Device::cuda());

// TF32 tensor-core math for float32 matmul (cuBLAS) and convolution
// (cuDNN): off by default (full float32 precision), as torch's
// allow_tf32 = False; the environment variable FNX_CUDA_ALLOW_TF32=1 turns
// it on at start-up.
void set_allow_tf32(bool allow);
bool allow_tf32();

// Device memory held by the caching allocator. FNX_CUDA_NO_CACHING=1 at
// start-up turns caching off, for memory checkers (compute-sanitizer's
// memcheck, the simulator's guard pages): every tensor gets a cudaMalloc of
// its exact size, freed (cudaFree waits for the device) when released.
// Slow; as torch's PYTORCH_NO_CUDA_MEMORY_CACHING.
int64_t allocated_bytes(int device = 0);  // in tensors
int64_t cached_bytes(int device = 0);     // kept for reuse
int64_t peak_allocated_bytes(int device = 0);
int64_t device_malloc_calls(int device = 0);
void empty_cache();

}  // namespace fnx::cuda
