// Replication inside dmap (JAX shard_map's replication checking): whether
// a value is the same on every rank of dmap's group (replicated) or may
// differ (varying), and the one explicit reduction of replicated inputs'
// gradients.
//
// Tracking. dmap runs f under a ReplicationLevel, an interpreter that
// wraps every value derived from f's arguments with one bit: its unmapped
// arguments (in_dim none) are replicated, its shards varying. A primitive's
// result varies when any input varies, except the collectives over the
// group: all_reduce, all_gather and broadcast make a replicated value,
// reduce_scatter and ppermute a varying one. Values made inside f
// (constants, creation and random ops) are replicated. A result declared
// replicated (out_dim none) that varies is an fnx::Error.
//
// Gradients. The collectives' derivatives (transforms/common/
// collective_derivatives.h) treat the program as "the sum over ranks of
// each rank's output". dmap's boundary makes that the derivative of dmap
// as one function of its (global, same on every rank) inputs, as
// vmap(f) is: each output's cotangent enters as 1/N of it on each rank,
// a shard's cotangent is all-gathered into the whole argument's, and a
// replicated argument's cotangent is summed over the ranks (psum) exactly
// once, where it enters. So grad(dmap(f)) equals grad(vmap(f)) on every
// rank, replicated parameters included (tested), and no reduction of
// replicated gradients is left to the caller inside dmap (the confusion of
// jax#3970 and pytorch#121587). Outside dmap (plain SPMD code with
// dist::all_reduce), all_reduce_gradients stays the explicit reduction.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/interpreter.h"
#include "transforms/distributed/process_group.h"

namespace fnx::dist {

// Inside dmap: whether x may differ across the ranks of the innermost
// dmap's group. Outside every dmap, and for values f made itself: false.
bool varies(const Tensor& x);

}  // namespace fnx::dist

namespace fnx::dist_internal {

class ReplicationLevel final : public Interpreter {
 public:
  explicit ReplicationLevel(dist::Group group);
  ~ReplicationLevel() override;

  // x as an argument of f: varying (a shard) or replicated.
  Tensor enter(const Tensor& x, bool varying) const;
  bool varies(const Tensor& x) const;
  // A result of f as the level below sees it.
  const Tensor& leave(const Tensor& x) const { return unwrap(x); }

  Tensor process(const OpCall& call) override;
  // Values are concrete tensors here: reading one reads the value below.
  Tensor concrete(const Tensor& wrapper, std::string_view what) override;

  static ReplicationLevel* innermost();

 private:
  Tensor wrap(Tensor inner, bool varying) const;

  dist::Group group_;
  ReplicationLevel* outer_;
};

// dmap's boundary ops, each one custom_call with the derivatives above.
// A replicated argument: the identity; its cotangent is all-reduced (sum).
Tensor replicated_argument(const Tensor& x, const dist::Group& group);
// A mapped argument: this rank's slice at `dim`; its cotangent is the
// all-gather of the slices' cotangents.
Tensor shard_argument(const Tensor& x, int64_t dim, const dist::Group& group);
// A result: the identity; its cotangent enters as 1 / size of it.
Tensor result(const Tensor& y, const dist::Group& group);

}  // namespace fnx::dist_internal
