// Max pooling on CUDA. MaxPoolSelect of a tensor with itself (plain max
// pooling: max_pool_select(x, x)) goes to cuDNN's pooling forward when
// cuDNN computes exactly that: float/double, no dilation (cuDNN has none)
// and no padding (so nothing depends on how cuDNN pads). Everything else
// (values other than x, which JVPs and second derivatives use; dilation;
// padding) runs on pool.cu's kernels, and so does MaxPoolScatter: cuDNN's
// pooling backward would need the forward output and gives no promise on
// which of equal maxima gets the gradient, while pool.cu's kernels match
// the CPU backend exactly and need no atomics.
#include <cstdint>
#include <limits>
#include <vector>

#include "backends/cuda/cudnn_shapes.h"
#include "backends/cuda/kernels.h"
#include "backends/cuda/tensors.h"
#include "core/error.h"
#include "core/registry.h"

namespace fnx::cuda {
namespace {

bool same_data(const Tensor& a, const Tensor& b) {
  return dptr(a) == dptr(b) && a.shape() == b.shape() &&
         a.strides() == b.strides() && a.dtype() == b.dtype();
}

bool all_equal(const Shape& v, int64_t value) {
  for (int64_t e : v) {
    if (e != value) return false;
  }
  return true;
}

bool cudnn_can_pool(const Tensor& x, const UnfoldAttrs& a) {
  return (x.dtype() == DType::Float32 || x.dtype() == DType::Float64) &&
         all_equal(a.dilation, 1) && all_equal(a.padding, 0);
}

// Destroys the descriptors made for one call.
struct PoolDescriptors {
  cudnnTensorDescriptor_t x = nullptr, y = nullptr;
  cudnnPoolingDescriptor_t pool = nullptr;
  ~PoolDescriptors() {
    if (x != nullptr) cudnnDestroyTensorDescriptor(x);
    if (y != nullptr) cudnnDestroyTensorDescriptor(y);
    if (pool != nullptr) cudnnDestroyPoolingDescriptor(pool);
  }
};

// y = max pooling of x, both contiguous (N, C, *spatial).
void cudnn_max_pool(const Context& ctx, const Tensor& x, const Tensor& y,
                    const UnfoldAttrs& a) {
  const cudnnDataType_t dt =
      x.dtype() == DType::Float32 ? CUDNN_DATA_FLOAT : CUDNN_DATA_DOUBLE;
  const std::vector<int> xd = dims4(x.shape()), yd = dims4(y.shape());
  const std::size_t nsp = xd.size() - 2;
  PoolDescriptors d;
  FNX_CUDA_CHECK(cudnnCreateTensorDescriptor(&d.x));
  FNX_CUDA_CHECK(cudnnCreateTensorDescriptor(&d.y));
  FNX_CUDA_CHECK(cudnnCreatePoolingDescriptor(&d.pool));
  FNX_CUDA_CHECK(
      cudnnSetTensorNdDescriptor(d.x, dt, static_cast<int>(xd.size()),
                                 xd.data(), packed_strides(xd).data()));
  FNX_CUDA_CHECK(
      cudnnSetTensorNdDescriptor(d.y, dt, static_cast<int>(yd.size()),
                                 yd.data(), packed_strides(yd).data()));
  const std::vector<int> window = spatial_param(a.kernel, nsp, 1);
  const std::vector<int> padding = spatial_param(a.padding, nsp, 0);
  const std::vector<int> stride = spatial_param(a.stride, nsp, 1);
  FNX_CUDA_CHECK(cudnnSetPoolingNdDescriptor(
      d.pool, CUDNN_POOLING_MAX, CUDNN_PROPAGATE_NAN, static_cast<int>(nsp),
      window.data(), padding.data(), stride.data()));
  const double one_d = 1, zero_d = 0;
  const float one_f = 1, zero_f = 0;
  const bool is_float = x.dtype() == DType::Float32;
  FNX_CUDA_CHECK(cudnnPoolingForward(
      ctx.cudnn().handle, d.pool,
      is_float ? static_cast<const void*>(&one_f) : &one_d, d.x, dptr(x),
      is_float ? static_cast<const void*>(&zero_f) : &zero_d, d.y, dptr(y)));
}

WindowGeometry pool_geometry(const OpCall& call, const Tensor& x) {
  const WindowGeometry g =
      window_geometry(call, x.shape()[0] * x.shape()[1],
                      Shape(x.shape().begin() + 2, x.shape().end()));
  // The scatter keeps in-image positions as int32.
  FNX_CHECK(g.in_numel <= std::numeric_limits<int32_t>::max(), call.name(),
            "images of more than 2^31 - 1 elements (", g.in_numel,
            ") are not supported on CUDA");
  return g;
}

// (x, values) -> (N, C, *out): values at each window's argmax of x.
Tensor max_pool_select_kernel(const OpCall& call, const OutMeta& out) {
  const Context& ctx = context_of(out);
  const Tensor x = contiguous(cast_to(call.inputs[0], out.dtype));
  const bool pooling_itself = same_data(call.inputs[0], call.inputs[1]);
  const Tensor values =
      pooling_itself ? x : contiguous(cast_to(call.inputs[1], out.dtype));
  Tensor result = make_result(out);
  if (result.numel() == 0) return result;
  const auto& a = call.attr<UnfoldAttrs>();
  if (pooling_itself && cudnn_can_pool(x, a)) {
    cudnn_max_pool(ctx, x, result, a);
    return result;
  }
  launched(
      launch_max_pool_select(scalar_of(out.dtype), pool_geometry(call, x),
                             dptr(x), dptr(values), dptr(result), ctx.stream),
      call.name());
  return result;
}

// (x, grad) -> x's shape: grad added at each window's argmax of x.
Tensor max_pool_scatter_kernel(const OpCall& call, const OutMeta& out) {
  const Context& ctx = context_of(out);
  const Tensor x = contiguous(cast_to(call.inputs[0], out.dtype));
  const Tensor grad = contiguous(cast_to(call.inputs[1], out.dtype));
  Tensor result = make_result(out);
  if (result.numel() == 0) return result;
  const WindowGeometry g = pool_geometry(call, x);
  // Overlapping windows take a gather that first records every argmax.
  const Tensor places = windows_disjoint(g) ? Tensor()
                                            : empty({g.images * g.out_numel},
                                                    DType::Int32, out.device);
  launched(
      launch_max_pool_scatter(
          scalar_of(out.dtype), g, dptr(x), dptr(grad), dptr(result),
          places.defined() ? reinterpret_cast<int32_t*>(dptr(places)) : nullptr,
          ctx.stream),
      call.name());
  return result;
}

}  // namespace

FNX_REGISTER_PLUGIN("cuda") {
  constexpr DeviceType kCuda = DeviceType::CUDA;
  r.kernel(kCuda, Prim::MaxPoolSelect, &max_pool_select_kernel);
  r.kernel(kCuda, Prim::MaxPoolScatter, &max_pool_scatter_kernel);
}

}  // namespace fnx::cuda
