// The Collective primitives over a vmap level's axis (VmapAxis,
// core/collective.h): the examples are the ranks, so each collective is an
// ordinary op over the batch (what vmap_mean / vmap_all_gather are built
// on). Each is checked against the same op written over the stacked batch.
#include <memory>
#include <vector>

#include "core/collective.h"
#include "core/dispatch.h"
#include "fnx.h"
#include "gtest/gtest.h"
#include "tests/testing/transform_test_util.h"
#include "transforms/vmap/vmap_collectives.h"

namespace fnx {
namespace {

using testing::close;
using testing::throws_with;

using Axis = std::shared_ptr<const CommGroup>;

// The axis of the innermost vmap level that batches x.
Axis axis_of(const Tensor& x) {
  const auto axes = vmap_detail::axes(stop_gradient(x), Tensor(), "test");
  EXPECT_FALSE(axes.empty());
  return axes.back();
}

Tensor over(Prim prim, const Axis& axis, const Tensor& x,
            ReduceOp op = ReduceOp::Sum, int64_t dim = 0, int root = 0,
            std::vector<std::pair<int, int>> pairs = {}) {
  CollectiveAttrs a;
  a.group = axis;
  a.op = op;
  a.dim = dim;
  a.root = root;
  a.pairs = std::move(pairs);
  const Tensor inputs[] = {x};
  return dispatch(prim, Attrs{std::move(a)}, inputs);
}

Tensor rand64(const Shape& shape, uint64_t seed) {
  Generator gen(seed);
  return randn(shape, DType::Float64, &gen);
}

TEST(VmapAxis, AllReduceIsAReductionOverTheBatch) {
  const Tensor xs = rand64({4, 3}, 1);
  for (ReduceOp op :
       {ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Max, ReduceOp::Min}) {
    const Tensor got = vmap(
        [&](const Tensor& x) {
          return over(Prim::AllReduce, axis_of(x), x, op);
        },
        0, none)(xs);
    const Tensor expected = op == ReduceOp::Sum    ? xs.sum({0})
                            : op == ReduceOp::Mean ? xs.mean({0})
                            : op == ReduceOp::Max  ? amax(xs, {0})
                                                   : amin(xs, {0});
    EXPECT_TRUE(close(got, expected, 1e-14)) << reduce_op_name(op);
  }
  // The batch dim anywhere: in_dim 1.
  const Tensor cols = xs.t().contiguous();
  EXPECT_TRUE(close(
      vmap(
          [&](const Tensor& x) { return over(Prim::AllReduce, axis_of(x), x); },
          1, none)(cols),
      xs.sum({0}), 1e-14));
}

TEST(VmapAxis, GatherScatterBroadcastPermute) {
  const Tensor xs = rand64({3, 2, 6}, 2);  // 3 examples of (2, 6)
  // all_gather along dim 1 (tiled): the examples side by side.
  const Tensor gathered = vmap(
      [&](const Tensor& x) {
        return over(Prim::AllGather, axis_of(x), x, ReduceOp::Sum, 1);
      },
      0, none)(xs);
  EXPECT_TRUE(
      equal(gathered,
            cat({select(xs, 0, 0), select(xs, 0, 1), select(xs, 0, 2)}, 1)));
  // reduce_scatter(sum) along dim 1: example e gets block e of the sum.
  const Tensor scattered = vmap([&](const Tensor& x) {
    return over(Prim::ReduceScatter, axis_of(x), x, ReduceOp::Sum, 1);
  })(xs);
  const Tensor total = xs.sum({0});
  for (int64_t e = 0; e < 3; ++e) {
    EXPECT_TRUE(
        close(select(scattered, 0, e), narrow(total, 1, 2 * e, 2), 1e-14));
  }
  // broadcast(root 2): example 2's x for everyone.
  const Tensor root = vmap(
      [&](const Tensor& x) {
        return over(Prim::Broadcast, axis_of(x), x, ReduceOp::Sum, 0, 2);
      },
      0, none)(xs);
  EXPECT_TRUE(equal(root, select(xs, 0, 2)));
  // ppermute 0 -> 1, 1 -> 2: example 0 receives nothing (zeros).
  const Tensor moved = vmap([&](const Tensor& x) {
    return over(Prim::Ppermute, axis_of(x), x, ReduceOp::Sum, 0, 0,
                {{0, 1}, {1, 2}});
  })(xs);
  EXPECT_TRUE(equal(select(moved, 0, 0), zeros({2, 6}, DType::Float64)));
  EXPECT_TRUE(equal(select(moved, 0, 1), select(xs, 0, 0)));
  EXPECT_TRUE(equal(select(moved, 0, 2), select(xs, 0, 1)));
}

// Per-example gradients through psum over the batch follow the transpose
// rules of the process-group case (psum is its own transpose): example e's
// gradient of sum_e' sum(S * x_e'), S = sum of the examples, is 2 S.
TEST(VmapAxis, GradThroughAllReduceOverTheBatch) {
  const Tensor xs = rand64({4, 3}, 3);
  const Tensor g = vmap([](const Tensor& x) {
    const Axis axis = axis_of(x);
    return grad([&](const Tensor& v) {
      return (over(Prim::AllReduce, axis, v) * v).sum();
    })(x);
  })(xs);
  EXPECT_TRUE(close(g, (xs.sum({0}, true) * 2.0).expand({4, 3}), 1e-13));
}

// A value the level does not batch is the same in every example.
TEST(VmapAxis, UnbatchedValuesAndErrors) {
  const Tensor xs = rand64({4, 3}, 4);
  const Tensor c = rand64({3}, 5);
  const Tensor summed = vmap(
      [&](const Tensor& x) { return over(Prim::AllReduce, axis_of(x), c); }, 0,
      none)(xs);
  EXPECT_TRUE(close(summed, c * 4.0, 1e-14));
  const Tensor copies = vmap(
      [&](const Tensor& x) { return over(Prim::AllGather, axis_of(x), c); }, 0,
      none)(xs);
  EXPECT_TRUE(equal(copies, cat({c, c, c, c}, 0)));
  EXPECT_TRUE(throws_with(
      [&] {
        vmap([&](const Tensor& x) {
          return over(Prim::ReduceScatter, axis_of(x), zeros({4}));
        })(xs);
      },
      {"[reduce_scatter]", "vmap level", "not batched"}));
  const VmapAxis axis(7, 3);
  EXPECT_EQ(axis.size(), 3);
  EXPECT_EQ(axis.vmap_level(), 7);
  EXPECT_TRUE(throws_with([&] { (void)axis.rank(); },
                          {"vmap level 7 (3 examples)", "no single rank"}));
  // An axis of the wrong size for its level.
  EXPECT_TRUE(throws_with(
      [&] {
        vmap(
            [&](const Tensor& x) {
              return over(Prim::AllReduce,
                          std::make_shared<VmapAxis>(live_level(x), 3), x);
            },
            0, none)(xs);
      },
      {"made for 3 examples but the level maps 4"}));
  // A chunked level: each chunk would see only its own examples.
  EXPECT_TRUE(throws_with(
      [&] {
        vmap(
            [&](const Tensor& x) {
              CollectiveAttrs a;
              a.group = std::make_shared<VmapAxis>(live_level(x), 2);
              const Tensor inputs[] = {x};
              return dispatch(Prim::AllReduce, Attrs{a}, inputs);
            },
            0, none, {.chunk_size = 2})(xs);
      },
      {"chunk_size", "leave chunk_size unset"}));
}

}  // namespace
}  // namespace fnx
