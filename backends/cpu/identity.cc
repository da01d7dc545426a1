// StopGradient: on concrete tensors it is the identity (the result aliases
// the input); its meaning lives in the differentiation transforms' rules.
#include "core/registry.h"
#include "core/tensor.h"

namespace fnx::cpu {
namespace {

Tensor identity_kernel(const OpCall& call, const OutMeta&) {
  const Tensor& x = call.inputs[0];
  return make_view(x, x.shape(), x.strides(), x.offset());
}

}  // namespace

FNX_REGISTER_PLUGIN("cpu") {
  r.kernel(DeviceType::CPU, Prim::StopGradient, &identity_kernel);
}

}  // namespace fnx::cpu
