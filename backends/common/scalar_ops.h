// The per-element functions of the elementwise primitives, one functor per
// primitive, defined for every element type and shared by the CPU and CUDA
// backends (FNX_HD: compiled for the host and the device): integer
// arithmetic wraps (no undefined behaviour on overflow), float-only
// functions applied to an integer type compute in double and convert back,
// maximum/minimum propagate NaN, bool arithmetic is logical (add = or,
// mul = and, sub = xor), and convert<> is total.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "backends/common/host_device.h"
#include "backends/common/special_functions.h"

namespace fnx::scalar {

template <typename T>
inline constexpr bool kIsBool = std::is_same_v<T, bool>;
template <typename T>
inline constexpr bool kIsInt = std::is_integral_v<T> && !kIsBool<T>;

// to bool: != 0 (NaN is true); NaN to integer: 0; out-of-range floats
// saturate.
template <typename To, typename From>
FNX_HD To convert(From x) {
  if constexpr (std::is_same_v<To, From>) {
    return x;
  } else if constexpr (std::is_same_v<To, bool>) {
    return x != From(0);
  } else if constexpr (std::is_floating_point_v<From> &&
                       std::is_integral_v<To>) {
    if (x != x) return To(0);
    if (x >= static_cast<From>(std::numeric_limits<To>::max())) {
      return std::numeric_limits<To>::max();
    }
    if (x <= static_cast<From>(std::numeric_limits<To>::lowest())) {
      return std::numeric_limits<To>::lowest();
    }
    return static_cast<To>(x);
  } else {
    return static_cast<To>(x);
  }
}

template <typename T>
FNX_HD T wrap_neg(T x) {
  using U = std::make_unsigned_t<T>;
  return static_cast<T>(U(0) - static_cast<U>(x));
}

// ---------------- unary: Out operator()(T) ----------------

struct NegOp {
  template <typename T>
  FNX_HD T operator()(T x) const {
    if constexpr (kIsBool<T>)
      return x;
    else if constexpr (kIsInt<T>)
      return wrap_neg(x);
    else
      return -x;
  }
};
struct AbsOp {
  template <typename T>
  FNX_HD T operator()(T x) const {
    if constexpr (kIsBool<T>)
      return x;
    else if constexpr (kIsInt<T>)
      return x < 0 ? wrap_neg(x) : x;
    else if constexpr (std::is_same_v<T, float>)
      return fabsf(x);
    else
      return fabs(x);
  }
};
// NaN stays NaN (as NumPy and JAX); -0.0 and 0.0 give 0.
struct SignOp {
  template <typename T>
  FNX_HD T operator()(T x) const {
    if constexpr (kIsBool<T>)
      return x;
    else if constexpr (kIsInt<T>)
      return static_cast<T>((x > 0) - (x < 0));
    else
      return x != x ? x : static_cast<T>((x > T(0)) - (x < T(0)));
  }
};

// Float-only functions: floats directly, other types through double.
#define FNX_FLOAT_UNARY(Name, fexpr, dexpr)           \
  struct Name {                                       \
    FNX_HD float f(float v) const { return fexpr; }   \
    FNX_HD double f(double v) const { return dexpr; } \
    template <typename T>                             \
    FNX_HD T operator()(T x) const {                  \
      if constexpr (std::is_floating_point_v<T>) {    \
        return f(x);                                  \
      } else {                                        \
        return convert<T>(f(static_cast<double>(x))); \
      }                                               \
    }                                                 \
  };
FNX_FLOAT_UNARY(ExpOp, expf(v), exp(v))
FNX_FLOAT_UNARY(LogOp, logf(v), log(v))
FNX_FLOAT_UNARY(Log1pOp, log1pf(v), log1p(v))
FNX_FLOAT_UNARY(Expm1Op, expm1f(v), expm1(v))
FNX_FLOAT_UNARY(SqrtOp, sqrtf(v), sqrt(v))
FNX_FLOAT_UNARY(RsqrtOp, 1.0f / sqrtf(v), 1.0 / sqrt(v))
FNX_FLOAT_UNARY(SinOp, sinf(v), sin(v))
FNX_FLOAT_UNARY(CosOp, cosf(v), cos(v))
FNX_FLOAT_UNARY(TanhOp, tanhf(v), tanh(v))
FNX_FLOAT_UNARY(ErfOp, erff(v), erf(v))
FNX_FLOAT_UNARY(LogisticOp,
                v >= 0 ? 1.0f / (1.0f + expf(-v)) : expf(v) / (1.0f + expf(v)),
                v >= 0 ? 1.0 / (1.0 + exp(-v)) : exp(v) / (1.0 + exp(v)))
FNX_FLOAT_UNARY(TanOp, tanf(v), tan(v))
FNX_FLOAT_UNARY(AsinOp, asinf(v), asin(v))
FNX_FLOAT_UNARY(AcosOp, acosf(v), acos(v))
FNX_FLOAT_UNARY(AtanOp, atanf(v), atan(v))
FNX_FLOAT_UNARY(SinhOp, sinhf(v), sinh(v))
FNX_FLOAT_UNARY(CoshOp, coshf(v), cosh(v))
FNX_FLOAT_UNARY(AsinhOp, asinhf(v), asinh(v))
FNX_FLOAT_UNARY(AcoshOp, acoshf(v), acosh(v))
FNX_FLOAT_UNARY(AtanhOp, atanhf(v), atanh(v))
FNX_FLOAT_UNARY(Log2Op, log2f(v), log2(v))
FNX_FLOAT_UNARY(Log10Op, log10f(v), log10(v))
FNX_FLOAT_UNARY(Exp2Op, exp2f(v), exp2(v))
// The special functions compute in double (special_functions.h); float
// rounds the double result.
FNX_FLOAT_UNARY(LgammaOp, static_cast<float>(special::lgamma_of(v)),
                special::lgamma_of(v))
FNX_FLOAT_UNARY(DigammaOp, static_cast<float>(special::digamma(v)),
                special::digamma(v))
FNX_FLOAT_UNARY(ErfinvOp, static_cast<float>(special::erfinv(v)),
                special::erfinv(v))
#undef FNX_FLOAT_UNARY

// Integers and bool are already whole: unchanged (not through double, which
// would round large int64 values).
#define FNX_ROUNDING_UNARY(Name, ffn, dfn)          \
  struct Name {                                     \
    template <typename T>                           \
    FNX_HD T operator()(T x) const {                \
      if constexpr (std::is_same_v<T, float>)       \
        return ffn(x);                              \
      else if constexpr (std::is_same_v<T, double>) \
        return dfn(x);                              \
      else                                          \
        return x;                                   \
    }                                               \
  };
FNX_ROUNDING_UNARY(FloorOp, floorf, floor)
FNX_ROUNDING_UNARY(CeilOp, ceilf, ceil)
// round: halves to even (rint in the default rounding mode), as torch and
// NumPy; trunc: toward zero.
FNX_ROUNDING_UNARY(RoundOp, rintf, rint)
FNX_ROUNDING_UNARY(TruncOp, truncf, trunc)
#undef FNX_ROUNDING_UNARY

// Reads any dtype, produces bool.
struct LogicalNotOp {
  static constexpr bool kBoolResult = true;
  template <typename T>
  FNX_HD bool operator()(T x) const {
    return !convert<bool>(x);
  }
};

// ---------------- binary: Out operator()(T, T) ----------------

struct AddOp {
  template <typename T>
  FNX_HD T operator()(T a, T b) const {
    if constexpr (kIsBool<T>)
      return a || b;
    else if constexpr (kIsInt<T>) {
      using U = std::make_unsigned_t<T>;
      return static_cast<T>(static_cast<U>(a) + static_cast<U>(b));
    } else
      return a + b;
  }
};
struct SubOp {
  template <typename T>
  FNX_HD T operator()(T a, T b) const {
    if constexpr (kIsBool<T>)
      return a != b;
    else if constexpr (kIsInt<T>) {
      using U = std::make_unsigned_t<T>;
      return static_cast<T>(static_cast<U>(a) - static_cast<U>(b));
    } else
      return a - b;
  }
};
struct MulOp {
  template <typename T>
  FNX_HD T operator()(T a, T b) const {
    if constexpr (kIsBool<T>)
      return a && b;
    else if constexpr (kIsInt<T>) {
      using U = std::make_unsigned_t<T>;
      return static_cast<T>(static_cast<U>(a) * static_cast<U>(b));
    } else
      return a * b;
  }
};
// Floats: true division. Integers (the op API never sends them, it
// promotes to float first): floor division as Python's //, and x / 0 = 0.
struct DivOp {
  template <typename T>
  FNX_HD T operator()(T a, T b) const {
    if constexpr (kIsBool<T>)
      return b && a;
    else if constexpr (kIsInt<T>) {
      if (b == 0) return 0;
      if (b == -1) return wrap_neg(a);
      T q = a / b;
      if (a % b != 0 && ((a < 0) != (b < 0))) --q;
      return q;
    } else
      return a / b;
  }
};
// Integers: exact power by squaring (wrapping); a negative exponent gives
// 1 / a truncated (0 unless |a| == 1).
struct PowOp {
  template <typename T>
  FNX_HD T operator()(T a, T b) const {
    if constexpr (kIsBool<T>)
      return b ? a : true;
    else if constexpr (kIsInt<T>) {
      if (b < 0) {
        if (a == 1) return 1;
        if (a == -1) return (b & 1) ? T(-1) : T(1);
        return 0;
      }
      using U = std::make_unsigned_t<T>;
      U result = 1, base = static_cast<U>(a);
      for (U e = static_cast<U>(b); e != 0; e >>= 1) {
        if (e & 1) result *= base;
        base *= base;
      }
      return static_cast<T>(result);
    } else if constexpr (std::is_same_v<T, float>) {
      return powf(a, b);
    } else {
      return pow(a, b);
    }
  }
};
// NaN-propagating, as torch.maximum / torch.minimum.
struct MaximumOp {
  template <typename T>
  FNX_HD T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>)
      return (a > b || a != a) ? a : b;
    else
      return a > b ? a : b;
  }
};
struct MinimumOp {
  template <typename T>
  FNX_HD T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>)
      return (a < b || a != a) ? a : b;
    else
      return a < b ? a : b;
  }
};

