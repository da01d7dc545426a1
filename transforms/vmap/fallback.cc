#include "transforms/vmap/fallback.h"

#include <algorithm>
#include <atomic>
#include <iostream>
#include <mutex>
#include <set>

#include "core/dispatch.h"
#include "core/error.h"
#include "core/ops/ops.h"
#include "core/registry.h"
#include "transforms/vmap/batching_util.h"

namespace fnx::vmap_internal {
namespace {

std::atomic<bool> g_fallback_is_error{false};
std::atomic<bool> g_forced[kNumPrims] = {};

struct FallbackRecord {
  std::mutex mutex;
  std::set<std::string> prims;
};

FallbackRecord& record() {
  static FallbackRecord* r = new FallbackRecord;  // never destroyed
  return *r;
}

// Records `prim`; warns the first time, or throws in error mode.
void report_fallback(Prim prim) {
  const std::string_view name = prim_name(prim);
  bool first = false;
  {
    FallbackRecord& r = record();
    std::lock_guard<std::mutex> lock(r.mutex);
    first = r.prims.insert(std::string(name)).second;
  }
  if (g_fallback_is_error.load(std::memory_order_relaxed)) {
    fail("vmap", name,
         " has no batching rule, and the per-example loop "
         "fallback is disabled (set_vmap_fallback_error(true)); add a rule "
         "to the \"batching\" table or allow the loop with "
         "set_vmap_fallback_error(false)");
  }
  if (first) {
    std::cerr << "[vmap] warning: " << name
              << " has no batching rule; vmap runs it as a slow "
                 "per-example loop (reported once per primitive)\n";
  }
}

}  // namespace

BatchingRule find_batching_rule(Prim prim) {
  static const int table = Registry::get().table_id(kBatchingTable);
  return reinterpret_cast<BatchingRule>(
      const_cast<void*>(Registry::get().rule(table, prim)));
}

BatchedValue run_batching_rule(const BatchContext& ctx, const OpCall& call,
                               std::span<const BatchedValue> args) {
  const BatchingRule rule = find_batching_rule(call.prim);
  if (rule == nullptr ||
      g_forced[static_cast<int>(call.prim)].load(std::memory_order_relaxed)) {
    return batch_by_loop(ctx, call, args);
  }
  return rule(ctx, call, args);
}

BatchedValue batch_by_loop(const BatchContext& ctx, const OpCall& call,
                           std::span<const BatchedValue> args) {
  report_fallback(call.prim);
  const bool any_batched =
      std::any_of(args.begin(), args.end(),
                  [](const BatchedValue& a) { return a.batched(); });
  if (!any_batched) {
    std::vector<Tensor> inputs;
    for (const BatchedValue& a : args) inputs.push_back(a.value);
    return unbatched(dispatch(call.prim, call.attrs, inputs));
  }
  if (ctx.batch_size == 0) {
    // No example to run: the result's per-example shape comes from the
    // shape rule (the call's inputs are the logical tensors).
    const OutMeta meta = infer_meta(call);
    return batched_at(
        zeros(with_dim(meta.shape, 0, 0), meta.dtype, meta.device), 0);
  }
  std::vector<Tensor> results;
  results.reserve(ctx.batch_size);
  std::vector<Tensor> example(args.size());
  for (int64_t b = 0; b < ctx.batch_size; ++b) {
    for (std::size_t i = 0; i < args.size(); ++i) {
      example[i] = args[i].batched() ? select(args[i].value, args[i].bdim, b)
                                     : args[i].value;
    }
    results.push_back(dispatch(call.prim, call.attrs, example));
  }
  return batched_at(stack(results, 0), 0);
}

void set_fallback_error(bool is_error) {
  g_fallback_is_error.store(is_error, std::memory_order_relaxed);
}

std::vector<std::string> fallback_primitives() {
  FallbackRecord& r = record();
  std::lock_guard<std::mutex> lock(r.mutex);
  return {r.prims.begin(), r.prims.end()};
}

void force_fallback_for_testing(Prim prim, bool force) {
  g_forced[static_cast<int>(prim)].store(force, std::memory_order_relaxed);
}

}  // namespace fnx::vmap_internal
