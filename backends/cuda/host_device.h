// FNX_HD: a function the device kernels call that is also compiled for the
// host, so that host tests check the kernels' arithmetic on any machine.
#pragma once

#include <type_traits>

#if defined(__CUDACC__)
#define FNX_HD __host__ __device__ __forceinline__
#else
#define FNX_HD inline
#endif

namespace fnx::cuda {

// NaN test that also compiles (to false) for integer and bool types.
template <typename T>
FNX_HD bool is_nan_value(T v) {
  if constexpr (std::is_floating_point_v<T>) {
    return v != v;
  } else {
    return false;
  }
}

}  // namespace fnx::cuda
