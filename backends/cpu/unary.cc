// The unary elementwise primitives: one generic driver, one functor per
// primitive (backends/common/scalar_ops.h); exp, log, log1p, expm1, sin,
// cos, tanh and erf on float / double through libmvec (vector_math.h).
#include <array>
#include <cstdint>
#include <optional>
#include <type_traits>

#include "backends/common/scalar_ops.h"
#include "backends/cpu/common.h"
#include "backends/cpu/loops.h"
#include "backends/cpu/vector_math.h"
#include "core/registry.h"

namespace fnx::cpu {
namespace {

// The primitives libmvec vectorizes (vector_math.h); others run the
// scalar functor.
template <typename Op>
constexpr std::optional<VectorFn> kVectorFn = std::nullopt;
template <>
constexpr std::optional<VectorFn> kVectorFn<scalar::ExpOp> = VectorFn::kExp;
template <>
constexpr std::optional<VectorFn> kVectorFn<scalar::LogOp> = VectorFn::kLog;
template <>
constexpr std::optional<VectorFn> kVectorFn<scalar::Log1pOp> = VectorFn::kLog1p;
template <>
constexpr std::optional<VectorFn> kVectorFn<scalar::Expm1Op> = VectorFn::kExpm1;
template <>
constexpr std::optional<VectorFn> kVectorFn<scalar::SinOp> = VectorFn::kSin;
template <>
constexpr std::optional<VectorFn> kVectorFn<scalar::CosOp> = VectorFn::kCos;
template <>
constexpr std::optional<VectorFn> kVectorFn<scalar::TanhOp> = VectorFn::kTanh;
template <>
constexpr std::optional<VectorFn> kVectorFn<scalar::ErfOp> = VectorFn::kErf;
template <>
constexpr std::optional<VectorFn> kVectorFn<scalar::TanOp> = VectorFn::kTan;
template <>
constexpr std::optional<VectorFn> kVectorFn<scalar::AsinOp> = VectorFn::kAsin;
template <>
constexpr std::optional<VectorFn> kVectorFn<scalar::AcosOp> = VectorFn::kAcos;
template <>
constexpr std::optional<VectorFn> kVectorFn<scalar::AtanOp> = VectorFn::kAtan;
template <>
constexpr std::optional<VectorFn> kVectorFn<scalar::SinhOp> = VectorFn::kSinh;
template <>
constexpr std::optional<VectorFn> kVectorFn<scalar::CoshOp> = VectorFn::kCosh;
template <>
constexpr std::optional<VectorFn> kVectorFn<scalar::AsinhOp> = VectorFn::kAsinh;
template <>
constexpr std::optional<VectorFn> kVectorFn<scalar::AcoshOp> = VectorFn::kAcosh;
template <>
constexpr std::optional<VectorFn> kVectorFn<scalar::AtanhOp> = VectorFn::kAtanh;
template <>
constexpr std::optional<VectorFn> kVectorFn<scalar::Exp2Op> = VectorFn::kExp2;
template <>
constexpr std::optional<VectorFn> kVectorFn<scalar::Log2Op> = VectorFn::kLog2;
template <>
constexpr std::optional<VectorFn> kVectorFn<scalar::Log10Op> = VectorFn::kLog10;

// Whether Op runs vectorized on In -> Out here: every element of such an
// op goes through vector_math, whatever the layout (strides in bytes).
template <typename Op, typename In, typename Out>
bool run_vectorized(char* out_ptr, int64_t out_stride, const char* in_ptr,
                    int64_t in_stride, int64_t n) {
  if constexpr (kVectorFn<Op>.has_value() && std::is_same_v<In, Out> &&
                std::is_floating_point_v<In>) {
    if (!has_vector_math()) return false;
    vector_math(*kVectorFn<Op>, reinterpret_cast<const In*>(in_ptr),
                in_stride / static_cast<int64_t>(sizeof(In)),
                reinterpret_cast<Out*>(out_ptr),
                out_stride / static_cast<int64_t>(sizeof(Out)), n);
    return true;
  } else {
    return false;
  }
}

template <typename Op, typename In, typename Out>
void unary_run(char* out_ptr, int64_t out_stride, const char* in_ptr,
               int64_t in_stride, int64_t n) {
  if (run_vectorized<Op, In, Out>(out_ptr, out_stride, in_ptr, in_stride, n)) {
    return;
  }
  const Op op;
  Out* out = reinterpret_cast<Out*>(out_ptr);
  const In* in = reinterpret_cast<const In*>(in_ptr);
  if (out_stride == sizeof(Out) && in_stride == sizeof(In)) {
    for (int64_t i = 0; i < n; ++i) out[i] = op(in[i]);
  } else if (out_stride == sizeof(Out) && in_stride == 0) {
    const Out v = op(*in);
    for (int64_t i = 0; i < n; ++i) out[i] = v;
  } else {
    for (int64_t i = 0; i < n; ++i) {
      *reinterpret_cast<Out*>(out_ptr + i * out_stride) =
          op(*reinterpret_cast<const In*>(in_ptr + i * in_stride));
    }
  }
}

// Ops with a bool result (LogicalNot) read the input in its own dtype; the
// others compute in the result dtype, converting the input first if the
// shape rule asked for a different one.
template <typename Op>
Tensor unary_kernel(const OpCall& call, const OutMeta& out) {
  constexpr bool kBoolResult = requires { Op::kBoolResult; };
  const Tensor& x0 = call.inputs[0];
  const DType compute = kBoolResult ? x0.dtype() : out.dtype;
  Tensor converted;
  const Tensor* x = &x0;
  if (x0.dtype() != compute) {
    converted = cast_to(x0, compute);
    x = &converted;
  }
  Tensor result = make_result(out);
  const int64_t n = numel(out.shape);
  if (n == 0) return result;
  FNX_DISPATCH_ALL_TYPES(compute, [&] {
    using In = scalar_t;
    using Out = decltype(Op{}(In{}));
    FNX_CHECK(dtype_of<Out>() == out.dtype, call.name(), "result dtype ",
              dtype_name(out.dtype), " does not match the kernel's ",
              dtype_name(dtype_of<Out>()));
    Out* po = data_ptr<Out>(result);
    const In* px = data_ptr<In>(*x);
    if (n == 1) {
      unary_run<Op, In, Out>(reinterpret_cast<char*>(po), sizeof(Out),
                             reinterpret_cast<const char*>(px), sizeof(In), 1);
      return;
    }
    const Strides so = contiguous_strides(out.shape);
    const Strides sx = broadcast_strides(*x, out.shape);
    const auto plan =
        make_plan<2>(out.shape, {&so, &sx}, {sizeof(Out), sizeof(In)});
    run_plan(plan,
             {reinterpret_cast<char*>(po),
              reinterpret_cast<char*>(const_cast<In*>(px))},
             [](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s,
                int64_t len) {
               unary_run<Op, In, Out>(p[0], s[0], p[1], s[1], len);
             });
  });
  return result;
}

}  // namespace

FNX_REGISTER_PLUGIN("cpu") {
  constexpr DeviceType kCpu = DeviceType::CPU;
  r.kernel(kCpu, Prim::Neg, &unary_kernel<scalar::NegOp>);
  r.kernel(kCpu, Prim::Abs, &unary_kernel<scalar::AbsOp>);
  r.kernel(kCpu, Prim::Sign, &unary_kernel<scalar::SignOp>);
  r.kernel(kCpu, Prim::Exp, &unary_kernel<scalar::ExpOp>);
  r.kernel(kCpu, Prim::Log, &unary_kernel<scalar::LogOp>);
  r.kernel(kCpu, Prim::Log1p, &unary_kernel<scalar::Log1pOp>);
  r.kernel(kCpu, Prim::Expm1, &unary_kernel<scalar::Expm1Op>);
  r.kernel(kCpu, Prim::Sqrt, &unary_kernel<scalar::SqrtOp>);
  r.kernel(kCpu, Prim::Rsqrt, &unary_kernel<scalar::RsqrtOp>);
  r.kernel(kCpu, Prim::Sin, &unary_kernel<scalar::SinOp>);
  r.kernel(kCpu, Prim::Cos, &unary_kernel<scalar::CosOp>);
  r.kernel(kCpu, Prim::Tanh, &unary_kernel<scalar::TanhOp>);
  r.kernel(kCpu, Prim::Logistic, &unary_kernel<scalar::LogisticOp>);
  r.kernel(kCpu, Prim::Erf, &unary_kernel<scalar::ErfOp>);
  r.kernel(kCpu, Prim::Tan, &unary_kernel<scalar::TanOp>);
  r.kernel(kCpu, Prim::Asin, &unary_kernel<scalar::AsinOp>);
  r.kernel(kCpu, Prim::Acos, &unary_kernel<scalar::AcosOp>);
  r.kernel(kCpu, Prim::Atan, &unary_kernel<scalar::AtanOp>);
  r.kernel(kCpu, Prim::Sinh, &unary_kernel<scalar::SinhOp>);
  r.kernel(kCpu, Prim::Cosh, &unary_kernel<scalar::CoshOp>);
  r.kernel(kCpu, Prim::Asinh, &unary_kernel<scalar::AsinhOp>);
  r.kernel(kCpu, Prim::Acosh, &unary_kernel<scalar::AcoshOp>);
  r.kernel(kCpu, Prim::Atanh, &unary_kernel<scalar::AtanhOp>);
  r.kernel(kCpu, Prim::Log2, &unary_kernel<scalar::Log2Op>);
  r.kernel(kCpu, Prim::Log10, &unary_kernel<scalar::Log10Op>);
  r.kernel(kCpu, Prim::Exp2, &unary_kernel<scalar::Exp2Op>);
  r.kernel(kCpu, Prim::Lgamma, &unary_kernel<scalar::LgammaOp>);
  r.kernel(kCpu, Prim::Digamma, &unary_kernel<scalar::DigammaOp>);
  r.kernel(kCpu, Prim::Erfinv, &unary_kernel<scalar::ErfinvOp>);
  r.kernel(kCpu, Prim::Floor, &unary_kernel<scalar::FloorOp>);
  r.kernel(kCpu, Prim::Ceil, &unary_kernel<scalar::CeilOp>);
  r.kernel(kCpu, Prim::Round, &unary_kernel<scalar::RoundOp>);
  r.kernel(kCpu, Prim::Trunc, &unary_kernel<scalar::TruncOp>);
  r.kernel(kCpu, Prim::LogicalNot, &unary_kernel<scalar::LogicalNotOp>);
}

}  // namespace fnx::cpu
