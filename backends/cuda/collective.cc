// The Collective primitives on CUDA: the shared kernels
// (backends/common/collective_kernels.h); the process group moves device
// memory (through the host for the MPI group).
#include "backends/common/collective_kernels.h"
#include "core/registry.h"

namespace fnx::cuda {

FNX_REGISTER_PLUGIN("cuda") {
  backend::register_collective_kernels(r, DeviceType::CUDA);
}

}  // namespace fnx::cuda
