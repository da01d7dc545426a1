// dmap: map a function over the ranks of a process group (JAX's pmap /
// shard_map, torch's one-process-per-device SPMD). It promises, and the
// tests check, that
//
//   dmap(f, group, in_dims, out_dim)(args...) == vmap(f, in_dims,
//   out_dim)(args...)
//
// when each mapped argument's in_dim has size group->size(): rank r runs f
// on slice r of every mapped argument (the dim removed, as vmap's example
// r) and on the unmapped arguments (in_dims entry std::nullopt) as they
// are, and every rank returns f's results stacked over the ranks at
// out_dim (an all-gather). Inside f the collectives over `group` play the
// role of vmap's collectives over the batch.
//
// out_dim std::nullopt declares the results replicated: each rank returns
// its own, which must not vary across ranks (an fnx::Error otherwise).
//
// Replication and gradients (replication.h): unmapped arguments are
// replicated, shards vary, and dmap tracks which values vary (JAX
// shard_map's check_rep). grad(dmap(f)) equals grad(vmap(f)) on every
// rank: a replicated argument's cotangent is summed over the ranks exactly
// once where it enters, a shard's is all-gathered. dist::varies(x) tells
// inside f.
//
// f takes and returns trees (Tensor, std::vector, std::tuple, ParamDict,
// FNX_TREE_STRUCT types); in_dims has one entry per argument, applied to
// every leaf of it.
#pragma once

#include <cstdint>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/interpreter.h"
#include "core/ops/ops.h"
#include "core/tree.h"
#include "transforms/distributed/dist.h"
#include "transforms/distributed/replication.h"

namespace fnx::dist {

using InDims = std::vector<std::optional<int64_t>>;

template <typename F>
class Dmapped {
 public:
  Dmapped(F f, Group group, InDims in_dims, std::optional<int64_t> out_dim)
      : f_(std::move(f)),
        group_(std::move(group)),
        in_dims_(std::move(in_dims)),
        out_dim_(out_dim) {}

  template <typename... Args>
  auto operator()(const Args&... args) const {
    FNX_CHECK(group_ != nullptr, "dmap",
              "the group is null; pass dist::world() or a group from split");
    FNX_CHECK(in_dims_.size() == sizeof...(Args), "dmap", "in_dims has ",
              in_dims_.size(), " entries for ", sizeof...(Args),
              " arguments; give one per argument (std::nullopt: unmapped)");
    auto result = [&] {
      dist_internal::ReplicationLevel level(group_);
      InterpreterScope scope(level);
      auto inside =
          call_on_shards(level, std::index_sequence_for<Args...>{}, args...);
      int leaf = 0;
      return tree_map(inside, [&](const Tensor& y) {
        FNX_CHECK(out_dim_.has_value() || !level.varies(y), "dmap",
                  "result leaf ", leaf, " (shape ", shape_str(y.shape()),
                  ") is declared replicated (out_dim std::nullopt) but varies "
                  "across the ranks of ", group_->describe(),
                  ": it depends on a mapped argument other than through "
                  "all_reduce, all_gather or broadcast over the group; reduce "
                  "it over the group or give it an out_dim");
        ++leaf;
        return level.leave(y);
      });
    }();
    return tree_map(result, [&](const Tensor& y) {
      if (!out_dim_.has_value()) return dist_internal::result(y, group_);
      const int64_t dim = *out_dim_ < 0 ? *out_dim_ + y.dim() + 1 : *out_dim_;
      return dist_internal::result(all_gather(unsqueeze(y, dim), group_, dim),
                                   group_);
    });
  }

 private:
  template <std::size_t... I, typename... Args>
  auto call_on_shards(const dist_internal::ReplicationLevel& level,
                      std::index_sequence<I...>, const Args&... args) const {
    return f_(shard(level, args, in_dims_[I])...);
  }

  template <typename T>
  T shard(const dist_internal::ReplicationLevel& level, const T& arg,
          const std::optional<int64_t>& dim) const {
    return tree_map(arg, [&](const Tensor& x) {
      if (!dim.has_value()) {
        return level.enter(dist_internal::replicated_argument(x, group_),
                           false);
      }
      const int64_t d = *dim < 0 ? *dim + x.dim() : *dim;
      FNX_CHECK(d >= 0 && d < x.dim() && x.shape()[d] == group_->size(), "dmap",
                "a mapped argument of shape ", shape_str(x.shape()),
                " needs dim ", *dim, " of size ", group_->size(),
                " (one slice per rank of ", group_->describe(), ")");
      return level.enter(dist_internal::shard_argument(x, d, group_), true);
    });
  }

  F f_;
  Group group_;
  InDims in_dims_;
  std::optional<int64_t> out_dim_;
};

// out_dim std::nullopt: every result is replicated, returned as it is
// (an error when one varies); otherwise results are stacked over the ranks
// at out_dim.
template <typename F>
Dmapped<F> dmap(F f, Group group, InDims in_dims,
                std::optional<int64_t> out_dim = 0) {
  return Dmapped<F>(std::move(f), std::move(group), std::move(in_dims),
                    out_dim);
}

}  // namespace fnx::dist
