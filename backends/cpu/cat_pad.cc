// Shape primitives that copy: Cat (concatenation along a dim) and Pad
// (constant padding per dim; negative amounts crop).
#include <algorithm>

#include "backends/common/pad_plan.h"
#include "backends/cpu/common.h"
#include "core/registry.h"

namespace fnx::cpu {
namespace {

Tensor cat_kernel(const OpCall& call, const OutMeta& out) {
  const int64_t rank = static_cast<int64_t>(out.shape.size());
  const int64_t dim = call.attr<DimAttrs>().dim;
  FNX_CHECK(dim >= 0 && dim < rank, call.name(), "dim ", dim,
            " is out of range for a result of shape ", shape_str(out.shape));
  Tensor result = make_result(out);
  const Strides out_strides = contiguous_strides(out.shape);
  const int64_t item = static_cast<int64_t>(itemsize(out.dtype));
  int64_t at = 0;
  for (const Tensor& x : call.inputs) {
    FNX_CHECK(x.dim() == rank, call.name(), "input of shape ",
              shape_str(x.shape()), " does not match the result's rank ", rank);
    for (int64_t d = 0; d < rank; ++d) {
      FNX_CHECK(d == dim || x.shape()[d] == out.shape[d], call.name(),
                "input of shape ", shape_str(x.shape()),
                " does not match the result's shape ", shape_str(out.shape),
                " outside dim ", dim);
    }
    FNX_CHECK(at + x.shape()[dim] <= out.shape[dim], call.name(),
              "inputs are longer along dim ", dim, " than the result ",
              shape_str(out.shape));
    if (x.numel() > 0) {
      strided_copy(x.shape(), byte_ptr(result) + at * out_strides[dim] * item,
                   out.dtype, out_strides, byte_ptr(x), x.dtype(), x.strides());
    }
    at += x.shape()[dim];
  }
  return result;
}

Tensor pad_kernel(const OpCall& call, const OutMeta& out) {
  const Tensor& x = call.inputs[0];
  Tensor result = make_result(out);
  const int64_t n = numel(out.shape);
  if (n == 0) return result;
  const backend::PadPlan p = backend::pad_plan(call, out);
  if (p.fills)
    fill(byte_ptr(result), out.dtype, n, call.attr<PadAttrs>().value);
  if (p.copies) {
    const int64_t out_item = static_cast<int64_t>(itemsize(out.dtype));
    const int64_t x_item = static_cast<int64_t>(itemsize(x.dtype()));
    strided_copy(p.region, byte_ptr(result) + p.dst_offset * out_item,
                 out.dtype, p.out_strides, byte_ptr(x) + p.src_offset * x_item,
                 x.dtype(), x.strides());
  }
  return result;
}

}  // namespace

FNX_REGISTER_PLUGIN("cpu") {
  constexpr DeviceType kCpu = DeviceType::CPU;
  r.kernel(kCpu, Prim::Cat, &cat_kernel);
  r.kernel(kCpu, Prim::Pad, &pad_kernel);
}

}  // namespace fnx::cpu
