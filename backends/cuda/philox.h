// Philox4x32-10 and core/generator.h's element-to-counter mapping, written
// once for the device kernels (random.cu) and compiled for the host too, so
// tests/cuda/philox_test.cc checks on any machine that this code gives the
// CPU generator's numbers.
#pragma once

#include <cmath>
#include <cstdint>

#include "backends/common/host_device.h"

namespace fnx::cuda::philox {

struct Block {
  uint32_t w[4];
};

FNX_HD uint32_t mulhi(uint32_t a, uint32_t b) {
#if defined(__CUDA_ARCH__)
  return __umulhi(a, b);
#else
  return static_cast<uint32_t>((static_cast<uint64_t>(a) * b) >> 32);
#endif
}

// a + b * c with the product rounded first (no fused multiply-add), as the
// CPU computes it.
FNX_HD double add_mul(double a, double b, double c) {
#if defined(__CUDA_ARCH__)
  return __dadd_rn(a, __dmul_rn(b, c));
#else
  const volatile double product = b * c;
  return a + product;
#endif
}

FNX_HD Block philox4x32(uint64_t seed, uint64_t counter) {
  uint32_t c0 = static_cast<uint32_t>(counter);
  uint32_t c1 = static_cast<uint32_t>(counter >> 32);
  uint32_t c2 = 0, c3 = 0;
  uint32_t k0 = static_cast<uint32_t>(seed);
  uint32_t k1 = static_cast<uint32_t>(seed >> 32);
#if defined(__CUDA_ARCH__)  // the device pass (g++ warns of the pragma)
#pragma unroll
#endif
  for (int round = 0; round < 10; ++round) {
    const uint32_t lo0 = 0xD2511F53u * c0;
    const uint32_t hi0 = mulhi(0xD2511F53u, c0);
    const uint32_t lo1 = 0xCD9E8D57u * c2;
    const uint32_t hi1 = mulhi(0xCD9E8D57u, c2);
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

FNX_HD float uniform_float(uint32_t word) {
  return static_cast<float>(word >> 8) * (1.0f / 16777216.0f);
}

FNX_HD double uniform_double(uint32_t hi, uint32_t lo) {
  const uint64_t bits = (static_cast<uint64_t>(hi) << 21) | (lo >> 11);
  return static_cast<double>(bits) * (1.0 / 9007199254740992.0);
}

// Element i of a Uniform(low, high) call at (seed, offset), before the
// conversion to the result type: float32 results use lane i % 4 of block
// offset + i / 4, float64 lanes 2(i%2), 2(i%2)+1 of block offset + i / 2.
FNX_HD double uniform_at(uint64_t seed, uint64_t offset, int64_t i,
                         bool is_double, double low, double high) {
  double u;
  if (is_double) {
    const Block b = philox4x32(seed, offset + static_cast<uint64_t>(i) / 2);
    const int lane = 2 * static_cast<int>(i % 2);
    u = uniform_double(b.w[lane], b.w[lane + 1]);
  } else {
    const Block b = philox4x32(seed, offset + static_cast<uint64_t>(i) / 4);
    u = uniform_float(b.w[i % 4]);
  }
  return add_mul(low, high - low, u);
}

// Element i of a Normal(mean, std) call: Box-Muller on block offset + i / 2,
// cosine branch for even i, sine for odd.
FNX_HD double normal_at(uint64_t seed, uint64_t offset, int64_t i, double mean,
                        double std) {
  const Block b = philox4x32(seed, offset + static_cast<uint64_t>(i) / 2);
  const double u1 = uniform_double(b.w[0], b.w[1]);
  const double u2 = uniform_double(b.w[2], b.w[3]);
  const double radius = sqrt(-2.0 * log1p(-u1));
  const double theta = 2.0 * 3.14159265358979323846 * u2;
  const double z = radius * (i % 2 == 0 ? cos(theta) : sin(theta));
  return add_mul(mean, std, z);
}

}  // namespace fnx::cuda::philox
