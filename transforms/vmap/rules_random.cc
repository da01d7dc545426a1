// Batching rules of the source primitives. full and iota make the same
// value for every example (unbatched). uniform and normal follow the
// randomness mode: error refuses; same draws once for all examples;
// different draws a (B, *shape) block from a stream derived from the op's
// (seed, offset), element e of example b at position b * numel + e, so a
// chunked vmap draws exactly the numbers of an unchunked one.
#include "core/dispatch.h"
#include "core/error.h"
#include "core/ops/ops.h"
#include "transforms/vmap/batching_util.h"

namespace fnx::vmap_internal {
namespace {

uint64_t mix64(uint64_t z) {  // splitmix64's finalizer
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// The key this op uses: recorded by the first chunk of a chunked vmap and
// replayed, op by op, by the others.
RandomAttrs replayed(const BatchContext& ctx, const RandomAttrs& a) {
  RandomAttrs out = a;
  if (ctx.replay == nullptr) return out;
  RandomReplay& replay = *ctx.replay;
  if (replay.recording) {
    replay.keys.emplace_back(a.seed, a.offset);
  } else if (replay.next < replay.keys.size()) {
    out.seed = replay.keys[replay.next].first;
    out.offset = replay.keys[replay.next].second;
    ++replay.next;
  }
  return out;
}

BatchedValue creation_rule(const BatchContext&, const OpCall& call,
                           std::span<const BatchedValue>) {
  return unbatched(dispatch(call.prim, call.attrs, {}));
}

BatchedValue random_rule(const BatchContext& ctx, const OpCall& call,
                         std::span<const BatchedValue>) {
  if (ctx.randomness == Randomness::error) {
    fail("vmap", call.name(),
         ": random operations inside vmap need VmapOptions::randomness = "
         "Randomness::different (independent values per example) or "
         "Randomness::same (one draw shared by every example); the default, "
         "Randomness::error, refuses them (as torch.func does)");
  }
  RandomAttrs a = replayed(ctx, call.attr<RandomAttrs>());
  if (ctx.randomness == Randomness::same) {
    return unbatched(dispatch(call.prim, a, {}));
  }
  // Counters per Philox block (core/generator.h): 4 float32 uniforms, else 2.
  const int64_t per_block =
      call.prim == Prim::Uniform && a.dtype == DType::Float32 ? 4 : 2;
  const int64_t n = numel(a.shape);
  const int64_t first = ctx.example_offset * n;
  const int64_t skip = first % per_block;
  const int64_t count = ctx.batch_size * n;
  const Shape example_shape = a.shape;
  a.seed = mix64(a.seed ^ mix64(a.offset));
  a.offset = static_cast<uint64_t>(first / per_block);
  a.shape = {skip + count};
  const Tensor flat = dispatch(call.prim, a, {});
  return batched_at(reshape(slice(flat, 0, skip, skip + count),
                            with_dim(example_shape, 0, ctx.batch_size)),
                    0);
}

}  // namespace

FNX_REGISTER_PLUGIN("vmap") {
  add_batching_rule(r, Prim::Full, &creation_rule);
  add_batching_rule(r, Prim::Iota, &creation_rule);
  add_batching_rule(r, Prim::Uniform, &random_rule);
  add_batching_rule(r, Prim::Normal, &random_rule);
}

}  // namespace fnx::vmap_internal
