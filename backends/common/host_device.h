// FNX_HD: a function compiled for both the host and CUDA devices: the
// per-element functions every backend shares (scalar_ops.h), and the CUDA
// kernels' arithmetic that host tests check on any machine.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#if defined(__CUDACC__)
#define FNX_HD __host__ __device__ __forceinline__
#else
#define FNX_HD inline
#endif

namespace fnx {

// NaN test that also compiles (to false) for integer and bool types.
template <typename T>
FNX_HD bool is_nan_value(T v) {
  if constexpr (std::is_floating_point_v<T>) {
    return v != v;
  } else {
    return false;
  }
}

// The type a running sum (cumsum) of T accumulates in, on every backend:
// floats in double; integers in their unsigned type, so that overflow wraps
// (as torch's sums do) instead of being undefined. (bool: unused, the shape
// rule refuses it.)
template <typename T>
struct ScanAccumulatorOf {
  using type = std::make_unsigned_t<T>;
};
template <>
struct ScanAccumulatorOf<bool> {
  using type = bool;
};
template <>
struct ScanAccumulatorOf<float> {
  using type = double;
};
template <>
struct ScanAccumulatorOf<double> {
  using type = double;
};
template <typename T>
using ScanAccumulator = typename ScanAccumulatorOf<T>::type;

// Argsort's sort keys, on every backend: an unsigned integer ordered as
// the values sort ascending (NaN above +inf, every NaN equal, -0 equal to
// +0), so fibers sort as integers (radix sort on the CPU, merges on CUDA)
// with no comparator reading the values; descending sorts the complement.
template <typename T>
using SortKeyOf = std::conditional_t<sizeof(T) == 8, uint64_t, uint32_t>;

template <typename T>
FNX_HD SortKeyOf<T> sort_key(T v) {
  using U = SortKeyOf<T>;
  constexpr U kTop = U{1} << (8 * sizeof(U) - 1);
  if constexpr (std::is_floating_point_v<T>) {
    if (v != v) return ~U{0};
    if (v == T(0)) v = T(0);  // -0 sorts with +0
    U bits;
    memcpy(&bits, &v, sizeof(U));
    return (bits & kTop) ? ~bits : (bits | kTop);
  } else if constexpr (std::is_same_v<T, bool>) {
    return static_cast<U>(v);
  } else {
    return static_cast<U>(v) ^ kTop;  // two's complement: flip the sign bit
  }
}

// Logcumsumexp's running state (in double for every float type): m, the
// largest element so far, and s, the sum of exp(x - m); the value is
// m + log(s). A new maximum rescales s, so exp never overflows and small
// elements are not lost to a shift chosen too early. -inf adds exp(-inf) =
// 0 (all -inf gives -inf); a NaN makes s NaN for good; +inf gives +inf.
struct LogSumExpScan {
  double m = -HUGE_VAL;
  double s = 0;
  FNX_HD void add(double v) {
    if (v > m) {
      s = s * exp(m - v) + 1;
      m = v;
    } else if (v == m) {
      s += 1;  // also -inf after -inf and +inf after +inf (no inf - inf)
    } else {
      s += exp(v - m);  // NaN v: NaN
    }
  }
  FNX_HD double value() const { return m + log(s); }
};

// Whether v takes the running max (kMax) or min position from `best`, as
// torch's cummax / cummin: a NaN always does (so NaN sticks, at the latest
// NaN's position), nothing takes it from a NaN, and of equal values the
// later wins.
template <bool kMax, typename T>
FNX_HD bool takes_extreme(T v, T best) {
  if (is_nan_value(v)) return true;
  if (is_nan_value(best)) return false;
  return kMax ? v >= best : v <= best;
}

}  // namespace fnx
