// The random kernels' Philox code (backends/cuda/philox.h, compiled here for
// the host) gives the CPU generator's numbers: the same words for any seed
// and counter, float32 and float64 uniforms bit for bit through the same
// element-to-counter mapping, and normals to the last bits. Runs in every
// build; the GPU suites check the kernels themselves against the CPU.
#include "backends/cuda/philox.h"

#include <cstdint>

#include "core/generator.h"
#include "gtest/gtest.h"

namespace fnx {
namespace {

TEST(CudaPhilox, SameWordsAsTheCpuGenerator) {
  for (uint64_t seed : {uint64_t{0}, uint64_t{42}, uint64_t{0x5eed},
                        ~uint64_t{0}, uint64_t{1} << 40}) {
    for (uint64_t counter : {uint64_t{0}, uint64_t{1}, uint64_t{12345},
                             uint64_t{1} << 33, ~uint64_t{0} - 7}) {
      const auto want = philox4x32(seed, counter);
      const cuda::philox::Block got = cuda::philox::philox4x32(seed, counter);
      for (int lane = 0; lane < 4; ++lane) {
        EXPECT_EQ(got.w[lane], want[lane]) << seed << " " << counter;
      }
    }
  }
}

TEST(CudaPhilox, SameElementsAsTheCpuMapping) {
  const uint64_t seed = 7, offset = 1000;
  for (int64_t i = 0; i < 4096; ++i) {
    for (bool is_double : {false, true}) {
      const double want = philox_uniform_at(seed, offset, i, is_double);
      EXPECT_EQ(cuda::philox::uniform_at(seed, offset, i, is_double, 0, 1),
                want)
          << i;
      // Scaled as the CPU kernel scales: low + (high - low) * u (the
      // product rounded on its own: no fused multiply-add).
      const volatile double scaled = 5.0 * want;
      EXPECT_EQ(cuda::philox::uniform_at(seed, offset, i, is_double, -2, 3),
                -2.0 + scaled)
          << i;
    }
    const double z = philox_normal_at(seed, offset, i);
    EXPECT_NEAR(cuda::philox::normal_at(seed, offset, i, 0.5, 2.0),
                0.5 + 2.0 * z, 1e-12)
        << i;
  }
}

}  // namespace
}  // namespace fnx
