// The per-element loops of the elementwise CPU kernels (unary, binary,
// compare, where), shared by the kernels (unary.cc, binary.cc) and the fused
// elementwise runner (fused.cc), so a fused program computes every element
// with the same code as the kernels it replaces: bit-identical results.
// The lists map each primitive to its functor (backends/common/scalar_ops.h).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <type_traits>

#include "backends/common/scalar_ops.h"
#include "backends/cpu/vector_math.h"

#define FNX_CPU_UNARY_OPS(X) \
  X(Neg, NegOp)              \
  X(Abs, AbsOp)              \
  X(Sign, SignOp)            \
  X(Exp, ExpOp)              \
  X(Log, LogOp)              \
  X(Log1p, Log1pOp)          \
  X(Expm1, Expm1Op)          \
  X(Sqrt, SqrtOp)            \
  X(Rsqrt, RsqrtOp)          \
  X(Sin, SinOp)              \
  X(Cos, CosOp)              \
  X(Tanh, TanhOp)            \
  X(Logistic, LogisticOp)    \
  X(Erf, ErfOp)              \
  X(Tan, TanOp)              \
  X(Asin, AsinOp)            \
  X(Acos, AcosOp)            \
  X(Atan, AtanOp)            \
  X(Sinh, SinhOp)            \
  X(Cosh, CoshOp)            \
  X(Asinh, AsinhOp)          \
  X(Acosh, AcoshOp)          \
  X(Atanh, AtanhOp)          \
  X(Log2, Log2Op)            \
  X(Log10, Log10Op)          \
  X(Exp2, Exp2Op)            \
  X(Lgamma, LgammaOp)        \
  X(Digamma, DigammaOp)      \
  X(Erfinv, ErfinvOp)        \
  X(Floor, FloorOp)          \
  X(Ceil, CeilOp)            \
  X(Round, RoundOp)          \
  X(Trunc, TruncOp)          \
  X(LogicalNot, LogicalNotOp)

#define FNX_CPU_BINARY_OPS(X) \
  X(Add, AddOp)               \
  X(Sub, SubOp)               \
  X(Mul, MulOp)               \
  X(Div, DivOp)               \
  X(Pow, PowOp)               \
  X(Maximum, MaximumOp)       \
  X(Minimum, MinimumOp)       \
  X(Atan2, Atan2Op)           \
  X(Hypot, HypotOp)           \
  X(Fmod, FmodOp)             \
  X(Remainder, RemainderOp)   \
  X(Polygamma, PolygammaOp)

#define FNX_CPU_COMPARE_OPS(X) \
  X(Eq, EqOp)                  \
  X(Ne, NeOp)                  \
  X(Lt, LtOp)                  \
  X(Le, LeOp)                  \
  X(Gt, GtOp)                  \
  X(Ge, GeOp)                  \
  X(LogicalAnd, LogicalAndOp)  \
  X(LogicalOr, LogicalOrOp)

namespace fnx::cpu {

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

}  // namespace fnx::cpu
