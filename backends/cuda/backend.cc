// Names the CUDA backend for `fnx info` and installs its allocator (device
// memory and the host <-> device copies core's to_device runs through).
// Each kernel file registers its own family's kernels under the same plugin
// name, "cuda". Registering touches no GPU: a machine without one fails
// only when a CUDA tensor is made, with an fnx::Error saying so.
#include "backends/cuda/allocator.h"
#include "core/registry.h"
#include "core/storage.h"

FNX_REGISTER_PLUGIN("cuda") {
  r.backend(fnx::DeviceType::CUDA,
            "cuda (cuBLAS, cuDNN, caching allocator, one stream per device)");
  fnx::set_allocator(fnx::DeviceType::CUDA, &fnx::cuda::cuda_allocator());
}
