// Memory, creation and shape primitives on CUDA: Copy, CopyInto, Full,
// Iota, Cat, Pad, and the views (metadata only, shared with every backend;
// Reshape copies when no strides can express the new shape). All copies are
// the strided copy kernel.
#include <algorithm>

#include "backends/common/device_transfer.h"
#include "backends/common/pad_plan.h"
#include "backends/common/view_kernels.h"
#include "backends/cuda/tensors.h"
#include "core/error.h"
#include "core/registry.h"

namespace fnx::cuda {
namespace {

Tensor copy_kernel(const OpCall& call, const OutMeta& out) {
  const Tensor& x = call.inputs[0];
  Tensor result = make_result(out);
  strided_copy(context_of(out), out.shape, dptr(result), out.dtype,
               contiguous_strides(out.shape), dptr(x), x.dtype(),
               broadcast_strides(x, out.shape));
  return result;
}

// CopyInto(dst, src): src broadcast and cast into dst's memory; returns dst.
Tensor copy_into_kernel(const OpCall& call, const OutMeta& out) {
  const Tensor& dst = call.inputs[0];
  Tensor src = call.inputs[1];
  const Shape& ds = dst.shape();
  for (int64_t d = 0; d < dst.dim(); ++d) {
    FNX_CHECK(ds[d] <= 1 || dst.strides()[d] != 0, "copy_",
              "unsupported operation: the destination of shape ", shape_str(ds),
              " is expanded (stride 0 along dim ", d,
              "), so more than one element of the destination refers to the "
              "same memory location; call clone() first");
  }
  if (dst.numel() > 0) {
    if (src.numel() > 0 && src.impl()->storage == dst.impl()->storage) {
      const auto [dlo, dhi] = backend::byte_extent(dst, dptr(dst));
      const auto [slo, shi] = backend::byte_extent(src, dptr(src));
      if (slo < dhi && dlo < shi) src = contiguous_copy(src, src.dtype());
    }
    strided_copy(context_of(out), ds, dptr(dst), dst.dtype(), dst.strides(),
                 dptr(src), src.dtype(), broadcast_strides(src, ds));
  }
  dst.impl()->storage->bump_version();
  return dst;
}

Tensor full_kernel(const OpCall& call, const OutMeta& out) {
  const Context& ctx = context_of(out);
  Tensor result = make_result(out);
  fill(ctx, dptr(result), out.dtype, numel(out.shape),
       call.attr<FullAttrs>().value);
  return result;
}

Tensor iota_kernel(const OpCall& call, const OutMeta& out) {
  const Context& ctx = context_of(out);
  Tensor result = make_result(out);
  launched(launch_iota(scalar_of(out.dtype), dptr(result), numel(out.shape),
                       ctx.stream),
           call.name());
  return result;
}

Tensor cat_kernel(const OpCall& call, const OutMeta& out) {
  const Context& ctx = context_of(out);
  const int64_t dim = call.attr<DimAttrs>().dim;
  Tensor result = make_result(out);
  const Strides out_strides = contiguous_strides(out.shape);
  const int64_t item = static_cast<int64_t>(itemsize(out.dtype));
  int64_t at = 0;
  for (const Tensor& x : call.inputs) {
    if (x.numel() > 0) {
      strided_copy(ctx, x.shape(), dptr(result) + at * out_strides[dim] * item,
                   out.dtype, out_strides, dptr(x), x.dtype(), x.strides());
    }
    at += x.shape()[dim];
  }
  return result;
}

Tensor pad_kernel(const OpCall& call, const OutMeta& out) {
  const Context& ctx = context_of(out);
  const Tensor& x = call.inputs[0];
  Tensor result = make_result(out);
  const int64_t n = numel(out.shape);
  if (n == 0) return result;
  const backend::PadPlan p = backend::pad_plan(call, out);
  if (p.fills) {
    fill(ctx, dptr(result), out.dtype, n, call.attr<PadAttrs>().value);
  }
  if (p.copies) {
    const int64_t out_item = static_cast<int64_t>(itemsize(out.dtype));
    const int64_t x_item = static_cast<int64_t>(itemsize(x.dtype()));
    strided_copy(ctx, p.region, dptr(result) + p.dst_offset * out_item,
                 out.dtype, p.out_strides, dptr(x) + p.src_offset * x_item,
                 x.dtype(), x.strides());
  }
  return result;
}

Tensor reshape_kernel(const OpCall& call, const OutMeta& out) {
  if (auto view = backend::reshape_view(call)) return *std::move(view);
  // Row-major order is the same in both shapes: copy x's elements in order.
  const Tensor& x = call.inputs[0];
  Tensor result = make_result(out);
  strided_copy(context_of(out), x.shape(), dptr(result), out.dtype,
               contiguous_strides(x.shape()), dptr(x), x.dtype(), x.strides());
  return result;
}

}  // namespace

FNX_REGISTER_PLUGIN("cuda") {
  constexpr DeviceType kCuda = DeviceType::CUDA;
  r.kernel(kCuda, Prim::Copy, &copy_kernel);
  r.kernel(kCuda, Prim::CopyInto, &copy_into_kernel);
  r.kernel(kCuda, Prim::ToDevice, &backend::to_device_kernel);
  r.kernel(kCuda, Prim::Full, &full_kernel);
  r.kernel(kCuda, Prim::Iota, &iota_kernel);
  r.kernel(kCuda, Prim::Cat, &cat_kernel);
  r.kernel(kCuda, Prim::Pad, &pad_kernel);
  r.kernel(kCuda, Prim::Reshape, &reshape_kernel);
  r.kernel(kCuda, Prim::Permute, &backend::permute_kernel);
  r.kernel(kCuda, Prim::Expand, &backend::expand_kernel);
  r.kernel(kCuda, Prim::Slice, &backend::slice_kernel);
  r.kernel(kCuda, Prim::StopGradient, &backend::identity_kernel);
}

}  // namespace fnx::cuda
