// The Collective primitives' kernels, the same for every backend: each
// makes its input contiguous, lays it out as the group wants it and calls
// the process group (core/collective.h), which moves the bytes on whatever
// device they live. Each backend registers them for its own device type.
#pragma once

#include "core/registry.h"

namespace fnx::backend {

// Registers the five collective kernels (AllReduce, AllGather,
// ReduceScatter, Broadcast, Ppermute) for `device`.
void register_collective_kernels(Registrar& r, DeviceType device);

}  // namespace fnx::backend
