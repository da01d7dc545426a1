// Memory and creation primitives: Copy (a contiguous clone), CopyInto (an
// in-place write into a possibly strided destination), Full and Iota.
#include <algorithm>

#include "backends/common/device_transfer.h"
#include "backends/common/view_kernels.h"
#include "backends/cpu/common.h"
#include "backends/cpu/loops.h"
#include "core/registry.h"

namespace fnx::cpu {
namespace {

Tensor copy_kernel(const OpCall& call, const OutMeta& out) {
  const Tensor& x = call.inputs[0];
  Tensor result = make_result(out);
  strided_copy(out.shape, byte_ptr(result), out.dtype,
               contiguous_strides(out.shape), byte_ptr(x), x.dtype(),
               broadcast_strides(x, out.shape));
  return result;
}

// CopyInto(dst, src): src broadcast to dst's shape and cast to its dtype,
// written into dst's memory; returns dst itself.
Tensor copy_into_kernel(const OpCall& call, const OutMeta&) {
  const Tensor& dst = call.inputs[0];
  const Tensor& src0 = call.inputs[1];
  const Shape& ds = dst.shape();
  const Shape& ss = src0.shape();
  bool broadcasts = ss.size() <= ds.size();
  for (size_t i = 0; broadcasts && i < ss.size(); ++i) {
    const int64_t s = ss[ss.size() - 1 - i];
    broadcasts = s == 1 || s == ds[ds.size() - 1 - i];
  }
  FNX_CHECK(broadcasts, "copy_", "source of shape ", shape_str(ss),
            " does not broadcast to the destination's shape ", shape_str(ds));
  for (int64_t d = 0; d < dst.dim(); ++d) {
    FNX_CHECK(ds[d] <= 1 || dst.strides()[d] != 0, "copy_",
              "unsupported operation: the destination of shape ", shape_str(ds),
              " is expanded (stride 0 along dim ", d,
              "), so more than one element of the destination refers to the "
              "same memory location; call clone() first");
  }
  if (dst.numel() == 0) {
    dst.impl()->storage->bump_version();
    return dst;
  }
  Tensor src = src0;
  if (src.numel() > 0 && src.impl()->storage == dst.impl()->storage) {
    const auto [dlo, dhi] = backend::byte_extent(dst, byte_ptr(dst));
    const auto [slo, shi] = backend::byte_extent(src, byte_ptr(src));
    if (slo < dhi && dlo < shi) src = contiguous_copy(src);
  }
  strided_copy(ds, byte_ptr(dst), dst.dtype(), dst.strides(), byte_ptr(src),
               src.dtype(), broadcast_strides(src, ds));
  dst.impl()->storage->bump_version();
  return dst;
}

Tensor full_kernel(const OpCall& call, const OutMeta& out) {
  Tensor result = make_result(out);
  fill(byte_ptr(result), out.dtype, numel(out.shape),
       call.attr<FullAttrs>().value);
  return result;
}

Tensor iota_kernel(const OpCall&, const OutMeta& out) {
  Tensor result = make_result(out);
  FNX_DISPATCH_ALL_TYPES(out.dtype, [&] {
    scalar_t* p = data_ptr<scalar_t>(result);
    parallel_for(0, numel(out.shape), kGrainSize, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) p[i] = scalar::convert<scalar_t>(i);
    });
  });
  return result;
}

}  // namespace

FNX_REGISTER_PLUGIN("cpu") {
  constexpr DeviceType kCpu = DeviceType::CPU;
  r.kernel(kCpu, Prim::Copy, &copy_kernel);
  r.kernel(kCpu, Prim::CopyInto, &copy_into_kernel);
  r.kernel(kCpu, Prim::ToDevice, &backend::to_device_kernel);
  r.kernel(kCpu, Prim::Full, &full_kernel);
  r.kernel(kCpu, Prim::Iota, &iota_kernel);
}

}  // namespace fnx::cpu
