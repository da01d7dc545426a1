// The per-element functions of the elementwise primitives, one functor per
// primitive, each defined for every element type: integer arithmetic wraps
// (no undefined behaviour on overflow), float-only functions applied to an
// integer type compute in double and convert back, bool arithmetic is
// logical (add = or, mul = and, sub = xor).
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>

#include "backends/cpu/common.h"

namespace fnx::cpu {

template <typename T>
inline constexpr bool kIsBool = std::is_same_v<T, bool>;
template <typename T>
inline constexpr bool kIsInt = std::is_integral_v<T> && !kIsBool<T>;

template <typename T>
using UnsignedOf = std::make_unsigned_t<T>;

// Float-only functions on any T: floats directly, the rest through double.
template <typename T, typename F>
inline T via_float(T x, F f) {
  if constexpr (std::is_floating_point_v<T>) {
    return f(x);
  } else {
    return convert<T>(f(static_cast<double>(x)));
  }
}

// ---------------- unary ----------------

struct NegOp {
  template <typename T>
  T operator()(T x) const {
    if constexpr (kIsBool<T>) {
      return x;
    } else if constexpr (kIsInt<T>) {
      return static_cast<T>(UnsignedOf<T>(0) - static_cast<UnsignedOf<T>>(x));
    } else {
      return -x;
    }
  }
};
struct AbsOp {
  template <typename T>
  T operator()(T x) const {
    if constexpr (kIsBool<T>) {
      return x;
    } else if constexpr (kIsInt<T>) {
      return x < 0 ? NegOp{}(x) : x;
    } else {
      return std::abs(x);
    }
  }
};
// NaN stays NaN (as NumPy and JAX); -0.0 and 0.0 give 0.
struct SignOp {
  template <typename T>
  T operator()(T x) const {
    if constexpr (kIsBool<T>) {
      return x;
    } else if constexpr (kIsInt<T>) {
      return static_cast<T>((x > 0) - (x < 0));
    } else {
      return std::isnan(x) ? x : static_cast<T>((x > 0) - (x < 0));
    }
  }
};

#define FNX_CPU_FLOAT_UNARY(Name, expr)                                \
  struct Name {                                                        \
    template <typename T>                                              \
    T operator()(T x) const {                                          \
      return via_float(x, [](auto v) -> decltype(v) { return expr; }); \
    }                                                                  \
  };
FNX_CPU_FLOAT_UNARY(ExpOp, std::exp(v))
FNX_CPU_FLOAT_UNARY(LogOp, std::log(v))
FNX_CPU_FLOAT_UNARY(Log1pOp, std::log1p(v))
FNX_CPU_FLOAT_UNARY(Expm1Op, std::expm1(v))
FNX_CPU_FLOAT_UNARY(SqrtOp, std::sqrt(v))
FNX_CPU_FLOAT_UNARY(RsqrtOp, decltype(v)(1) / std::sqrt(v))
FNX_CPU_FLOAT_UNARY(SinOp, std::sin(v))
FNX_CPU_FLOAT_UNARY(CosOp, std::cos(v))
FNX_CPU_FLOAT_UNARY(TanhOp, std::tanh(v))
FNX_CPU_FLOAT_UNARY(ErfOp, std::erf(v))
// 1 / (1 + exp(-x)) without overflow: exp is only taken of -|x|.
FNX_CPU_FLOAT_UNARY(LogisticOp,
                    v >= 0 ? decltype(v)(1) / (decltype(v)(1) + std::exp(-v))
                           : std::exp(v) / (decltype(v)(1) + std::exp(v)))
#undef FNX_CPU_FLOAT_UNARY

struct FloorOp {
  template <typename T>
  T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) {
      return std::floor(x);
    } else {
      return x;
    }
  }
};
struct CeilOp {
  template <typename T>
  T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) {
      return std::ceil(x);
    } else {
      return x;
    }
  }
};
// Reads any dtype, produces bool.
struct LogicalNotOp {
  static constexpr bool kBoolResult = true;
  template <typename T>
  bool operator()(T x) const {
    return !convert<bool>(x);
  }
};

// ---------------- binary ----------------

struct AddOp {
  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (kIsBool<T>) {
      return a || b;
    } else if constexpr (kIsInt<T>) {
      return static_cast<T>(static_cast<UnsignedOf<T>>(a) +
                            static_cast<UnsignedOf<T>>(b));
    } else {
      return a + b;
    }
  }
};
struct SubOp {
  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (kIsBool<T>) {
      return a != b;
    } else if constexpr (kIsInt<T>) {
      return static_cast<T>(static_cast<UnsignedOf<T>>(a) -
                            static_cast<UnsignedOf<T>>(b));
    } else {
      return a - b;
    }
  }
};
struct MulOp {
  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (kIsBool<T>) {
      return a && b;
    } else if constexpr (kIsInt<T>) {
      return static_cast<T>(static_cast<UnsignedOf<T>>(a) *
                            static_cast<UnsignedOf<T>>(b));
    } else {
      return a * b;
    }
  }
};
// Floats: true division. Integers (the op API never sends them, it
// promotes to float first): floor division as Python's //, and x / 0 = 0.
struct DivOp {
  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (kIsBool<T>) {
      return b && a;
    } else if constexpr (kIsInt<T>) {
      if (b == 0) return 0;
      if (b == -1) return NegOp{}(a);
      T q = a / b;
      if (a % b != 0 && ((a < 0) != (b < 0))) --q;
      return q;
    } else {
      return a / b;
    }
  }
};
// Integers: exact power by squaring (wrapping); a negative exponent gives
// 1 / a truncated (0 unless |a| == 1).
struct PowOp {
  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (kIsBool<T>) {
      return b ? a : true;
    } else if constexpr (kIsInt<T>) {
      if (b < 0) {
        if (a == 1) return 1;
        if (a == -1) return (b & 1) ? T(-1) : T(1);
        return 0;
      }
      using U = UnsignedOf<T>;
      U result = 1, base = static_cast<U>(a);
      for (U e = static_cast<U>(b); e != 0; e >>= 1) {
        if (e & 1) result *= base;
        base *= base;
      }
      return static_cast<T>(result);
    } else {
      return std::pow(a, b);
    }
  }
};
// NaN-propagating, as torch.maximum / torch.minimum.
struct MaximumOp {
  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      return (a > b || a != a) ? a : b;
    } else {
      return a > b ? a : b;
    }
  }
};
struct MinimumOp {
  template <typename T>
  T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      return (a < b || a != a) ? a : b;
    } else {
      return a < b ? a : b;
    }
  }
};

#define FNX_CPU_COMPARE(Name, expr)   \
  struct Name {                       \
    template <typename T>             \
    bool operator()(T a, T b) const { \
      return expr;                    \
    }                                 \
  };
FNX_CPU_COMPARE(EqOp, a == b)
FNX_CPU_COMPARE(NeOp, a != b)
FNX_CPU_COMPARE(LtOp, a < b)
FNX_CPU_COMPARE(LeOp, a <= b)
FNX_CPU_COMPARE(GtOp, a > b)
FNX_CPU_COMPARE(GeOp, a >= b)
FNX_CPU_COMPARE(LogicalAndOp, convert<bool>(a) && convert<bool>(b))
FNX_CPU_COMPARE(LogicalOrOp, convert<bool>(a) || convert<bool>(b))
#undef FNX_CPU_COMPARE

}  // namespace fnx::cpu
