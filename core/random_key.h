// JAX-style random keys beside generators: a key is a value (no state) that
// names a stream of random numbers. split makes independent keys,
// fold_in mixes data (a thread id, a rank, a step, an example index) into a
// key, and generator() gives a Generator drawing that key's stream. The
// same key always gives the same numbers, whatever thread, process or
// order it is used in: reproducible randomness without a shared generator.
//
//   RandomKey key = random_key(0);
//   auto [init_key, dropout_key] = split(key);
//   Generator g = fold_in(dropout_key, rank).generator();
//   Tensor noise = randn({4}, DType::Float32, &g);
//
// Under vmap a key is the same for every example (it is not a tensor):
// with {.randomness = Randomness::different} each example still draws its
// own numbers from the key's stream, reproducibly.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "core/generator.h"

namespace fnx {

struct RandomKey {
  uint64_t value = 0;

  // A generator whose stream is this key's (a fresh one each call).
  Generator generator() const { return Generator(value); }
  bool operator==(const RandomKey&) const = default;
};

// The key of a seed (JAX's PRNGKey).
RandomKey random_key(uint64_t seed);
// Two keys independent of each other and of `key`.
std::pair<RandomKey, RandomKey> split(RandomKey key);
// `num` independent keys (an fnx::Error for num < 0).
std::vector<RandomKey> split(RandomKey key, int64_t num);
// A key for `data` derived from `key` (JAX's fold_in).
RandomKey fold_in(RandomKey key, uint64_t data);

}  // namespace fnx
