// Finding a primitive's batching rule, and the slow per-example loop used
// for a primitive that has none (slice every mapped input, run the
// primitive per example, stack). Every primitive of fnx has a rule; the
// loop exists so that a primitive added later still works under vmap. It
// warns once per primitive, can be made an error, and records which
// primitives reached it (tests assert that none did).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "core/primitive.h"
#include "transforms/vmap/batching_rule.h"

namespace fnx::vmap_internal {

// The registered rule of `prim`, or null.
BatchingRule find_batching_rule(Prim prim);

// Runs the rule of call.prim, or the loop when it has none.
BatchedValue run_batching_rule(const BatchContext& ctx, const OpCall& call,
                               std::span<const BatchedValue> args);

// The per-example loop itself.
BatchedValue batch_by_loop(const BatchContext& ctx, const OpCall& call,
                           std::span<const BatchedValue> args);

void set_fallback_error(bool is_error);
// Names of the primitives that reached the loop so far, sorted.
std::vector<std::string> fallback_primitives();

// For tests of the loop: sends `prim` to the loop although it has a rule.
void force_fallback_for_testing(Prim prim, bool force);

}  // namespace fnx::vmap_internal
