#include "core/random_key.h"

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "core/error.h"

namespace fnx {
namespace {

// Keys are derived with the same Philox function the random ops use, with
// a tag per derivation so that split and fold_in never meet.
constexpr uint64_t kSeedTag = 0x9e3779b97f4a7c15ull;
constexpr uint64_t kSplitTag = 0xbf58476d1ce4e5b9ull;
constexpr uint64_t kFoldTag = 0x94d049bb133111ebull;

uint64_t derive(uint64_t key, uint64_t tag, uint64_t counter) {
  const std::array<uint32_t, 4> w = philox4x32(key ^ tag, counter);
  return (static_cast<uint64_t>(w[0]) << 32 | w[1]) ^
         (static_cast<uint64_t>(w[2]) << 32 | w[3]);
}

}  // namespace

RandomKey random_key(uint64_t seed) { return {derive(seed, kSeedTag, 0)}; }

std::pair<RandomKey, RandomKey> split(RandomKey key) {
  return {RandomKey{derive(key.value, kSplitTag, 0)},
          RandomKey{derive(key.value, kSplitTag, 1)}};
}

std::vector<RandomKey> split(RandomKey key, int64_t num) {
  FNX_CHECK(num >= 0, "split", "num is ", num, "; ask for 0 or more keys");
  std::vector<RandomKey> keys;
  keys.reserve(static_cast<std::size_t>(num));
  for (int64_t i = 0; i < num; ++i) {
    keys.push_back({derive(key.value, kSplitTag, static_cast<uint64_t>(i))});
  }
  return keys;
}

RandomKey fold_in(RandomKey key, uint64_t data) {
  return {derive(key.value, kFoldTag, data)};
}

}  // namespace fnx
