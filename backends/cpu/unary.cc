// The unary elementwise primitives: one generic driver, one functor per
// primitive (backends/common/scalar_ops.h); exp, log, log1p, expm1, sin,
// cos, tanh and erf on float / double through libmvec (vector_math.h).
#include <array>
#include <cstdint>
#include <optional>
#include <type_traits>

#include "backends/common/scalar_ops.h"
#include "backends/cpu/common.h"
#include "backends/cpu/elementwise_loops.h"
#include "backends/cpu/loops.h"
#include "backends/cpu/vector_math.h"
#include "core/registry.h"

namespace fnx::cpu {
namespace {

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
#define FNX_REGISTER_UNARY(prim, op) \
  r.kernel(kCpu, Prim::prim, &unary_kernel<scalar::op>);
  FNX_CPU_UNARY_OPS(FNX_REGISTER_UNARY)
#undef FNX_REGISTER_UNARY
}

}  // namespace fnx::cpu
