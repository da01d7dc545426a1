// Unfold and Fold on CUDA: (N, C) as N * C independent images for the
// window kernels of unfold.cu. Average pooling (a composite: mean over
// Unfold's patches) runs on these; max pooling has primitives (pool.cc).
#include "backends/cuda/kernels.h"
#include "backends/cuda/tensors.h"
#include "core/error.h"
#include "core/registry.h"

namespace fnx::cuda {

WindowGeometry window_geometry(const OpCall& call, int64_t images,
                               const Shape& spatial) {
  const auto& a = call.attr<UnfoldAttrs>();
  WindowGeometry g;
  g.spatial = static_cast<int>(spatial.size());
  FNX_CHECK(g.spatial >= 1 && g.spatial <= kMaxSpatial, call.name(),
            "needs 1 to ", kMaxSpatial, " spatial dims, got ",
            shape_str(spatial));
  g.images = images;
  for (int d = 0; d < g.spatial; ++d) {
    g.in[d] = spatial[d];
    g.kernel[d] = a.kernel[d];
    g.stride[d] = a.stride[d];
    g.padding[d] = a.padding[d];
    g.dilation[d] = a.dilation[d];
    const int64_t span = g.dilation[d] * (g.kernel[d] - 1) + 1;
    g.out[d] = (g.in[d] + 2 * g.padding[d] - span) / g.stride[d] + 1;
    g.in_numel *= g.in[d];
    g.kernel_numel *= g.kernel[d];
    g.out_numel *= g.out[d];
  }
  return g;
}

namespace {

// (N, C, *spatial) -> (N, C, prod(kernel), *out_spatial).
Tensor unfold_kernel(const OpCall& call, const OutMeta& out) {
  const Context& ctx = context_of(out);
  const Tensor x = contiguous(cast_to(call.inputs[0], out.dtype));
  const WindowGeometry g =
      window_geometry(call, x.shape()[0] * x.shape()[1],
                      Shape(x.shape().begin() + 2, x.shape().end()));
  Tensor result = make_result(out);
  launched(launch_unfold(scalar_of(out.dtype), g, dptr(x), dptr(result),
                         call.attr<UnfoldAttrs>().pad_value, ctx.stream),
           call.name());
  return result;
}

// (N, C, prod(kernel), *out_spatial) -> (N, C, *input_spatial).
Tensor fold_kernel(const OpCall& call, const OutMeta& out) {
  const Context& ctx = context_of(out);
  const Tensor patches = contiguous(cast_to(call.inputs[0], out.dtype));
  const WindowGeometry g =
      window_geometry(call, patches.shape()[0] * patches.shape()[1],
                      call.attr<UnfoldAttrs>().input_spatial);
  Tensor result = make_result(out);
  launched(launch_fold(scalar_of(out.dtype), g, dptr(patches), dptr(result),
                       ctx.stream),
           call.name());
  return result;
}

}  // namespace

FNX_REGISTER_PLUGIN("cuda") {
  constexpr DeviceType kCuda = DeviceType::CUDA;
  r.kernel(kCuda, Prim::Unfold, &unfold_kernel);
  r.kernel(kCuda, Prim::Fold, &fold_kernel);
}

}  // namespace fnx::cuda
