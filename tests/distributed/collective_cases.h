// The collectives the distributed tests check, each beside its simulation
// in one process: the ranks' inputs stacked along a leading axis X[r], and
// the collective written with ordinary ops over that axis (an all-reduce
// over a vmap axis is an ordinary reduction). A collective on rank r must
// give exactly simulation(X)[r], under every transform.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/ops/ops.h"
#include "transforms/distributed/dist.h"

namespace fnx::dist_test {

struct CollectiveCase {
  std::string name;
  // What every rank runs on its own x (one example's shape).
  std::function<Tensor(const Tensor&)> on_rank;
  // The same over the stacked inputs X (ranks along dim 0).
  std::function<Tensor(const Tensor&)> simulated;
};

inline Tensor rank_axis_expand(const Tensor& reduced, const Tensor& stacked) {
  return expand(unsqueeze(reduced, 0), stacked.shape());
}

inline Shape with_leading(Shape shape, int64_t n) {
  shape.insert(shape.begin(), n);
  return shape;
}

// Inputs per rank have shape (4, 6): dims that split over 1 or 2 ranks.
inline std::vector<CollectiveCase> collective_cases(const dist::Group& g) {
  const int64_t n = g->size();
  auto all_reduce = [g](ReduceOp op) {
    return [g, op](const Tensor& x) { return dist::all_reduce(x, g, op); };
  };
  auto all_gather_sim = [n](int64_t dim) {
    return [n, dim](const Tensor& X) {
      const Tensor whole = cat(unbind(X, 0), dim);
      return expand(unsqueeze(whole, 0), with_leading(whole.shape(), n));
    };
  };
  auto reduce_scatter_sim = [n](ReduceOp op, int64_t dim) {
    return [n, op, dim](const Tensor& X) {
      const Tensor total =
          op == ReduceOp::Mean ? mean(X, Dims{0}) : sum(X, Dims{0});
      std::vector<Tensor> blocks = chunk(total, n, dim);
      return stack(blocks, 0);
    };
  };
  const int last = static_cast<int>(n - 1);
  return {
      {"all_reduce_sum", all_reduce(ReduceOp::Sum),
       [](const Tensor& X) { return rank_axis_expand(sum(X, Dims{0}), X); }},
      {"all_reduce_mean", all_reduce(ReduceOp::Mean),
       [](const Tensor& X) { return rank_axis_expand(mean(X, Dims{0}), X); }},
      {"all_reduce_max", all_reduce(ReduceOp::Max),
       [](const Tensor& X) { return rank_axis_expand(amax(X, Dims{0}), X); }},
      {"all_reduce_min", all_reduce(ReduceOp::Min),
       [](const Tensor& X) { return rank_axis_expand(amin(X, Dims{0}), X); }},
      {"all_gather_dim0",
       [g](const Tensor& x) { return dist::all_gather(x, g, 0); },
       all_gather_sim(0)},
      {"all_gather_dim1",
       [g](const Tensor& x) { return dist::all_gather(x, g, 1); },
       all_gather_sim(1)},
      {"reduce_scatter_sum_dim0",
       [g](const Tensor& x) {
         return dist::reduce_scatter(x, g, 0, ReduceOp::Sum);
       },
       reduce_scatter_sim(ReduceOp::Sum, 0)},
      {"reduce_scatter_mean_dim1",
       [g](const Tensor& x) {
         return dist::reduce_scatter(x, g, 1, ReduceOp::Mean);
       },
       reduce_scatter_sim(ReduceOp::Mean, 1)},
      {"broadcast_last",
       [g, last](const Tensor& x) { return dist::broadcast(x, g, last); },
       [last](const Tensor& X) {
         return rank_axis_expand(select(X, 0, last), X);
       }},
      {"ppermute_ring", [g](const Tensor& x) { return dist::shift(x, g, 1); },
       [](const Tensor& X) { return roll(X, {1}, {0}); }},
      // Not its own inverse (unlike a ring on two ranks): rank 0 sends to
      // the last rank, every other rank receives zeros.
      {"ppermute_one_way",
       [g, last](const Tensor& x) {
         return dist::ppermute(x, g, {{0, last}});
       },
       [last](const Tensor& X) {
         return cat({zeros_like(narrow(X, 0, 0, last)), narrow(X, 0, 0, 1)}, 0);
       }},
  };
}

}  // namespace fnx::dist_test
