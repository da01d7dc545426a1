// Uniform and Normal with core/generator.cc's Philox4x32-10 and its
// element-to-counter mapping (core/generator.h), so a seed gives the same
// numbers here as on the CPU: float32 uniforms bit for bit, float64 and
// normals up to the last bits of the device's log/cos/sin.
#include <cstdint>
#include <type_traits>

#include "backends/cuda/kernels.h"
#include "backends/cuda/loop.cuh"
#include "backends/cuda/scalar_ops.cuh"

namespace fnx::cuda {
namespace {

struct Block {
  uint32_t w[4];
};

__device__ __forceinline__ Block philox4x32(uint64_t seed, uint64_t counter) {
  uint32_t c0 = static_cast<uint32_t>(counter);
  uint32_t c1 = static_cast<uint32_t>(counter >> 32);
  uint32_t c2 = 0, c3 = 0;
  uint32_t k0 = static_cast<uint32_t>(seed);
  uint32_t k1 = static_cast<uint32_t>(seed >> 32);
#pragma unroll
  for (int round = 0; round < 10; ++round) {
    const uint32_t lo0 = 0xD2511F53u * c0;
    const uint32_t hi0 = __umulhi(0xD2511F53u, c0);
    const uint32_t lo1 = 0xCD9E8D57u * c2;
    const uint32_t hi1 = __umulhi(0xCD9E8D57u, c2);
    const uint32_t n0 = hi1 ^ c1 ^ k0;
    const uint32_t n2 = hi0 ^ c3 ^ k1;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return {{c0, c1, c2, c3}};
}

__device__ __forceinline__ float uniform_float(uint32_t word) {
  return static_cast<float>(word >> 8) * (1.0f / 16777216.0f);
}

__device__ __forceinline__ double uniform_double(uint32_t hi, uint32_t lo) {
  const uint64_t bits = (static_cast<uint64_t>(hi) << 21) | (lo >> 11);
  return static_cast<double>(bits) * (1.0 / 9007199254740992.0);
}

// Integer dtypes take the floor, as the CPU backend.
template <typename T>
__device__ __forceinline__ T from_double(double v) {
  if constexpr (std::is_floating_point_v<T>) {
    return static_cast<T>(v);
  } else {
    return convert<T>(floor(v));
  }
}

template <typename T>
__global__ void uniform_kernel(T* dst, int64_t n, uint64_t seed,
                               uint64_t offset, double low, double high) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  double u;
  if constexpr (std::is_same_v<T, double>) {
    const Block b = philox4x32(seed, offset + static_cast<uint64_t>(i) / 2);
    const int lane = 2 * static_cast<int>(i % 2);
    u = uniform_double(b.w[lane], b.w[lane + 1]);
  } else {
    const Block b = philox4x32(seed, offset + static_cast<uint64_t>(i) / 4);
    u = uniform_float(b.w[i % 4]);
  }
  // Rounded multiply and add (nvcc would fuse them): the CPU's arithmetic.
  dst[i] = from_double<T>(__dadd_rn(low, __dmul_rn(high - low, u)));
}

template <typename T>
__global__ void normal_kernel(T* dst, int64_t n, uint64_t seed, uint64_t offset,
                              double mean, double std) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const Block b = philox4x32(seed, offset + static_cast<uint64_t>(i) / 2);
  const double u1 = uniform_double(b.w[0], b.w[1]);
  const double u2 = uniform_double(b.w[2], b.w[3]);
  const double radius = sqrt(-2.0 * log1p(-u1));
  const double theta = 2.0 * 3.14159265358979323846 * u2;
  const double z = radius * (i % 2 == 0 ? cos(theta) : sin(theta));
  dst[i] = from_double<T>(__dadd_rn(mean, __dmul_rn(std, z)));
}

}  // namespace

cudaError_t launch_random(bool normal, Scalar t, void* dst, int64_t n,
                          uint64_t seed, uint64_t offset, double a, double b,
                          cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  const unsigned blocks = static_cast<unsigned>((n + kThreads - 1) / kThreads);
  return dispatch_all(t, [&]<typename T>() {
    if (normal) {
      normal_kernel<T><<<blocks, kThreads, 0, stream>>>(static_cast<T*>(dst), n,
                                                        seed, offset, a, b);
    } else {
      uniform_kernel<T><<<blocks, kThreads, 0, stream>>>(static_cast<T*>(dst),
                                                         n, seed, offset, a, b);
    }
    return cudaGetLastError();
  });
}

}  // namespace fnx::cuda
