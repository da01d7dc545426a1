// The elementwise primitives on CUDA: unary, binary and comparison (inputs
// broadcast through zero strides, never materialized), Where and Cast.
// One driver per arity; the per-element functions live in the kernels
// (scalar_ops.cuh), selected by the UnaryOp / BinaryOp code.
#include "backends/cuda/kernels.h"
#include "backends/cuda/tensors.h"
#include "core/error.h"
#include "core/registry.h"

namespace fnx::cuda {
namespace {

// Unary: computes in the result dtype (LogicalNot: in the input's, bool
// result), converting the input first when the shape rule asked for
// another dtype.
template <UnaryOp kOp>
Tensor unary_kernel(const OpCall& call, const OutMeta& out) {
  const Context& ctx = context_of(out);
  const Tensor& x0 = call.inputs[0];
  const DType compute = kOp == UnaryOp::LogicalNot ? x0.dtype() : out.dtype;
  const Tensor x = cast_to(x0, compute);
  Tensor result = make_result(out);
  const Strides so = contiguous_strides(out.shape);
  const Strides sx = broadcast_strides(x, out.shape);
  const Loop<2> loop =
      make_loop<2>(call.name(), out.shape, {dptr(result), dptr(x)}, {&so, &sx},
                   {static_cast<int64_t>(itemsize(out.dtype)),
                    static_cast<int64_t>(itemsize(compute))});
  launched(launch_unary(kOp, scalar_of(compute), loop, ctx.stream),
           call.name());
  return result;
}

// Binary: both inputs read in `compute` (arithmetic: the result dtype;
// comparisons: the inputs' common dtype, bool result).
template <BinaryOp kOp>
Tensor binary_kernel(const OpCall& call, const OutMeta& out) {
  const Context& ctx = context_of(out);
  constexpr bool kCompare = kOp >= BinaryOp::Eq;
  const DType compute =
      kCompare ? promote_types(call.inputs[0].dtype(), call.inputs[1].dtype())
               : out.dtype;
  const Tensor a = cast_to(call.inputs[0], compute);
  const Tensor b = cast_to(call.inputs[1], compute);
  Tensor result = make_result(out);
  const Strides so = contiguous_strides(out.shape);
  const Strides sa = broadcast_strides(a, out.shape);
  const Strides sb = broadcast_strides(b, out.shape);
  const int64_t item = static_cast<int64_t>(itemsize(compute));
  const Loop<3> loop = make_loop<3>(
      call.name(), out.shape, {dptr(result), dptr(a), dptr(b)}, {&so, &sa, &sb},
      {static_cast<int64_t>(itemsize(out.dtype)), item, item});
  launched(launch_binary(kOp, scalar_of(compute), loop, ctx.stream),
           call.name());
  return result;
}

Tensor where_kernel(const OpCall& call, const OutMeta& out) {
  const Context& ctx = context_of(out);
  const Tensor c = cast_to(call.inputs[0], DType::Bool);
  const Tensor a = cast_to(call.inputs[1], out.dtype);
  const Tensor b = cast_to(call.inputs[2], out.dtype);
  Tensor result = make_result(out);
  const Strides so = contiguous_strides(out.shape);
  const Strides sc = broadcast_strides(c, out.shape);
  const Strides sa = broadcast_strides(a, out.shape);
  const Strides sb = broadcast_strides(b, out.shape);
  const int64_t item = static_cast<int64_t>(itemsize(out.dtype));
  const Loop<4> loop = make_loop<4>(
      call.name(), out.shape, {dptr(result), dptr(c), dptr(a), dptr(b)},
      {&so, &sc, &sa, &sb}, {item, 1, item, item});
  launched(launch_where(scalar_of(out.dtype), loop, ctx.stream), call.name());
  return result;
}

Tensor cast_kernel(const OpCall& call, const OutMeta& out) {
  const Context& ctx = context_of(out);
  const Tensor& x = call.inputs[0];
  Tensor result = make_result(out);
  strided_copy(ctx, out.shape, dptr(result), out.dtype,
               contiguous_strides(out.shape), dptr(x), x.dtype(),
               broadcast_strides(x, out.shape));
  return result;
}

}  // namespace

FNX_REGISTER_PLUGIN("cuda") {
  constexpr DeviceType kCuda = DeviceType::CUDA;
  r.kernel(kCuda, Prim::Neg, &unary_kernel<UnaryOp::Neg>);
  r.kernel(kCuda, Prim::Abs, &unary_kernel<UnaryOp::Abs>);
  r.kernel(kCuda, Prim::Sign, &unary_kernel<UnaryOp::Sign>);
  r.kernel(kCuda, Prim::Exp, &unary_kernel<UnaryOp::Exp>);
  r.kernel(kCuda, Prim::Log, &unary_kernel<UnaryOp::Log>);
  r.kernel(kCuda, Prim::Log1p, &unary_kernel<UnaryOp::Log1p>);
  r.kernel(kCuda, Prim::Expm1, &unary_kernel<UnaryOp::Expm1>);
  r.kernel(kCuda, Prim::Sqrt, &unary_kernel<UnaryOp::Sqrt>);
  r.kernel(kCuda, Prim::Rsqrt, &unary_kernel<UnaryOp::Rsqrt>);
  r.kernel(kCuda, Prim::Sin, &unary_kernel<UnaryOp::Sin>);
  r.kernel(kCuda, Prim::Cos, &unary_kernel<UnaryOp::Cos>);
  r.kernel(kCuda, Prim::Tanh, &unary_kernel<UnaryOp::Tanh>);
  r.kernel(kCuda, Prim::Logistic, &unary_kernel<UnaryOp::Logistic>);
  r.kernel(kCuda, Prim::Erf, &unary_kernel<UnaryOp::Erf>);
  r.kernel(kCuda, Prim::Tan, &unary_kernel<UnaryOp::Tan>);
  r.kernel(kCuda, Prim::Asin, &unary_kernel<UnaryOp::Asin>);
  r.kernel(kCuda, Prim::Acos, &unary_kernel<UnaryOp::Acos>);
  r.kernel(kCuda, Prim::Atan, &unary_kernel<UnaryOp::Atan>);
  r.kernel(kCuda, Prim::Sinh, &unary_kernel<UnaryOp::Sinh>);
  r.kernel(kCuda, Prim::Cosh, &unary_kernel<UnaryOp::Cosh>);
  r.kernel(kCuda, Prim::Asinh, &unary_kernel<UnaryOp::Asinh>);
  r.kernel(kCuda, Prim::Acosh, &unary_kernel<UnaryOp::Acosh>);
  r.kernel(kCuda, Prim::Atanh, &unary_kernel<UnaryOp::Atanh>);
  r.kernel(kCuda, Prim::Log2, &unary_kernel<UnaryOp::Log2>);
  r.kernel(kCuda, Prim::Log10, &unary_kernel<UnaryOp::Log10>);
  r.kernel(kCuda, Prim::Exp2, &unary_kernel<UnaryOp::Exp2>);
  r.kernel(kCuda, Prim::Lgamma, &unary_kernel<UnaryOp::Lgamma>);
  r.kernel(kCuda, Prim::Digamma, &unary_kernel<UnaryOp::Digamma>);
  r.kernel(kCuda, Prim::Erfinv, &unary_kernel<UnaryOp::Erfinv>);
  r.kernel(kCuda, Prim::Floor, &unary_kernel<UnaryOp::Floor>);
  r.kernel(kCuda, Prim::Ceil, &unary_kernel<UnaryOp::Ceil>);
  r.kernel(kCuda, Prim::Round, &unary_kernel<UnaryOp::Round>);
  r.kernel(kCuda, Prim::Trunc, &unary_kernel<UnaryOp::Trunc>);
  r.kernel(kCuda, Prim::LogicalNot, &unary_kernel<UnaryOp::LogicalNot>);
  r.kernel(kCuda, Prim::Add, &binary_kernel<BinaryOp::Add>);
  r.kernel(kCuda, Prim::Sub, &binary_kernel<BinaryOp::Sub>);
  r.kernel(kCuda, Prim::Mul, &binary_kernel<BinaryOp::Mul>);
  r.kernel(kCuda, Prim::Div, &binary_kernel<BinaryOp::Div>);
  r.kernel(kCuda, Prim::Pow, &binary_kernel<BinaryOp::Pow>);
  r.kernel(kCuda, Prim::Maximum, &binary_kernel<BinaryOp::Maximum>);
  r.kernel(kCuda, Prim::Minimum, &binary_kernel<BinaryOp::Minimum>);
  r.kernel(kCuda, Prim::Atan2, &binary_kernel<BinaryOp::Atan2>);
  r.kernel(kCuda, Prim::Hypot, &binary_kernel<BinaryOp::Hypot>);
  r.kernel(kCuda, Prim::Fmod, &binary_kernel<BinaryOp::Fmod>);
  r.kernel(kCuda, Prim::Remainder, &binary_kernel<BinaryOp::Remainder>);
  r.kernel(kCuda, Prim::Polygamma, &binary_kernel<BinaryOp::Polygamma>);
  r.kernel(kCuda, Prim::Eq, &binary_kernel<BinaryOp::Eq>);
  r.kernel(kCuda, Prim::Ne, &binary_kernel<BinaryOp::Ne>);
  r.kernel(kCuda, Prim::Lt, &binary_kernel<BinaryOp::Lt>);
  r.kernel(kCuda, Prim::Le, &binary_kernel<BinaryOp::Le>);
  r.kernel(kCuda, Prim::Gt, &binary_kernel<BinaryOp::Gt>);
  r.kernel(kCuda, Prim::Ge, &binary_kernel<BinaryOp::Ge>);
  r.kernel(kCuda, Prim::LogicalAnd, &binary_kernel<BinaryOp::LogicalAnd>);
  r.kernel(kCuda, Prim::LogicalOr, &binary_kernel<BinaryOp::LogicalOr>);
  r.kernel(kCuda, Prim::Where, &where_kernel);
  r.kernel(kCuda, Prim::Cast, &cast_kernel);
}

}  // namespace fnx::cuda
