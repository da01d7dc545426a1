// Uniform and Normal with core/generator.cc's Philox4x32-10 and its
// element-to-counter mapping (philox.h), so a seed gives the same
// numbers here as on the CPU: uniforms bit for bit, normals up to the last
// bits of the device's log/cos/sin.
#include <cstdint>
#include <type_traits>

#include "backends/common/scalar_ops.h"
#include "backends/cuda/kernels.h"
#include "backends/cuda/launch.h"
#include "backends/cuda/loop.cuh"
#include "backends/cuda/philox.h"

namespace fnx::cuda {
namespace {

// Integer dtypes take the floor, as the CPU backend.
template <typename T>
__device__ __forceinline__ T from_double(double v) {
  if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(v);
  } else {
    return scalar::convert<T>(floor(v));
  }
}

template <typename T>
__global__ void uniform_kernel(T* dst, int64_t n, uint64_t seed,
                               uint64_t offset, double low, double high) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  dst[i] = from_double<T>(philox::uniform_at(
      seed, offset, i, std::is_same_v<T, double>, low, high));
}

template <typename T>
__global__ void normal_kernel(T* dst, int64_t n, uint64_t seed, uint64_t offset,
                              double mean, double std) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  dst[i] = from_double<T>(philox::normal_at(seed, offset, i, mean, std));
}

}  // namespace

cudaError_t launch_random(bool normal, Scalar t, void* dst, int64_t n,
                          uint64_t seed, uint64_t offset, double a, double b,
                          cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  const unsigned blocks = static_cast<unsigned>((n + kThreads - 1) / kThreads);
  return dispatch_all(t, [&]<typename T>() {
    if (normal) {
      launch(normal_kernel<T>, blocks, kThreads, stream, static_cast<T*>(dst),
             n, seed, offset, a, b);
    } else {
      launch(uniform_kernel<T>, blocks, kThreads, stream, static_cast<T*>(dst),
             n, seed, offset, a, b);
    }
    return cudaGetLastError();
  });
}

}  // namespace fnx::cuda
