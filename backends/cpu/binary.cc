// The binary elementwise primitives (arithmetic and comparisons, inputs
// broadcast to the result's shape), Where and Cast: one generic driver per
// arity, one functor per primitive (backends/common/scalar_ops.h).
#include <array>
#include <cstdint>

#include "backends/common/scalar_ops.h"
#include "backends/cpu/common.h"
#include "backends/cpu/elementwise_loops.h"
#include "backends/cpu/loops.h"
#include "core/registry.h"

namespace fnx::cpu {
namespace {

// `compute` is the dtype both inputs are read in (converted first when they
// differ from it); the functor's result type must be the result dtype.
template <typename Op>
Tensor binary_driver(const OpCall& call, const OutMeta& out, DType compute) {
  const Tensor& a0 = call.inputs[0];
  const Tensor& b0 = call.inputs[1];
  Tensor a_converted, b_converted;
  const Tensor* a = &a0;
  const Tensor* b = &b0;
  if (a0.dtype() != compute) {
    a_converted = cast_to(a0, compute);
    a = &a_converted;
  }
  if (b0.dtype() != compute) {
    b_converted = cast_to(b0, compute);
    b = &b_converted;
  }
  Tensor result = make_result(out);
  const int64_t n = numel(out.shape);
  if (n == 0) return result;
  FNX_DISPATCH_ALL_TYPES(compute, [&] {
    using T = scalar_t;
    using Out = decltype(Op{}(T{}, T{}));
    FNX_CHECK(dtype_of<Out>() == out.dtype, call.name(), "result dtype ",
              dtype_name(out.dtype), " does not match the kernel's ",
              dtype_name(dtype_of<Out>()));
    Out* po = data_ptr<Out>(result);
    T* pa = data_ptr<T>(*a);
    T* pb = data_ptr<T>(*b);
    if (n == 1) {
      *po = Op{}(*pa, *pb);
      return;
    }
    const Strides so = contiguous_strides(out.shape);
    const Strides sa = broadcast_strides(*a, out.shape);
    const Strides sb = broadcast_strides(*b, out.shape);
    const auto plan = make_plan<3>(out.shape, {&so, &sa, &sb},
                                   {sizeof(Out), sizeof(T), sizeof(T)});
    run_plan(plan,
             {reinterpret_cast<char*>(po), reinterpret_cast<char*>(pa),
              reinterpret_cast<char*>(pb)},
             binary_run<Op, T, Out>);
  });
  return result;
}

// Arithmetic: computed in the result dtype.
template <typename Op>
Tensor binary_kernel(const OpCall& call, const OutMeta& out) {
  return binary_driver<Op>(call, out, out.dtype);
}

// Comparisons and logical ops: computed in the inputs' common dtype, bool
// result.
template <typename Op>
Tensor compare_kernel(const OpCall& call, const OutMeta& out) {
  return binary_driver<Op>(
      call, out, promote_types(call.inputs[0].dtype(), call.inputs[1].dtype()));
}

// Where(cond, a, b): cond read as bool, a and b in the result dtype, all
// three broadcast to the result's shape.
Tensor where_kernel(const OpCall& call, const OutMeta& out) {
  const Tensor c = cast_to(call.inputs[0], DType::Bool);
  const Tensor a = cast_to(call.inputs[1], out.dtype);
  const Tensor b = cast_to(call.inputs[2], out.dtype);
  Tensor result = make_result(out);
  const int64_t n = numel(out.shape);
  if (n == 0) return result;
  const Strides so = contiguous_strides(out.shape);
  const Strides sc = broadcast_strides(c, out.shape);
  const Strides sa = broadcast_strides(a, out.shape);
  const Strides sb = broadcast_strides(b, out.shape);
  FNX_DISPATCH_ALL_TYPES(out.dtype, [&] {
    using T = scalar_t;
    const auto plan = make_plan<4>(out.shape, {&so, &sc, &sa, &sb},
                                   {sizeof(T), 1, sizeof(T), sizeof(T)});
    run_plan(plan, {byte_ptr(result), byte_ptr(c), byte_ptr(a), byte_ptr(b)},
             where_run<T>);
  });
  return result;
}

Tensor cast_kernel(const OpCall& call, const OutMeta& out) {
  const Tensor& x = call.inputs[0];
  Tensor result = make_result(out);
  strided_copy(out.shape, byte_ptr(result), out.dtype,
               contiguous_strides(out.shape), byte_ptr(x), x.dtype(),
               broadcast_strides(x, out.shape));
  return result;
}

}  // namespace

FNX_REGISTER_PLUGIN("cpu") {
  constexpr DeviceType kCpu = DeviceType::CPU;
#define FNX_REGISTER_BINARY(prim, op) \
  r.kernel(kCpu, Prim::prim, &binary_kernel<scalar::op>);
  FNX_CPU_BINARY_OPS(FNX_REGISTER_BINARY)
#undef FNX_REGISTER_BINARY
#define FNX_REGISTER_COMPARE(prim, op) \
  r.kernel(kCpu, Prim::prim, &compare_kernel<scalar::op>);
  FNX_CPU_COMPARE_OPS(FNX_REGISTER_COMPARE)
#undef FNX_REGISTER_COMPARE
  r.kernel(kCpu, Prim::Where, &where_kernel);
  r.kernel(kCpu, Prim::Cast, &cast_kernel);
}

}  // namespace fnx::cpu
