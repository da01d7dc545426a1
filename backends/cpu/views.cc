// The view primitives: results share the input's storage (the metadata
// kernels are shared with every backend, backends/common/view_kernels.h);
// Reshape copies only when no strides can express the new shape.
#include "backends/common/view_kernels.h"
#include "backends/cpu/common.h"
#include "core/registry.h"

namespace fnx::cpu {
namespace {

Tensor reshape_kernel(const OpCall& call, const OutMeta& out) {
  if (auto view = backend::reshape_view(call)) return *std::move(view);
  // Row-major order is the same in both shapes: copy x's elements in order.
  const Tensor& x = call.inputs[0];
  Tensor result = make_result(out);
  strided_copy(x.shape(), byte_ptr(result), out.dtype,
               contiguous_strides(x.shape()), byte_ptr(x), x.dtype(),
               x.strides());
  return result;
}

}  // namespace

FNX_REGISTER_PLUGIN("cpu") {
  constexpr DeviceType kCpu = DeviceType::CPU;
  r.kernel(kCpu, Prim::Reshape, &reshape_kernel);
  r.kernel(kCpu, Prim::Permute, &backend::permute_kernel);
  r.kernel(kCpu, Prim::Expand, &backend::expand_kernel);
  r.kernel(kCpu, Prim::Slice, &backend::slice_kernel);
}

}  // namespace fnx::cpu
