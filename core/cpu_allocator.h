// The CPU allocator: 64-byte aligned blocks, with large blocks (> 64 KiB)
// kept in a cache on release and reused. Fresh large blocks cost page faults
// on first touch (a 300 MB per-sample gradient: ~100 ms); transforms
// allocate blocks of the same sizes call after call, so reuse pays.
// Small blocks (<= 64 KiB) are cached too, by size class, in a bounded
// cache per thread (256 KiB) over a shared one (4 MiB): aligned malloc and
// free were ~23% of tiny-op workloads (grad or vmap of a tiny function).
// A block may be freed on any thread. With AddressSanitizer nothing is
// cached, so use-after-free stays detectable. Cached blocks are not in use:
// memory_stats and live_storage_bytes do not count them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/storage.h"

namespace fnx {

Allocator& cpu_allocator();

// Frees every cached block back to the system; returns the bytes freed.
// Small blocks cached by other threads are freed at their next allocation
// or release, or when they exit.
int64_t release_cached_cpu_memory();
// Bytes held in the caches (not used by any storage): large and small.
int64_t cached_cpu_bytes();
int64_t cached_large_cpu_bytes();
int64_t cached_small_cpu_bytes();

}  // namespace fnx
