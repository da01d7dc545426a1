// Counter-based random numbers (Philox4x32-10, Salmon et al. 2011): the
// value at (seed, counter) is a pure function, so every backend produces the
// same stream and random primitives are deterministic given their attrs.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <vector>

namespace fnx {

std::array<uint32_t, 4> philox4x32(uint64_t seed, uint64_t counter);
// Uniform in [0, 1) from one 32-bit (float) or two 32-bit words (double).
float philox_uniform_float(uint32_t word);
double philox_uniform_double(uint32_t hi, uint32_t lo);

// A seed and a running offset. Each random op reserves a range of counters.
class Generator {
 public:
  explicit Generator(uint64_t seed = 0x5eed) : seed_(seed) {}
  void manual_seed(uint64_t seed);
  // The seed and first counter of a fresh block of n counters.
  struct Key {
    uint64_t seed, offset;
  };
  Key reserve(uint64_t n);

 private:
  std::mutex mutex_;
  uint64_t seed_;
  uint64_t offset_ = 0;
};

Generator& default_generator();
void manual_seed(uint64_t seed);  // reseeds the default generator

// The keys Generator::reserve handed out on this thread while a
// RandomKeyScope was open, in order. A scope over a log opened for replay
// hands the same keys out again, in the same order, without advancing any
// generator: a recomputation (checkpoint's backward) draws exactly the
// numbers the first run drew.
struct RandomKeyLog {
  struct Entry {
    Generator::Key key;
    uint64_t n;
  };
  std::vector<Entry> entries;
  bool replaying = false;
  std::size_t next = 0;
};
class RandomKeyScope {
 public:
  explicit RandomKeyScope(RandomKeyLog& log);
  ~RandomKeyScope();
  RandomKeyScope(const RandomKeyScope&) = delete;
  RandomKeyScope& operator=(const RandomKeyScope&) = delete;

 private:
  RandomKeyLog* saved_;
};

}  // namespace fnx

namespace fnx {

// The element-to-counter mapping every backend follows (so CPU and CUDA
// streams are identical): element i of a Uniform float32 result uses lane
// i%4 of block offset+i/4; float64 uses lanes 2(i%2), 2(i%2)+1 of block
// offset+i/2; Normal (Box-Muller) uses block offset+i/2, taking the cosine
// branch for even i and the sine branch for odd i. A call of n elements
// reserves n counters.
double philox_uniform_at(uint64_t seed, uint64_t offset, int64_t i,
                         bool is_double);
double philox_normal_at(uint64_t seed, uint64_t offset, int64_t i);

}  // namespace fnx
