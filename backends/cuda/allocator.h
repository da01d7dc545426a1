// Device memory: a caching allocator per device (blocks are kept on release
// and handed out again, so steady-state ops never call cudaMalloc), and the
// copies between host and device memory that core's to_device runs through
// Allocator::copy_bytes (large ones staged through pinned host buffers).
#pragma once

#include <cstdint>

#include "backends/cuda/cuda.h"
#include "core/storage.h"

namespace fnx::cuda {

Allocator& cuda_allocator();

struct MemoryStats {
  int64_t allocated = 0;       // bytes in blocks handed out
  int64_t cached = 0;          // bytes in blocks kept for reuse
  int64_t peak = 0;            // most bytes handed out at once
  int64_t device_mallocs = 0;  // cudaMalloc calls so far
};
MemoryStats memory_stats(int device);
// empty_cache() is public: backends/cuda/cuda.h.

}  // namespace fnx::cuda
