#include "backends/cuda/kernel_errors.h"

#include <array>
#include <cstring>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/storage.h"

namespace fnx::cuda {
namespace {

constexpr int kSlots = 1024;
constexpr std::size_t kSlotBytes = 16;  // int flag, then int64 value at 8
constexpr int kMaxDevices = 16;

struct Pending {
  std::string op;
  int64_t dim, size;
};

// Check number q uses slot q % kSlots; checks [read, issued) are pending.
struct DeviceErrors {
  std::mutex mutex;
  std::shared_ptr<Storage> ring;  // kSlots slots, zero when unused
  std::deque<Pending> pending;    // checks [read, issued), in order
  uint64_t issued = 0, read = 0;
};

DeviceErrors& errors_of(const Context& ctx) {
  // Never destroyed: storages may be released during static destruction.
  static auto* all = new std::array<DeviceErrors, kMaxDevices>;
  return (*all)[static_cast<std::size_t>(ctx.index)];
}

// Reads and clears the slots of checks [read, upto), whose kernels have
// completed; returns the first error's message, or an empty string. Call
// with e.mutex held.
std::string collect(const Context& ctx, DeviceErrors& e, uint64_t upto) {
  if (upto <= e.read) return {};
  std::vector<char> host(kSlots * kSlotBytes);
  // To pageable memory: returns when the copy is done.
  FNX_CUDA_CHECK(cudaMemcpyAsync(host.data(), e.ring->data(), host.size(),
                                 cudaMemcpyDeviceToHost, ctx.stream));
  std::string message;
  for (uint64_t q = e.read; q < upto; ++q) {
    const std::size_t at = (q % kSlots) * kSlotBytes;
    int flag;
    int64_t bad;
    std::memcpy(&flag, host.data() + at, sizeof(flag));
    std::memcpy(&bad, host.data() + at + 8, sizeof(bad));
    const Pending& p = e.pending[q - e.read];
    if (flag != 0) {
      FNX_CUDA_CHECK(cudaMemsetAsync(static_cast<char*>(e.ring->data()) + at, 0,
                                     kSlotBytes, ctx.stream));
      if (message.empty()) {
        message =
            str_cat("[", p.op, "] index ", bad, " is out of range for dim ",
                    p.dim, " of size ", p.size,
                    " (found by a CUDA kernel, reported at the next "
                    "host read of the device)");
      }
    }
  }
  e.pending.erase(
      e.pending.begin(),
      e.pending.begin() + static_cast<std::ptrdiff_t>(upto - e.read));
  e.read = upto;
  return message;
}

}  // namespace

IndexError index_check_slot(const Context& ctx, std::string_view op,
                            int64_t dim, int64_t size) {
  DeviceErrors& e = errors_of(ctx);
  std::string full;
  std::unique_lock<std::mutex> lock(e.mutex);
  if (!e.ring) {
    e.ring = Storage::allocate(kSlots * kSlotBytes, Device::cuda(ctx.index));
    FNX_CUDA_CHECK(
        cudaMemsetAsync(e.ring->data(), 0, kSlots * kSlotBytes, ctx.stream));
  }
  if (e.issued - e.read == kSlots) {  // full: read every slot first
    FNX_CUDA_CHECK(cudaStreamSynchronize(ctx.stream));
    full = collect(ctx, e, e.issued);
  }
  if (!full.empty()) {
    lock.unlock();
    throw Error(full);
  }
  char* slot =
      static_cast<char*>(e.ring->data()) + (e.issued % kSlots) * kSlotBytes;
  ++e.issued;
  e.pending.push_back({std::string(op), dim, size});
  return {reinterpret_cast<int*>(slot), reinterpret_cast<int64_t*>(slot + 8)};
}

uint64_t kernel_errors_mark(const Context& ctx) {
  DeviceErrors& e = errors_of(ctx);
  std::lock_guard<std::mutex> lock(e.mutex);
  return e.issued;
}

void raise_kernel_errors(const Context& ctx, uint64_t mark) {
  DeviceErrors& e = errors_of(ctx);
  std::string message;
  {
    std::lock_guard<std::mutex> lock(e.mutex);
    message = collect(ctx, e, mark);
  }
  if (!message.empty()) throw Error(message);
}

}  // namespace fnx::cuda
