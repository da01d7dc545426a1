#include "core/memory_stats.h"

#include <array>
#include <atomic>

#include "core/error.h"

namespace fnx {
namespace {

// Indices past this share the last slot (no machine here has 16 GPUs).
constexpr int kMaxIndex = 16;

struct Counters {
  std::atomic<int64_t> live{0};
  std::atomic<int64_t> peak{0};
};

Counters& counters(Device device) {
  static std::array<std::array<Counters, kMaxIndex>, kNumDeviceTypes> all;
  const int index =
      device.index < 0 ? 0 : std::min(device.index, kMaxIndex - 1);
  return all[static_cast<int>(device.type)][index];
}

}  // namespace

MemoryStats memory_stats(Device device) {
  const Counters& c = counters(device);
  return {c.live.load(std::memory_order_relaxed),
          c.peak.load(std::memory_order_relaxed)};
}

void reset_peak_memory(Device device) {
  Counters& c = counters(device);
  c.peak.store(c.live.load(std::memory_order_relaxed),
               std::memory_order_relaxed);
}

namespace memory_internal {

void note_allocated(Device device, int64_t nbytes) {
  Counters& c = counters(device);
  const int64_t now =
      c.live.fetch_add(nbytes, std::memory_order_relaxed) + nbytes;
  int64_t peak = c.peak.load(std::memory_order_relaxed);
  while (now > peak &&
         !c.peak.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
}

void note_released(Device device, int64_t nbytes) {
  counters(device).live.fetch_sub(nbytes, std::memory_order_relaxed);
}

}  // namespace memory_internal
}  // namespace fnx
