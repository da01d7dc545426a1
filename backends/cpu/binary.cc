// The binary elementwise primitives (arithmetic and comparisons, inputs
// broadcast to the result's shape), Where and Cast: one generic driver per
// arity, one functor per primitive (backends/common/scalar_ops.h).
#include <array>
#include <cstdint>

#include "backends/common/scalar_ops.h"
#include "backends/cpu/common.h"
#include "backends/cpu/loops.h"
#include "core/registry.h"

namespace fnx::cpu {
namespace {

template <typename Op, typename T, typename Out>
void binary_run(const std::array<char*, 3>& p, const std::array<int64_t, 3>& s,
                int64_t n) {
  const Op op;
  Out* out = reinterpret_cast<Out*>(p[0]);
  const T* a = reinterpret_cast<const T*>(p[1]);
  const T* b = reinterpret_cast<const T*>(p[2]);
  constexpr int64_t kT = sizeof(T);
  if (s[0] == sizeof(Out)) {
    if (s[1] == kT && s[2] == kT) {
      for (int64_t i = 0; i < n; ++i) out[i] = op(a[i], b[i]);
      return;
    }
    if (s[1] == 0 && s[2] == kT) {
      const T av = *a;
      for (int64_t i = 0; i < n; ++i) out[i] = op(av, b[i]);
      return;
    }
    if (s[1] == kT && s[2] == 0) {
      const T bv = *b;
      for (int64_t i = 0; i < n; ++i) out[i] = op(a[i], bv);
      return;
    }
  }
  for (int64_t i = 0; i < n; ++i) {
    *reinterpret_cast<Out*>(p[0] + i * s[0]) =
        op(*reinterpret_cast<const T*>(p[1] + i * s[1]),
           *reinterpret_cast<const T*>(p[2] + i * s[2]));
  }
}

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

template <typename T>
void where_run(const std::array<char*, 4>& p, const std::array<int64_t, 4>& s,
               int64_t n) {
  constexpr int64_t kT = sizeof(T);
  if (s[0] == kT && s[1] == 1) {
    T* out = reinterpret_cast<T*>(p[0]);
    // Read as bytes (0 or 1) and with both sides loaded whatever the
    // condition: GCC vectorizes that select, while with bool loads or a
    // conditional load it branches per element, and relu's random
    // conditions mispredict half the branches.
    const auto* c = reinterpret_cast<const unsigned char*>(p[1]);
    const T* a = reinterpret_cast<const T*>(p[2]);
    const T* b = reinterpret_cast<const T*>(p[3]);
    if (s[2] == kT && s[3] == kT) {
      for (int64_t i = 0; i < n; ++i) {
        const T ai = a[i], bi = b[i];
        out[i] = c[i] ? ai : bi;
      }
      return;
    }
    // One side a scalar: relu (where(x <= 0, 0, x)) and its gradient.
    if (s[2] == kT && s[3] == 0) {
      const T bv = *b;
      for (int64_t i = 0; i < n; ++i) {
        const T ai = a[i];
        out[i] = c[i] ? ai : bv;
      }
      return;
    }
    if (s[2] == 0 && s[3] == kT) {
      const T av = *a;
      for (int64_t i = 0; i < n; ++i) {
        const T bi = b[i];
        out[i] = c[i] ? av : bi;
      }
      return;
    }
  }
  for (int64_t i = 0; i < n; ++i) {
    const bool c = *reinterpret_cast<const bool*>(p[1] + i * s[1]);
    *reinterpret_cast<T*>(p[0] + i * s[0]) =
        *reinterpret_cast<const T*>(p[c ? 2 : 3] + i * s[c ? 2 : 3]);
  }
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
  r.kernel(kCpu, Prim::Add, &binary_kernel<scalar::AddOp>);
  r.kernel(kCpu, Prim::Sub, &binary_kernel<scalar::SubOp>);
  r.kernel(kCpu, Prim::Mul, &binary_kernel<scalar::MulOp>);
  r.kernel(kCpu, Prim::Div, &binary_kernel<scalar::DivOp>);
  r.kernel(kCpu, Prim::Pow, &binary_kernel<scalar::PowOp>);
  r.kernel(kCpu, Prim::Maximum, &binary_kernel<scalar::MaximumOp>);
  r.kernel(kCpu, Prim::Minimum, &binary_kernel<scalar::MinimumOp>);
  r.kernel(kCpu, Prim::Atan2, &binary_kernel<scalar::Atan2Op>);
  r.kernel(kCpu, Prim::Hypot, &binary_kernel<scalar::HypotOp>);
  r.kernel(kCpu, Prim::Fmod, &binary_kernel<scalar::FmodOp>);
  r.kernel(kCpu, Prim::Remainder, &binary_kernel<scalar::RemainderOp>);
  r.kernel(kCpu, Prim::Polygamma, &binary_kernel<scalar::PolygammaOp>);
  r.kernel(kCpu, Prim::Eq, &compare_kernel<scalar::EqOp>);
  r.kernel(kCpu, Prim::Ne, &compare_kernel<scalar::NeOp>);
  r.kernel(kCpu, Prim::Lt, &compare_kernel<scalar::LtOp>);
  r.kernel(kCpu, Prim::Le, &compare_kernel<scalar::LeOp>);
  r.kernel(kCpu, Prim::Gt, &compare_kernel<scalar::GtOp>);
  r.kernel(kCpu, Prim::Ge, &compare_kernel<scalar::GeOp>);
  r.kernel(kCpu, Prim::LogicalAnd, &compare_kernel<scalar::LogicalAndOp>);
  r.kernel(kCpu, Prim::LogicalOr, &compare_kernel<scalar::LogicalOrOp>);
  r.kernel(kCpu, Prim::Where, &where_kernel);
  r.kernel(kCpu, Prim::Cast, &cast_kernel);
}

}  // namespace fnx::cpu
