#include "core/generator.h"

#include <cmath>
#include <numbers>
#include <string>

#include "core/error.h"
#include "core/str_cat.h"

namespace fnx {
namespace {

constexpr uint32_t kMul0 = 0xD2511F53, kMul1 = 0xCD9E8D57;
constexpr uint32_t kWeyl0 = 0x9E3779B9, kWeyl1 = 0xBB67AE85;

inline void mulhilo(uint32_t a, uint32_t b, uint32_t& hi, uint32_t& lo) {
  const uint64_t p = static_cast<uint64_t>(a) * b;
  hi = static_cast<uint32_t>(p >> 32);
  lo = static_cast<uint32_t>(p);
}

}  // namespace

std::array<uint32_t, 4> philox4x32(uint64_t seed, uint64_t counter) {
  std::array<uint32_t, 4> c = {static_cast<uint32_t>(counter),
                               static_cast<uint32_t>(counter >> 32), 0, 0};
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int round = 0; round < 10; ++round) {
    uint32_t hi0, lo0, hi1, lo1;
    mulhilo(kMul0, c[0], hi0, lo0);
    mulhilo(kMul1, c[2], hi1, lo1);
    c = {hi1 ^ c[1] ^ k0, lo1, hi0 ^ c[3] ^ k1, lo0};
    k0 += kWeyl0;
    k1 += kWeyl1;
  }
  return c;
}

float philox_uniform_float(uint32_t word) {
  return static_cast<float>(word >> 8) * (1.0f / 16777216.0f);
}

double philox_uniform_double(uint32_t hi, uint32_t lo) {
  const uint64_t bits = (static_cast<uint64_t>(hi) << 21) | (lo >> 11);
  return static_cast<double>(bits) * (1.0 / 9007199254740992.0);
}

double philox_uniform_at(uint64_t seed, uint64_t offset, int64_t i,
                         bool is_double) {
  if (!is_double) {
    const auto block = philox4x32(seed, offset + static_cast<uint64_t>(i) / 4);
    return philox_uniform_float(block[i % 4]);
  }
  const auto block = philox4x32(seed, offset + static_cast<uint64_t>(i) / 2);
  const int lane = 2 * static_cast<int>(i % 2);
  return philox_uniform_double(block[lane], block[lane + 1]);
}

double philox_normal_at(uint64_t seed, uint64_t offset, int64_t i) {
  const auto block = philox4x32(seed, offset + static_cast<uint64_t>(i) / 2);
  const double u1 = philox_uniform_double(block[0], block[1]);
  const double u2 = philox_uniform_double(block[2], block[3]);
  const double radius = std::sqrt(-2.0 * std::log1p(-u1));
  const double theta = 2.0 * std::numbers::pi * u2;
  return radius * (i % 2 == 0 ? std::cos(theta) : std::sin(theta));
}

void Generator::manual_seed(uint64_t seed) {
  std::lock_guard<std::mutex> lock(mutex_);
  seed_ = seed;
  offset_ = 0;
}

namespace {
thread_local RandomKeyLog* t_key_log = nullptr;
}  // namespace

RandomKeyScope::RandomKeyScope(RandomKeyLog& log) : saved_(t_key_log) {
  log.next = 0;
  t_key_log = &log;
}
RandomKeyScope::~RandomKeyScope() { t_key_log = saved_; }

Generator::Key Generator::reserve(uint64_t n) {
  RandomKeyLog* log = t_key_log;
  if (log != nullptr && log->replaying) {
    FNX_CHECK(log->next < log->entries.size() && log->entries[log->next].n == n,
              "checkpoint",
              "the recomputation drew random numbers the first run did not "
              "(a random op of ", n, " elements where the first run had ",
              log->next < log->entries.size()
                  ? str_cat(log->entries[log->next].n, " elements")
                  : std::string("none"),
              "); the checkpointed function must draw the same random ops "
              "each time it runs");
    return log->entries[log->next++].key;
  }
  Key key;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    key = Key{seed_, offset_};
    offset_ += n;
  }
  if (log != nullptr) log->entries.push_back({key, n});
  return key;
}

Generator& default_generator() {
  static Generator generator;
  return generator;
}

void manual_seed(uint64_t seed) { default_generator().manual_seed(seed); }

}  // namespace fnx
