// vmap's behaviour beyond single ops: escaped BatchedTensors, vmap on two
// threads at once, chunk_size, in-place writes, and composition with
// another transform's wrappers.
#include <atomic>
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "core/dispatch.h"
#include "core/interpreter.h"
#include "core/ops/ops.h"
#include "gtest/gtest.h"
#include "tests/vmap/test_util.h"
#include "transforms/vmap/vmap.h"

namespace fnx {
namespace {

using testing::same_values;
using testing::throws_error;

Tensor rand64(const Shape& shape) { return randn(shape, DType::Float64); }

// ---- escaped BatchedTensors ----

TEST(VmapEscaped, ActsAsThePhysicalTensorAfterVmapReturns) {
  const Tensor x = rand64({4, 3});
  Tensor escaped;
  const Tensor s = vmap([&](const Tensor& row) {
    escaped = row * 2.0;  // leaks a BatchedTensor out of the function
    return row.sum();
  })(x);
  EXPECT_TRUE(same_values(s, x.sum({1})));
  ASSERT_TRUE(escaped.is_wrapper());
  // Dead: ops see the tensor it holds (the whole batch), never crash.
  const Tensor y = escaped + 1.0;
  EXPECT_FALSE(y.is_wrapper());
  EXPECT_TRUE(same_values(y, x * 2.0 + 1.0));
  EXPECT_EQ(escaped.to_vector(), (x * 2.0).to_vector());
  // Passed to a later vmap: mapped as the (4, 3) tensor it holds.
  EXPECT_TRUE(
      same_values(vmap([](const Tensor& r) { return r.sum(); })(escaped),
                  (x * 2.0).sum({1}), 1e-12));
  // Captured by a later vmap: a constant (4, 3), the same for every example.
  const Tensor z = vmap([&](const Tensor& row) { return row + escaped; })(x);
  EXPECT_EQ(z.shape(), Shape({4, 4, 3}));
  for (int64_t b = 0; b < 4; ++b) {
    EXPECT_TRUE(same_values(z[b], x[b] + x * 2.0, 1e-12));
  }
}

TEST(VmapEscaped, NestedEscapeFromTheInnerLevel) {
  const Tensor x = rand64({2, 3, 4});
  Tensor escaped;
  const auto [sums, held] = vmap([&](const Tensor& m) {
    const Tensor r = vmap([&](const Tensor& row) {
      escaped = row;
      return row.sum();
    })(m);
    // The inner level is dead here; its escaped value acts as the outer
    // level's (3, 4) matrix it holds.
    return std::make_pair(r, escaped * 1.0);
  })(x);
  EXPECT_TRUE(same_values(sums, x.sum({2}), 1e-12));
  EXPECT_TRUE(same_values(held, x));
  // Both levels are dead now: the escaped value acts as the whole batch.
  EXPECT_TRUE(same_values(escaped + 0.0, x));
}

// ---- threads ----

TEST(VmapThreads, TwoThreadsAtOnceDoNotInterfere) {
  std::atomic<int> failures{0};
  auto work = [&](uint64_t seed) {
    Generator gen(seed);
    for (int iter = 0; iter < 50; ++iter) {
      const Tensor x = randn({8, 16}, DType::Float64, &gen);
      const Tensor y = randn({8, 16}, DType::Float64, &gen);
      const Tensor d = vmap(dot)(x, y);
      const Tensor n = vmap(vmap([](const Tensor& a) { return a * a; }))(x);
      if (!allclose(d, (x * y).sum({1}), 1e-12, 1e-12) ||
          !allclose(n, x * x, 1e-12, 1e-12)) {
        ++failures;
      }
    }
  };
  std::thread a(work, 1), b(work, 2);
  a.join();
  b.join();
  EXPECT_EQ(failures.load(), 0);
}

// ---- chunk_size ----

TEST(VmapChunks, ChunkedEqualsUnchunked) {
  const Tensor x = rand64({10, 4}), w = rand64({4, 3}), c = rand64({3});
  int calls = 0;
  auto f = [&](const Tensor& row, const Tensor& weight) {
    ++calls;
    const Tensor h = tanh(matmul(row, weight));
    return std::make_tuple(h, h.sum(), c * 2.0);
  };
  const auto whole = vmap(f, {0, none}, {1, 0, 0})(x, w);
  EXPECT_EQ(calls, 1);
  for (int64_t chunk : {1, 3, 4, 10, 64}) {
    SCOPED_TRACE("chunk_size " + std::to_string(chunk));
    calls = 0;
    const auto chunked =
        vmap(f, {0, none}, {1, 0, 0}, {.chunk_size = chunk})(x, w);
    EXPECT_EQ(calls, chunk >= 10 ? 1 : (10 + chunk - 1) / chunk);
    EXPECT_TRUE(same_values(std::get<0>(chunked), std::get<0>(whole), 0));
    EXPECT_TRUE(same_values(std::get<1>(chunked), std::get<1>(whole), 0));
    EXPECT_TRUE(same_values(std::get<2>(chunked), std::get<2>(whole), 0));
  }
}

TEST(VmapChunks, EachChunkSeesAtMostChunkSizeExamples) {
  const Tensor x = rand64({10, 2});
  std::vector<int64_t> seen;
  // The physical batch of a chunk is visible through an escaped wrapper.
  vmap(
      [&](const Tensor& row) {
        seen.push_back(row.impl()->wrapper->inner.shape()[0]);
        return row;
      },
      0, 0, {.chunk_size = 4})(x);
  EXPECT_EQ(seen, (std::vector<int64_t>{4, 4, 2}));
}

TEST(VmapChunks, NoneOutputIsTakenFromTheFirstChunk) {
  const Tensor x = rand64({6, 2}), c = rand64({2});
  auto [y, k] = vmap(
      [&](const Tensor& row) { return std::make_pair(row * 3.0, c + 1.0); }, 0,
      {0, none}, {.chunk_size = 4})(x);
  EXPECT_TRUE(same_values(y, x * 3.0));
  EXPECT_TRUE(same_values(k, c + 1.0));
}

// ---- in-place ----

TEST(VmapInPlace, BatchedIntoBatched) {
  const Tensor x = rand64({5, 3}), y = rand64({5, 3});
  const Tensor got = vmap([](const Tensor& a, const Tensor& b) {
    Tensor z = a.clone();
    z.copy_(b);
    return z;
  })(x, y);
  EXPECT_TRUE(same_values(got, y));
}

TEST(VmapInPlace, IntoAViewOfABatchedTensor) {
  const Tensor x = rand64({5, 4}), y = rand64({2, 5});
  // y mapped over dim 1: per example a 2-vector written into columns 1..2.
  const Tensor got = vmap(
      [](const Tensor& a, const Tensor& b) {
        Tensor z = a.clone();
        Tensor part = z.slice(0, 1, 3);
        part.copy_(b);
        return z;
      },
      {0, 1})(x, y);
  Tensor want = x.clone();
  Tensor cols = want.slice(1, 1, 3);
  cols.copy_(y.t());
  EXPECT_TRUE(same_values(got, want));
}

TEST(VmapInPlace, UnbatchedIntoBatchedBroadcasts) {
  const Tensor x = rand64({4, 2, 3}), c = rand64({3});
  const Tensor got = vmap(
      [&](const Tensor& a) {
        Tensor z = a.clone();
        z.copy_(c);
        return z;
      },
      1)(x);  // mapped over dim 1: examples of shape (4, 3)
  EXPECT_EQ(got.shape(), Shape({2, 4, 3}));
  EXPECT_TRUE(same_values(got, expand(c, {2, 4, 3})));
}

TEST(VmapInPlace, WritesThroughToTheMappedInput) {
  Tensor x = rand64({3, 2});
  const Tensor y = rand64({3, 2});
  vmap([](const Tensor& a, const Tensor& b) {
    Tensor dst = a;  // the same BatchedTensor
    dst.copy_(b * 2.0);
    return dst;
  })(x, y);
  EXPECT_TRUE(same_values(x, y * 2.0));
}

TEST(VmapInPlace, BatchedIntoUnbatchedIsAnError) {
  const Tensor x = rand64({4, 3});
  EXPECT_TRUE(throws_error(
      [&] {
        vmap([](const Tensor& a) {
          Tensor buffer = zeros({3}, DType::Float64);
          buffer.copy_(a);
          return buffer;
        })(x);
      },
      {"[vmap] copy_", "batched value", "not batched", "[3]"}));
}

// VmapOptions::promote_inplace_writes (functorch#1025): an accumulator
// the function makes becomes batched when written with per-example values.
TEST(VmapInPlace, PromotedWriteMakesTheBufferBatched) {
  const Tensor x = rand64({4, 3});
  auto f = [](const Tensor& a) {
    Tensor acc = zeros({3}, DType::Float64);
    acc.add_(a * 2.0);
    acc.add_(1.0);
    return acc;
  };
  const Tensor got = vmap(f, 0, 0, {.promote_inplace_writes = true})(x);
  EXPECT_TRUE(same_values(got, x * 2.0 + 1.0));
  EXPECT_TRUE(throws_error([&] { vmap(f)(x); }, {"[vmap] add_", "batched"}));
}

TEST(VmapInPlace, PromotionRefusesViewsAndCapturedTensors) {
  const Tensor x = rand64({4, 3});
  const VmapOptions promote{.promote_inplace_writes = true};
  EXPECT_TRUE(throws_error(
      [&] {
        vmap(
            [](const Tensor& a) {
              Tensor buffer = zeros({2, 3}, DType::Float64);
              buffer.select(0, 0).copy_(a);
              return buffer;
            },
            0, 0, promote)(x);
      },
      {"[vmap] copy_", "view", "functionalize"}));
  Tensor captured = zeros({3}, DType::Float64);
  EXPECT_TRUE(throws_error(
      [&] {
        vmap(
            [&](const Tensor& a) {
              Tensor handle = captured;
              handle.copy_(a);
              return a;
            },
            0, 0, promote)(x);
      },
      {"[vmap] copy_", "captured"}));
}

// ---- composition with another transform's wrappers ----

// A toy transform with a meaning: a value v is represented as v + shift.
class ShiftInterpreter final : public Interpreter {
 public:
  explicit ShiftInterpreter(double shift)
      : Interpreter("shift"), shift_(shift) {}
  Tensor wrap(const Tensor& v) const {
    return make_wrapper(v + shift_, v.shape(), v.dtype(), nullptr);
  }
  Tensor value(const Tensor& t) const {
    return owns(t) ? unwrap(t) - shift_ : t;
  }
  Tensor process(const OpCall& call) override {
    std::vector<Tensor> values;
    for (const Tensor& t : call.inputs) values.push_back(value(t));
    const Tensor out = dispatch(call.prim, call.attrs, values);
    return is_floating(out.dtype()) ? wrap(out) : out;
  }

 private:
  double shift_;
};

TEST(VmapCompose, VmapOverAnotherTransformsWrappers) {
  const Tensor x = rand64({4, 3}), y = rand64({4, 3});
  ShiftInterpreter shift(100.0);
  InterpreterScope scope(shift);
  const Tensor sx = shift.wrap(x), sy = shift.wrap(y);
  const Tensor d = vmap(dot)(sx, sy);
  ASSERT_EQ(live_level(d), shift.level());
  EXPECT_TRUE(same_values(shift.value(d), (x * y).sum({1}), 1e-10));
}

TEST(VmapCompose, AnotherTransformInsideVmap) {
  const Tensor x = rand64({4, 3}), y = rand64({4, 3});
  const Tensor got = vmap([](const Tensor& a, const Tensor& b) {
    ShiftInterpreter shift(-7.0);
    InterpreterScope scope(shift);
    const Tensor r = dot(shift.wrap(a), b) * 2.0;
    return shift.value(r);
  })(x, y);
  EXPECT_TRUE(same_values(got, (x * y).sum({1}) * 2.0, 1e-10));
}

}  // namespace
}  // namespace fnx
