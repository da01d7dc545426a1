// Indexing primitives on CUDA. Gather and IndexSelect share one kernel
// (read x at the index along `dim`), ScatterAdd and IndexAdd another
// (atomically add into a copy of x). An index outside [0, size) is an
// fnx::Error naming the primitive, as on the CPU, raised at the next host
// read of the device (kernel_errors.h): the kernels record it, and the
// launch does not wait for them.
#include "backends/cuda/kernel_errors.h"
#include "backends/cuda/kernels.h"
#include "backends/cuda/tensors.h"
#include "core/error.h"
#include "core/registry.h"

namespace fnx::cuda {
namespace {

// Geometry of a tensor for these loops; 0-d tensors act as shape [1].
struct Geometry {
  Shape shape;
  Strides strides;
};
Geometry geometry(const Tensor& t) {
  if (t.dim() == 0) return {Shape{1}, Strides{0}};
  return {t.shape(), t.strides()};
}

// Gather (index of x's rank; result = index's shape) and IndexSelect (1-d
// index; result = x's shape with dim replaced by the index length).
template <bool kSelect>
Tensor gather_kernel(const OpCall& call, const OutMeta& out) {
  const Context& ctx = context_of(out);
  const Tensor x = cast_to(call.inputs[0], out.dtype);
  const Tensor index = cast_to(call.inputs[1], DType::Int64);
  const Geometry gx = geometry(x);
  const Geometry gi = geometry(index);
  const int64_t rank = static_cast<int64_t>(gx.shape.size());
  const int64_t dim = call.attr<DimAttrs>().dim;
  Shape shape = gx.shape;
  Strides is(rank, 0);
  if (kSelect) {
    shape[dim] = gi.shape[0];
    is[dim] = gi.strides[0];
  } else {
    shape = gi.shape;
    is = gi.strides;
  }
  Tensor result = make_result(out);
  if (numel(shape) == 0) return result;
  Strides xs = gx.strides;
  xs[dim] = 0;
  const Strides os = contiguous_strides(shape);
  const int64_t item = static_cast<int64_t>(itemsize(out.dtype));
  const Loop<3> loop =
      make_loop<3>(call.name(), shape, {dptr(result), dptr(index), dptr(x)},
                   {&os, &is, &xs}, {item, 8, item});
  const IndexError check =
      index_check_slot(ctx, call.name(), dim, gx.shape[dim]);
  launched(launch_gather(scalar_of(out.dtype), loop, gx.shape[dim],
                         gx.strides[dim] * item, check, ctx.stream),
           call.name());
  return result;
}

// ScatterAdd (index and src of x's rank; the loop runs over index's shape)
// and IndexAdd (1-d index; src = x's shape with dim replaced by its length).
template <bool kIndexAdd>
Tensor scatter_add_kernel(const OpCall& call, const OutMeta& out) {
  const Context& ctx = context_of(out);
  const Tensor index = cast_to(call.inputs[1], DType::Int64);
  const Tensor src = cast_to(call.inputs[2], out.dtype);
  Tensor result = contiguous_copy(call.inputs[0], out.dtype);
  const Geometry gx = geometry(result);
  const Geometry gi = geometry(index);
  const Geometry gs = geometry(src);
  const int64_t rank = static_cast<int64_t>(gx.shape.size());
  const int64_t dim = call.attr<DimAttrs>().dim;
  Shape shape;
  Strides is(rank, 0);
  if (kIndexAdd) {
    shape = gs.shape;
    is[dim] = gi.strides[0];
  } else {
    shape = gi.shape;
    is = gi.strides;
  }
  if (numel(shape) == 0) return result;
  Strides os = gx.strides;
  os[dim] = 0;
  const int64_t item = static_cast<int64_t>(itemsize(out.dtype));
  const Loop<3> loop =
      make_loop<3>(call.name(), shape, {dptr(result), dptr(index), dptr(src)},
                   {&os, &is, &gs.strides}, {item, 8, item});
  const IndexError check =
      index_check_slot(ctx, call.name(), dim, gx.shape[dim]);
  launched(launch_scatter_add(scalar_of(out.dtype), loop, gx.shape[dim],
                              gx.strides[dim] * item, check, ctx.stream),
           call.name());
  return result;
}

}  // namespace

FNX_REGISTER_PLUGIN("cuda") {
  constexpr DeviceType kCuda = DeviceType::CUDA;
  r.kernel(kCuda, Prim::Gather, &gather_kernel<false>);
  r.kernel(kCuda, Prim::IndexSelect, &gather_kernel<true>);
  r.kernel(kCuda, Prim::ScatterAdd, &scatter_add_kernel<false>);
  r.kernel(kCuda, Prim::IndexAdd, &scatter_add_kernel<true>);
}

}  // namespace fnx::cuda