// Float-only binary functions (the op API promotes integers to float).
#define FNX_FLOAT_BINARY(Name, fexpr, dexpr)                    \
  struct Name {                                                 \
    FNX_HD float f(float a, float b) const { return fexpr; }    \
    FNX_HD double f(double a, double b) const { return dexpr; } \
    template <typename T>                                       \
    FNX_HD T operator()(T a, T b) const {                       \
      if constexpr (std::is_floating_point_v<T>) {              \
        return f(a, b);                                         \
      } else {                                                  \
        return convert<T>(                                      \
            f(static_cast<double>(a), static_cast<double>(b))); \
      }                                                         \
    }                                                           \
  };
FNX_FLOAT_BINARY(Atan2Op, atan2f(a, b), atan2(a, b))
// hypot never overflows or underflows in a * a + b * b.
FNX_FLOAT_BINARY(HypotOp, hypotf(a, b), hypot(a, b))
// polygamma(n, x): n a whole number >= 0 held as a float.
FNX_FLOAT_BINARY(PolygammaOp,
                 static_cast<float>(special::polygamma(a, b)),
                 special::polygamma(a, b))
#undef FNX_FLOAT_BINARY

// fmod: C's fmod, the sign of a (exact). remainder: the sign of b, as
// Python's % and torch.remainder (a - b * floor(a / b), computed from the
// exact fmod). Integers: the same conventions, and x % 0 = 0 (as DivOp's
// x / 0; the op API never sends bool).
struct FmodOp {
  template <typename T>
  FNX_HD T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, float>) {
      return fmodf(a, b);
    } else if constexpr (std::is_same_v<T, double>) {
      return fmod(a, b);
    } else if constexpr (kIsInt<T>) {
      if (b == 0 || b == -1) return 0;
      return a % b;
    } else {
      return a;
    }
  }
};
struct RemainderOp {
  template <typename T>
  FNX_HD T operator()(T a, T b) const {
    const T r = FmodOp{}(a, b);
    if constexpr (kIsBool<T>) {
      return r;
    } else {
      return (r != T(0) && ((r < T(0)) != (b < T(0)))) ? T(r + b) : r;
    }
  }
};

