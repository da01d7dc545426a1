// Every user mistake with vmap is a clear fnx::Error naming the argument
// (or output), the shapes and what to do.
#include <string>
#include <tuple>
#include <vector>

#include "core/ops/ops.h"
#include "gtest/gtest.h"
#include "tests/vmap/test_util.h"
#include "transforms/vmap/vmap.h"

namespace fnx {
namespace {

using testing::throws_error;

Tensor add2(const Tensor& a, const Tensor& b) { return a + b; }
Tensor identity(const Tensor& a) { return a; }

TEST(VmapErrors, InconsistentBatchSizes) {
  const Tensor x = rand({10, 3}), y = rand({5, 3});
  EXPECT_TRUE(
      throws_error([&] { vmap(add2)(x, y); },
                   {"[vmap]", "inconsistent batch sizes", "argument 0",
                    "size 10", "[10, 3]", "argument 1", "size 5", "[5, 3]"}));
  // Leaves of one tree argument.
  const std::vector<Tensor> xs = {rand({4, 2}), rand({3, 2})};
  EXPECT_TRUE(throws_error(
      [&] { vmap([](const std::vector<Tensor>& v) { return v[0]; })(xs); },
      {"inconsistent batch sizes", "argument 0 at [0]", "argument 0 at [1]"}));
  // Leaves are named by their path: ParamDict keys, tuple positions.
  ParamDict params;
  params.insert_or_assign("fc1.weight", rand({4, 2}));
  params.insert_or_assign("fc1.bias", rand({3}));
  EXPECT_TRUE(throws_error(
      [&] {
        vmap([](const ParamDict& p) { return p.at("fc1.bias"); })(params);
      },
      {"argument 0 at [\"fc1.weight\"]", "argument 0 at [\"fc1.bias\"]"}));
  const std::tuple<Tensor, std::vector<Tensor>> nested{rand({4}), {rand({5})}};
  EXPECT_TRUE(throws_error(
      [&] {
        vmap([](const std::tuple<Tensor, std::vector<Tensor>>& t) {
          return std::get<0>(t);
        })(nested);
      },
      {"argument 0 at [0]", "argument 0 at [1][0]"}));
}

TEST(VmapErrors, InDimOutOfRange) {
  const Tensor x = rand({4, 3});
  EXPECT_TRUE(throws_error([&] { vmap(identity, 2)(x); },
                           {"[vmap]", "in_dims 2", "out of range", "argument 0",
                            "[4, 3]", "[-2, 2)"}));
  EXPECT_TRUE(throws_error([&] { vmap(identity, -3)(x); }, {"in_dims -3"}));
  EXPECT_TRUE(throws_error([&] { vmap(identity)(Tensor(2.0)); },
                           {"[vmap]", "argument 0", "0-d", "none"}));
}

TEST(VmapErrors, InDimsNotMatchingTheArguments) {
  const Tensor x = rand({4, 3});
  EXPECT_TRUE(throws_error(
      [&] {
        vmap(add2, {0, 0, 0})(x, x);
      },
      {"[vmap]", "{0, 0, 0}", "3 entries", "2 arguments"}));
  const std::vector<Tensor> xs = {x, x};
  auto first = [](const std::vector<Tensor>& v) { return v[0]; };
  EXPECT_TRUE(throws_error(
      [&] {
        vmap(first, {{0, 0, 0}})(xs);
      },
      {"[vmap]", "in_dims for argument 0", "vector[2](Tensor)",
       "one entry per element (2)"}));
  EXPECT_TRUE(throws_error(
      [&] {
        vmap(identity, {{0, 1}})(x);
      },
      {"in_dims for argument 0", "a tensor takes a single int"}));
  auto scaled = [](const Tensor& t, double s) { return t * s; };
  EXPECT_TRUE(throws_error(
      [&] {
        vmap(scaled, {0, {0}})(x, 2.0);
      },
      {"in_dims for argument 1", "non-tensor"}));
}

TEST(VmapErrors, OutDimsInvalid) {
  const Tensor x = rand({4, 3});
  EXPECT_TRUE(throws_error([&] { vmap(identity, 0, 2)(x); },
                           {"[vmap]", "out_dims 2", "out of range",
                            "per-example shape [3]", "[-2, 1]"}));
  EXPECT_TRUE(throws_error([&] { vmap(identity, 0, none)(x); },
                           {"[vmap]", "out_dims is none", "batched"}));
  auto two = [](const Tensor& t) { return std::make_pair(t, t); };
  EXPECT_TRUE(throws_error(
      [&] {
        vmap(two, 0, {0, 0, 0})(x);
      },
      {"[vmap]", "out_dims is {0, 0, 0}", "pair(Tensor, Tensor)"}));
  EXPECT_TRUE(throws_error(
      [&] {
        vmap(two, 0, {0, -3})(x);
      },
      {"out_dims -3", "output leaf 1 (of 2)"}));
}

TEST(VmapErrors, NoBatchedInputAndNoAxisSize) {
  const Tensor x = rand({4, 3});
  EXPECT_TRUE(throws_error([&] { vmap(identity, none)(x); },
                           {"[vmap]", "no input is mapped", "axis_size"}));
  EXPECT_TRUE(
      throws_error([&] { vmap([] { return zeros({2}); }, VmapDims{})(); },
                   {"no input is mapped"}));
  EXPECT_TRUE(
      throws_error([&] { vmap(identity, 0, 0, {.axis_size = 5})(x); },
                   {"[vmap]", "axis_size is 5", "argument 0", "size 4"}));
  EXPECT_TRUE(throws_error([&] { vmap(identity, 0, 0, {.axis_size = -1})(x); },
                           {"axis_size must be >= 0"}));
  EXPECT_TRUE(throws_error([&] { vmap(identity, 0, 0, {.chunk_size = 0})(x); },
                           {"chunk_size must be >= 1"}));
}

TEST(VmapErrors, DataDependentReads) {
  const Tensor x = rand({4, 3});
  EXPECT_TRUE(throws_error(
      [&] {
        vmap([](const Tensor& t) {
          if (t.sum().item<double>() > 0) return t;
          return -t;
        })(x);
      },
      {"[vmap]", "item()", "a batched tensor", "per-example shape []",
       "batch size 4"}));
  EXPECT_TRUE(throws_error(
      [&] {
        vmap([](const Tensor& a, const Tensor& b) {
          (void)b.to_vector();
          return a;
        })(x, x);
      },
      {"[vmap]", "to_vector()", "mapped argument 1", "[3]"}));
  EXPECT_TRUE(throws_error(
      [&] {
        vmap([](const Tensor& t) {
          (void)allclose(t, t);
          return t;
        })(x);
      },
      {"[vmap]", "cannot run inside vmap"}));
}

TEST(VmapErrors, OpErrorsInsideVmapSpeakInPerExampleShapes) {
  const Tensor x = rand({4, 3}), y = rand({4, 5});
  EXPECT_TRUE(throws_error([&] { vmap(add2)(x, y); }, {"[add]", "[3]", "[5]"}));
  EXPECT_TRUE(throws_error(
      [&] {
        vmap(dot)(rand({4, 3, 2}), rand({4, 3, 2}));
      },
      {"[dot]", "[3, 2]"}));
}

}  // namespace
}  // namespace fnx
