// FNX_HD: a function compiled for both the host and CUDA devices: the
// per-element functions every backend shares (scalar_ops.h), and the CUDA
// kernels' arithmetic that host tests check on any machine.
#pragma once

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

}  // namespace fnx
