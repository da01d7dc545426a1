// The Collective primitives on the CPU: the shared kernels
// (backends/common/collective_kernels.h) over host memory.
#include "backends/common/collective_kernels.h"
#include "core/registry.h"

namespace fnx::cpu {

FNX_REGISTER_PLUGIN("cpu") {
  backend::register_collective_kernels(r, DeviceType::CPU);
}

}  // namespace fnx::cpu
