// Live and peak bytes of tensor memory per device: the analog of
// torch.cuda.memory_allocated / max_memory_allocated, for every device type.
// Every Storage counts (CPU and CUDA alike) from its allocation to its
// release; caches an allocator keeps behind that are not counted.
#pragma once

#include <cstdint>

#include "core/device.h"

namespace fnx {

struct MemoryStats {
  int64_t live_bytes = 0;  // held by storages alive now
  int64_t peak_bytes = 0;  // the most held at once since the last reset
};

// The figures of one device (devices of a type are told apart by index).
MemoryStats memory_stats(Device device = Device::cpu());
// Starts a new high-water mark at the bytes live now.
void reset_peak_memory(Device device = Device::cpu());

namespace memory_internal {
// Storage calls these as it is made and released.
void note_allocated(Device device, int64_t nbytes);
void note_released(Device device, int64_t nbytes);
}  // namespace memory_internal

}  // namespace fnx