#define FNX_COMPARE(Name, expr)              \
  struct Name {                              \
    template <typename T>                    \
    FNX_HD bool operator()(T a, T b) const { \
      return expr;                           \
    }                                        \
  };
FNX_COMPARE(EqOp, a == b)
FNX_COMPARE(NeOp, a != b)
FNX_COMPARE(LtOp, a < b)
FNX_COMPARE(LeOp, a <= b)
FNX_COMPARE(GtOp, a > b)
FNX_COMPARE(GeOp, a >= b)
FNX_COMPARE(LogicalAndOp, convert<bool>(a) && convert<bool>(b))
FNX_COMPARE(LogicalOrOp, convert<bool>(a) || convert<bool>(b))
#undef FNX_COMPARE

// ---------------- softmax / log_softmax ----------------

// What softmax subtracts before exp: the maximum along the dim, or 0 when
// it is +-inf so that x - max never forms inf - inf (torch's choice; a NaN
// maximum stays NaN). inf - inf and NaN - NaN are the non-finite cases of
// max - max.
template <typename T>
FNX_HD T softmax_shift(T max) {
  const T zero_if_finite = max - max;
  const bool infinite = zero_if_finite != zero_if_finite && max == max;
  return infinite ? T(0) : max;
}

// An element's result once its dim's shift and sum of exp(x - shift) are
// known: log_softmax (kLog) gives (x - shift) - log(sum), softmax
// exp(x - shift) / sum. norm() is computed once per slice of the dim.
template <bool kLog>
struct SoftmaxFinish {
  template <typename T>
  FNX_HD static T norm(T sum) {
    return kLog ? LogOp{}(sum) : sum;
  }
  template <typename T>
  FNX_HD static T apply(T x, T shift, T norm) {
    return kLog ? (x - shift) - norm : ExpOp{}(x - shift) / norm;
  }
};

}  // namespace fnx::scalar
