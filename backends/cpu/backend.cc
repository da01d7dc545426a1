// Names the CPU backend for `fnx info`. Each kernel file registers its own
// family's kernels under the same plugin name, "cpu".
#include "core/registry.h"

FNX_REGISTER_PLUGIN("cpu") {
  r.backend(fnx::DeviceType::CPU, "cpu (OpenBLAS, thread pool)");
}
