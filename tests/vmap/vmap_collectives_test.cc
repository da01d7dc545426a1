// vmap_all_gather and vmap_mean (transforms/vmap/vmap_collectives.h): the
// identity where no vmap level batches the value, the whole batch where one
// does, nested levels with and without a `keep` tensor, in-place writes of
// the result into an unbatched buffer, no gradient under grad, and errors.
#include "transforms/vmap/vmap_collectives.h"

#include <vector>

#include "core/dispatch.h"
#include "core/interpreter.h"
#include "fnx.h"
#include "gtest/gtest.h"
#include "tests/testing/transform_test_util.h"

namespace fnx {
namespace {

using testing::close;
using testing::throws_with;

Tensor rand64(const Shape& shape, Generator& gen) {
  return randn(shape, DType::Float64, &gen);
}

TEST(VmapCollectives, IdentityOutsideVmapAndOnUnbatchedValues) {
  Generator gen(1);
  const Tensor x = rand64({3, 2}, gen);
  EXPECT_TRUE(equal(vmap_mean(x), x));
  EXPECT_EQ(vmap_all_gather(x).shape(), (Shape{3, 2}));
  EXPECT_TRUE(equal(vmap_all_gather(x), x));
  // Inside vmap, a captured (unbatched) value is the same for every
  // example: nothing to gather.
  const Tensor xs = rand64({4, 5}, gen);
  const Tensor out = vmap(
      [&](const Tensor&) {
        EXPECT_FALSE(vmap_all_gather(x).is_wrapper());
        return vmap_mean(x);
      },
      0, none)(xs);
  EXPECT_TRUE(equal(out, x));
}

TEST(VmapCollectives, GatherAndMeanOverOneLevel) {
  Generator gen(2);
  const Tensor xs = rand64({4, 3}, gen);
  // Unbatched results: returned with out_dims none.
  auto gathered =
      vmap([](const Tensor& x) { return vmap_all_gather(x); }, 0, none)(xs);
  EXPECT_TRUE(equal(gathered, xs));
  auto averaged =
      vmap([](const Tensor& x) { return vmap_mean(x); }, 0, none)(xs);
  EXPECT_TRUE(close(averaged, xs.mean({0}), 1e-14));
  // The examples come back in batch order whatever the in_dim.
  const Tensor cols = xs.t().contiguous();  // batch at dim 1
  EXPECT_TRUE(
      equal(vmap([](const Tensor& x) { return vmap_all_gather(x * 2.0); }, 1,
                 none)(cols),
            xs * 2.0));
  // Used inside the function, the mean is shared by every example.
  const Tensor centered =
      vmap([](const Tensor& x) { return x - vmap_mean(x); })(xs);
  EXPECT_TRUE(close(centered, xs - xs.mean({0}, true), 1e-14));
}

TEST(VmapCollectives, ResultIsWritableIntoAnUnbatchedBuffer) {
  Generator gen(3);
  const Tensor xs = rand64({5, 3}, gen);
  Tensor buffer = zeros({3}, DType::Float64);
  vmap([&](const Tensor& x) {
    buffer.copy_(buffer * 0.5 + vmap_mean(x));
    return x;
  })(xs);
  EXPECT_TRUE(close(buffer, xs.mean({0}), 1e-14));
}

TEST(VmapCollectives, NestedLevelsReduceAllOrOnlyThoseKeepDoesNotBatch) {
  Generator gen(4);
  const Tensor xs = rand64({2, 3, 4}, gen);  // (outer, inner, features)
  const Tensor outer_tag = rand64({2, 4}, gen);
  const Tensor inner_tag = rand64({3, 4}, gen);
  // Without keep: both levels, outermost first.
  const Tensor all =
      vmap(vmap([](const Tensor& x) { return vmap_all_gather(x); }, 0, none), 0,
           none)(xs);
  EXPECT_TRUE(equal(all, xs));
  const Tensor both = vmap(
      vmap([](const Tensor& x) { return vmap_mean(x); }, 0, none), 0, none)(xs);
  EXPECT_TRUE(close(both, xs.mean({0, 1}), 1e-14));
  // keep batched by the outer level: the mean over the inner level, one per
  // outer example.
  const Tensor per_outer = vmap(
      [&](const Tensor& x2, const Tensor& keep) {
        return vmap([&](const Tensor& x) { return vmap_mean(x, keep); }, 0,
                    none)(x2);
      },
      0, 0)(xs, outer_tag);
  EXPECT_TRUE(close(per_outer, xs.mean({1}), 1e-14));
  // keep batched by the inner level: the mean over the outer level, one per
  // inner example.
  const Tensor per_inner = vmap(
      [&](const Tensor& x2) {
        return vmap([](const Tensor& x,
                       const Tensor& keep) { return vmap_mean(x, keep); },
                    {0, 0})(x2, inner_tag);
      },
      0, none)(xs);
  EXPECT_TRUE(close(per_inner, xs.mean({0}), 1e-14));
  // keep batched by both levels: nothing to reduce.
  const Tensor none_reduced =
      vmap(vmap([](const Tensor& x) { return vmap_mean(x, x * 2.0); }))(xs);
  EXPECT_TRUE(equal(none_reduced, xs));
}

TEST(VmapCollectives, KeepBuffersStackedPerModel) {
  // An ensemble of 2 models, each with its own buffer, over 3 examples:
  // each model's buffer gets the mean over that model's examples.
  Generator gen(5);
  const Tensor xs = rand64({2, 3, 4}, gen);
  Tensor buffers = zeros({2, 4}, DType::Float64);
  vmap([](const Tensor& buffer, const Tensor& model_xs) {
    Tensor b = buffer;
    vmap([&](const Tensor& x) {
      b.copy_(vmap_mean(x * 3.0, b));
      return x;
    })(model_xs);
    return b;
  })(buffers, xs);
  EXPECT_TRUE(close(buffers, xs.mean({1}) * 3.0, 1e-14));
}

TEST(VmapCollectives, CarriesNoGradient) {
  Generator gen(6);
  const Tensor xs = rand64({4, 3}, gen);
  // Per-example gradient of sum(mean_over_batch(x) * x): the collective is
  // a constant, so the gradient is the batch mean for every example (a
  // gradient through it would add sum(x_i) / 4).
  auto f = [](const Tensor& x) { return (vmap_mean(x) * x).sum(); };
  const Tensor g = vmap(grad(f))(xs);
  EXPECT_TRUE(close(g, xs.mean({0}, true).expand({4, 3}), 1e-14));
  // grad around vmap: the gathered values are constants too.
  auto outer = [](const Tensor& all) {
    return vmap([](const Tensor& x) { return vmap_mean(x) * x; })(all).sum();
  };
  EXPECT_TRUE(close(grad(outer)(xs), xs.mean({0}, true).expand({4, 3}), 1e-14));
  // Outside vmap: identity on values, still no gradient.
  EXPECT_TRUE(
      close(grad([](const Tensor& x) { return vmap_mean(x).sum(); })(xs),
            zeros({4, 3}, DType::Float64), 0.0));
}

// A toy transform that keeps its wrappers through stop_gradient (as no fnx
// differentiation transform does): a value v is held as v + shift.
class ShiftInterpreter final : public Interpreter {
 public:
  ShiftInterpreter() : Interpreter("shift") {}
  Tensor wrap(const Tensor& v) const {
    return make_wrapper(v + 1.0, v.shape(), v.dtype(), nullptr);
  }
  Tensor process(const OpCall& call) override {
    std::vector<Tensor> values;
    for (const Tensor& t : call.inputs) {
      values.push_back(owns(t) ? unwrap(t) - 1.0 : t);
    }
    return wrap(dispatch(call.prim, call.attrs, values));
  }
};

TEST(VmapCollectives, Errors) {
  Generator gen(7);
  const Tensor xs = rand64({4, 3}, gen);
  EXPECT_TRUE(
      throws_with([] { vmap_mean(Tensor()); }, {"[vmap_mean]", "undefined"}));
  EXPECT_TRUE(throws_with([] { vmap_all_gather(Tensor()); },
                          {"[vmap_all_gather]", "undefined"}));
  // A chunk sees only its own examples.
  auto mean_of = [](const Tensor& x) { return vmap_mean(x); };
  EXPECT_TRUE(throws_with(
      [&] { vmap(mean_of, 0, none, {.chunk_size = 2})(xs); },
      {"[vmap_mean]", "chunk_size", "2 examples", "leave chunk_size unset"}));
  // A chunk as large as the batch is no chunking.
  EXPECT_TRUE(close(vmap(mean_of, 0, none, {.chunk_size = 4})(xs), xs.mean({0}),
                    1e-14));
  // Another transform's wrapper over the batched value cannot be taken
  // apart.
  EXPECT_TRUE(throws_with(
      [&] {
        vmap(
            [](const Tensor& x) {
              ShiftInterpreter shift;
              InterpreterScope scope(shift);
              return vmap_mean(shift.wrap(x));
            },
            0, none)(xs);
      },
      {"[vmap_mean]", "shift transform", "outside that transform"}));
  // Without the collective, the write is still the clear copy_ error.
  EXPECT_TRUE(throws_with(
      [&] {
        Tensor buffer = zeros({3}, DType::Float64);
        vmap([&](const Tensor& x) {
          buffer.copy_(x);
          return x;
        })(xs);
      },
      {"[vmap] copy_", "not batched", "vmap_mean"}));
}

}  // namespace
}  // namespace fnx
