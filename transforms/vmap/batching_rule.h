// The batching-rule contract of the vmap plugin. A rule gets a primitive
// call whose inputs are already unwrapped at its vmap level: each is a
// "physical" tensor (of the level below) plus where its batch dim is (or
// none), and returns the physical result and its batch dim. Rules are
// written with public ops only, which run one level down (the vmap level is
// hidden while its rule runs), so nested vmap and other transforms compose.
//
// One rule per primitive lives in the registry's rule table "batching"
// (Registrar::rule(kBatchingTable, prim, &rule)).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "core/primitive.h"
#include "core/registry.h"
#include "core/tensor.h"
#include "transforms/vmap/vmap_entry.h"

namespace fnx::vmap_internal {

inline constexpr std::string_view kBatchingTable = "batching";

// A physical tensor and the position of the batch dim in it (-1: the value
// is the same for every example).
struct BatchedValue {
  Tensor value;
  int64_t bdim = -1;

  bool batched() const { return bdim >= 0; }
  // The rank one example sees.
  int64_t logical_rank() const { return value.dim() - (batched() ? 1 : 0); }
};

// The (seed, offset) keys of the random ops one chunk of a chunked vmap
// drew, replayed in the same order by the following chunks so that every
// chunk sees the numbers an unchunked vmap would.
struct RandomReplay {
  std::vector<std::pair<uint64_t, uint64_t>> keys;
  bool recording = true;
  std::size_t next = 0;
};

// What a rule knows about its vmap level.
struct BatchContext {
  int64_t batch_size = 0;
  Randomness randomness = Randomness::error;
  // Index of this chunk's first example in the whole batch (chunk_size).
  int64_t example_offset = 0;
  RandomReplay* replay = nullptr;  // null when not chunked
  // VmapOptions::promote_inplace_writes, and the first storage serial of
  // this call (memory with a smaller one existed before it: captured).
  bool promote_inplace_writes = false;
  uint64_t first_serial = 0;
  // This level (Interpreter::level(), set by the interpreter): collectives
  // over its VmapAxis are its own (rules_collective.cc).
  int64_t level = -1;
};

using BatchingRule = BatchedValue (*)(const BatchContext& ctx,
                                      const OpCall& call,
                                      std::span<const BatchedValue> args);

// Higher-order primitives (custom_call) have several outputs; their entry
// in the table has this type instead (VmapInterpreter::process_higher_order).
using HigherOrderBatchingRule = std::vector<BatchedValue> (*)(
    const BatchContext& ctx, const OpCall& call,
    std::span<const BatchedValue> args);

inline void add_higher_order_rule(Registrar& r, Prim prim,
                                  HigherOrderBatchingRule rule) {
  r.rule(kBatchingTable, prim, reinterpret_cast<const void*>(rule));
}

// Registers `rule` as the batching rule of `prim`.
inline void add_batching_rule(Registrar& r, Prim prim, BatchingRule rule) {
  r.rule(kBatchingTable, prim, reinterpret_cast<const void*>(rule));
}

}  // namespace fnx::vmap_internal
