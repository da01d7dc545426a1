// NCCL process groups for CUDA tensors (built with --config=cuda; without
// it nccl_group throws). The group's ranks are those of `bootstrap` (an
// MPI group, or the single-process group), each on its own GPU: rank 0
// makes NCCL's unique id and the bootstrap group broadcasts it. The
// collectives over the returned group take CUDA tensors on `device`.
#pragma once

#include "core/device.h"
#include "transforms/distributed/process_group.h"

namespace fnx::dist {

Group nccl_group(const Group& bootstrap, Device device);

}  // namespace fnx::dist
