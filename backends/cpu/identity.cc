// StopGradient: on concrete tensors it is the identity (the result aliases
// the input); its meaning lives in the differentiation transforms' rules.
#include "backends/common/view_kernels.h"
#include "core/registry.h"

FNX_REGISTER_PLUGIN("cpu") {
  r.kernel(fnx::DeviceType::CPU, fnx::Prim::StopGradient,
           &fnx::backend::identity_kernel);
}
