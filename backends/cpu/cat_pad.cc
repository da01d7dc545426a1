// Shape primitives that copy: Cat (concatenation along a dim) and Pad
// (constant padding per dim; negative amounts crop).
#include <algorithm>

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
  const auto& a = call.attr<PadAttrs>();
  const int64_t rank = x.dim();
  FNX_CHECK(static_cast<int64_t>(a.lo.size()) == rank &&
                static_cast<int64_t>(a.hi.size()) == rank &&
                static_cast<int64_t>(out.shape.size()) == rank,
            call.name(), "padding needs one (lo, hi) pair per dim of ",
            shape_str(x.shape()));
  Tensor result = make_result(out);
  const int64_t n = numel(out.shape);
  if (n == 0) return result;
  const Strides out_strides = contiguous_strides(out.shape);
  // The region of x that survives cropping and where it lands in the result.
  Shape region(rank);
  int64_t src_off = 0, dst_off = 0;
  bool empty_region = false;
  for (int64_t d = 0; d < rank; ++d) {
    FNX_CHECK(x.shape()[d] + a.lo[d] + a.hi[d] == out.shape[d], call.name(),
              "padding (", a.lo[d], ", ", a.hi[d], ") of dim ", d, " of ",
              shape_str(x.shape()), " does not give ", shape_str(out.shape));
    const int64_t src_start = std::max<int64_t>(0, -a.lo[d]);
    const int64_t dst_start = std::max<int64_t>(0, a.lo[d]);
    region[d] = std::max<int64_t>(
        0, std::min(x.shape()[d] - src_start, out.shape[d] - dst_start));
    empty_region = empty_region || region[d] == 0;
    src_off += src_start * x.strides()[d];
    dst_off += dst_start * out_strides[d];
  }
  if (empty_region || numel(region) != n)
    fill(byte_ptr(result), out.dtype, n, a.value);
  if (!empty_region) {
    const int64_t out_item = static_cast<int64_t>(itemsize(out.dtype));
    const int64_t x_item = static_cast<int64_t>(itemsize(x.dtype()));
    strided_copy(region, byte_ptr(result) + dst_off * out_item, out.dtype,
                 out_strides, byte_ptr(x) + src_off * x_item, x.dtype(),
                 x.strides());
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
