// The CPU allocator: 64-byte aligned blocks, with large blocks (>= 1 MiB)
// kept in a cache on release and reused. Fresh large blocks cost page faults
// on first touch (a 300 MB per-sample gradient: ~100 ms); transforms
// allocate blocks of the same sizes call after call, so reuse pays.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/storage.h"

namespace fnx {

Allocator& cpu_allocator();

// Frees every cached block back to the system; returns the bytes freed.
int64_t release_cached_cpu_memory();
// Bytes held in the cache (not used by any storage).
int64_t cached_cpu_bytes();

}  // namespace fnx
