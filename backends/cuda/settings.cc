// The public switches and queries of cuda.h.
#include <atomic>
#include <cstdlib>
#include <cstring>

#include "backends/cuda/allocator.h"
#include "backends/cuda/cuda.h"
#include "backends/cuda/runtime.h"

namespace fnx::cuda {
namespace {

std::atomic<bool>& tf32_flag() {
  static std::atomic<bool> flag = [] {
    const char* env = std::getenv("FNX_CUDA_ALLOW_TF32");
    return env != nullptr && std::strcmp(env, "1") == 0;
  }();
  return flag;
}

}  // namespace

bool is_available() { return device_count() > 0; }
void set_allow_tf32(bool allow) { tf32_flag().store(allow); }
bool allow_tf32() { return tf32_flag().load(std::memory_order_relaxed); }

int64_t allocated_bytes(int device) { return memory_stats(device).allocated; }
int64_t cached_bytes(int device) { return memory_stats(device).cached; }
int64_t peak_allocated_bytes(int device) { return memory_stats(device).peak; }
int64_t device_malloc_calls(int device) {
  return memory_stats(device).device_mallocs;
}

}  // namespace fnx::cuda
