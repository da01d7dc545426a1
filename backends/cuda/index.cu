// Gather / IndexSelect (read at an index along one dim) and ScatterAdd /
// IndexAdd (atomically add at an index along one dim) over the shared loop.
// An index outside [0, size) writes nothing and is reported through
// IndexError for the host to raise.
#include "backends/common/scalar_ops.h"
#include "backends/cuda/kernels.h"
#include "backends/cuda/loop.cuh"

namespace fnx::cuda {
namespace {

__device__ __forceinline__ bool index_ok(int64_t v, int64_t size,
                                         const IndexError& err) {
  if (v >= 0 && v < size) return true;
  if (atomicCAS(err.flag, 0, 1) == 0) *err.bad = v;
  return false;
}

template <typename T>
struct GatherFn {
  int64_t size, stride;
  IndexError err;
  __device__ void operator()(char* const* p) const {
    const int64_t v = *reinterpret_cast<const int64_t*>(p[1]);
    if (!index_ok(v, size, err)) return;
    *reinterpret_cast<T*>(p[0]) =
        *reinterpret_cast<const T*>(p[2] + v * stride);
  }
};

template <typename T>
__device__ __forceinline__ void atomic_add(T* dst, T v) {
  if constexpr (std::is_same_v<T, bool>) {
    if (v) *reinterpret_cast<volatile bool*>(dst) = true;  // or: idempotent
  } else if constexpr (std::is_same_v<T, int64_t>) {
    atomicAdd(reinterpret_cast<unsigned long long*>(dst),
              static_cast<unsigned long long>(v));  // wraps like the CPU
  } else if constexpr (std::is_same_v<T, int32_t>) {
    atomicAdd(reinterpret_cast<unsigned*>(dst), static_cast<unsigned>(v));
  } else {
    atomicAdd(dst, v);
  }
}

template <typename T>
struct ScatterAddFn {
  int64_t size, stride;
  IndexError err;
  __device__ void operator()(char* const* p) const {
    const int64_t v = *reinterpret_cast<const int64_t*>(p[1]);
    if (!index_ok(v, size, err)) return;
    atomic_add(reinterpret_cast<T*>(p[0] + v * stride),
               *reinterpret_cast<const T*>(p[2]));
  }
};

}  // namespace

cudaError_t launch_gather(Scalar t, const Loop<3>& loop, int64_t along_size,
                          int64_t along_stride, IndexError err,
                          cudaStream_t stream) {
  return dispatch_all(t, [&]<typename T>() {
    return run_loop(loop, GatherFn<T>{along_size, along_stride, err}, stream);
  });
}

cudaError_t launch_scatter_add(Scalar t, const Loop<3>& loop,
                               int64_t along_size, int64_t along_stride,
                               IndexError err, cudaStream_t stream) {
  return dispatch_all(t, [&]<typename T>() {
    return run_loop(loop, ScatterAddFn<T>{along_size, along_stride, err},
                    stream);
  });
}

}  // namespace fnx::cuda
