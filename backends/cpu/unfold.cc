// Unfold (patch extraction, padded positions read pad_value) and Fold (its
// transpose: overlapping patch entries sum back into the image). Both treat
// (N, C) as N * C independent images for the im2col helpers.
#include "backends/cpu/common.h"
#include "backends/cpu/im2col.h"
#include "core/registry.h"

namespace fnx::cpu {
namespace {

ConvGeometry unfold_geometry(const OpCall& call, int64_t images,
                             const Shape& spatial) {
  const auto& a = call.attr<UnfoldAttrs>();
  return make_conv_geometry(call.name(), images, spatial, a.kernel, a.stride,
                            a.padding, a.dilation);
}

// (N, C, *spatial) -> (N, C, prod(kernel), *out_spatial).
Tensor unfold_kernel(const OpCall& call, const OutMeta& out) {
  const Tensor x = contiguous(cast_to(call.inputs[0], out.dtype));
  FNX_CHECK(x.dim() >= 3, call.name(), "expects (N, C, *spatial), got ",
            shape_str(x.shape()));
  const int64_t images = x.shape()[0] * x.shape()[1];
  const ConvGeometry g = unfold_geometry(
      call, images, Shape(x.shape().begin() + 2, x.shape().end()));
  Shape expected = {x.shape()[0], x.shape()[1], g.kernel_numel};
  expected.insert(expected.end(), g.out.begin(), g.out.end());
  FNX_CHECK(expected == out.shape, call.name(), "result shape ",
            shape_str(out.shape), " does not match ", shape_str(expected));
  Tensor result = make_result(out);
  if (numel(out.shape) == 0) return result;
  const double pad_value = call.attr<UnfoldAttrs>().pad_value;
  FNX_DISPATCH_ALL_TYPES(out.dtype, [&] {
    using T = scalar_t;
    im2col_batch(data_ptr<T>(x), 1, g, scalar::convert<T>(pad_value),
                 data_ptr<T>(result));
  });
  return result;
}

// (N, C, prod(kernel), *out_spatial) -> (N, C, *input_spatial).
Tensor fold_kernel(const OpCall& call, const OutMeta& out) {
  const Tensor patches = contiguous(cast_to(call.inputs[0], out.dtype));
  FNX_CHECK(patches.dim() >= 4, call.name(),
            "expects (N, C, prod(kernel), *out_spatial), got ",
            shape_str(patches.shape()));
  const int64_t images = patches.shape()[0] * patches.shape()[1];
  const ConvGeometry g =
      unfold_geometry(call, images, call.attr<UnfoldAttrs>().input_spatial);
  Shape expected = {patches.shape()[0], patches.shape()[1], g.kernel_numel};
  expected.insert(expected.end(), g.out.begin(), g.out.end());
  FNX_CHECK(expected == patches.shape(), call.name(), "patches of shape ",
            shape_str(patches.shape()), " do not match ", shape_str(expected),
            " for an input of spatial shape ", shape_str(g.in));
  Tensor result = make_result(out);
  const int64_t total = numel(out.shape);
  if (total == 0) return result;
  FNX_CHECK(total == images * g.in_numel, call.name(), "result shape ",
            shape_str(out.shape), " does not match the folded images");
  fill(byte_ptr(result), out.dtype, total, 0);
  FNX_DISPATCH_ALL_TYPES(out.dtype, [&] {
    using T = scalar_t;
    col2im_batch(data_ptr<T>(patches), 1, g, data_ptr<T>(result));
  });
  return result;
}

}  // namespace

FNX_REGISTER_PLUGIN("cpu") {
  constexpr DeviceType kCpu = DeviceType::CPU;
  r.kernel(kCpu, Prim::Unfold, &unfold_kernel);
  r.kernel(kCpu, Prim::Fold, &fold_kernel);
}

}  // namespace fnx::cpu
