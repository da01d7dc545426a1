// Values and error messages of the composite ops (core/ops/*_composites.cc,
// factories.cc, comparison.cc) and the Tensor methods, on small
// hand-computed inputs.
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/ops/ops.h"
#include "core/tensor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fnx {
namespace {

using ::testing::HasSubstr;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Tensor T(const std::vector<double>& values, const Shape& shape,
         DType dtype = DType::Float32) {
  return from_vector(values, shape, dtype);
}

Tensor I(const std::vector<int64_t>& values, const Shape& shape) {
  return from_vector(values, shape, DType::Int64);
}

void ExpectValues(const Tensor& t, const Shape& shape,
                  const std::vector<double>& expected, double tol = 1e-5) {
  ASSERT_TRUE(t.defined());
  EXPECT_EQ(shape_str(t.shape()), shape_str(shape));
  const std::vector<double> got = t.to_vector();
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(expected[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << "element " << i << ": " << got[i];
    } else if (std::isinf(expected[i])) {
      EXPECT_EQ(got[i], expected[i]) << "element " << i;
    } else {
      EXPECT_NEAR(got[i], expected[i], tol) << "element " << i;
    }
  }
}

// Runs fn, expecting an fnx::Error whose message contains every fragment.
void ExpectError(const std::function<void()>& fn,
                 const std::vector<std::string>& fragments) {
  try {
    fn();
    ADD_FAILURE() << "expected an fnx::Error containing " << fragments[0];
  } catch (const Error& e) {
    for (const std::string& f : fragments) {
      EXPECT_THAT(e.what(), HasSubstr(f));
    }
  }
}

// ---------------- factories ----------------

TEST(Factories, ZerosOnesFull) {
  ExpectValues(zeros({2, 2}), {2, 2}, {0, 0, 0, 0});
  Tensor o = ones({3}, DType::Int64);
  EXPECT_EQ(o.dtype(), DType::Int64);
  ExpectValues(o, {3}, {1, 1, 1});
  Tensor x = T({1, 2}, {2}, DType::Float64);
  EXPECT_EQ(zeros_like(x).dtype(), DType::Float64);
  ExpectValues(zeros_like(x), {2}, {0, 0});
  ExpectValues(ones_like(x), {2}, {1, 1});
  ExpectValues(full_like(x, 7.5), {2}, {7.5, 7.5});
}

TEST(Factories, Arange) {
  ExpectValues(arange(0.0, 1.0, 0.25), {4}, {0, 0.25, 0.5, 0.75});
  ExpectValues(arange(0.0, 1.0, 0.3), {4}, {0, 0.3, 0.6, 0.9});
  ExpectValues(arange(5.0, 1.0, -2.0), {2}, {5, 3});
  ExpectValues(arange(2.0, 2.0), {0}, {});
  Tensor ints = arange(1.0, 4.0, 1.0, DType::Int64);
  EXPECT_EQ(ints.dtype(), DType::Int64);
  ExpectValues(ints, {3}, {1, 2, 3});
  ExpectError([] { arange(0.0, 1.0, 0.0); }, {"[arange]", "step"});
  ExpectError([] { arange(0.0, 1.0, -1.0); }, {"[arange]", "sign of step"});
}

TEST(Factories, Linspace) {
  ExpectValues(linspace(0, 1, 5), {5}, {0, 0.25, 0.5, 0.75, 1});
  ExpectValues(linspace(3, -3, 3), {3}, {3, 0, -3});
  ExpectValues(linspace(2, 3, 1), {1}, {2});
  ExpectValues(linspace(2, 3, 0), {0}, {});
  ExpectError([] { linspace(0, 1, -1); }, {"[linspace]", "-1"});
}

TEST(Factories, Eye) {
  ExpectValues(eye(2), {2, 2}, {1, 0, 0, 1});
  ExpectValues(eye(2, 3), {2, 3}, {1, 0, 0, 0, 1, 0});
  ExpectValues(eye(3, 2), {3, 2}, {1, 0, 0, 1, 0, 0});
  ExpectValues(eye(1), {1, 1}, {1});
  EXPECT_EQ(eye(0, 3).shape(), Shape({0, 3}));
  EXPECT_EQ(eye(3, DType::Bool).to_vector(),
            (std::vector<double>{1, 0, 0, 0, 1, 0, 0, 0, 1}));
  EXPECT_EQ(eye(2, DType::Int32).dtype(), DType::Int32);
  ExpectError([] { eye(-1); }, {"[eye]"});
}

TEST(Factories, RandAndRandnAreSeededAndInRange) {
  Generator g1(42), g2(42);
  Tensor a = rand({100}, DType::Float32, &g1);
  Tensor b = rand({100}, DType::Float32, &g2);
  EXPECT_TRUE(equal(a, b));
  for (double v : a.to_vector()) {
    EXPECT_GE(v, 0);
    EXPECT_LT(v, 1);
  }
  Tensor n = randn({20000}, DType::Float64, &g1);
  EXPECT_EQ(n.dtype(), DType::Float64);
  EXPECT_NEAR(mean(n).item<double>(), 0, 0.05);
  EXPECT_NEAR(std(n).item<double>(), 1, 0.05);
  ExpectError([] { rand({2}, DType::Int64); }, {"[rand]", "int64"});
}

TEST(Factories, Randint) {
  Generator g(7);
  Tensor r = randint(2, 5, {1000}, DType::Int64, &g);
  EXPECT_EQ(r.dtype(), DType::Int64);
  int counts[3] = {0, 0, 0};
  for (double v : r.to_vector()) {
    ASSERT_GE(v, 2);
    ASSERT_LT(v, 5);
    EXPECT_EQ(v, std::floor(v));
    ++counts[static_cast<int>(v) - 2];
  }
  for (int c : counts) EXPECT_GT(c, 200);
  ExpectError([] { randint(3, 3, {2}); }, {"[randint]", "low < high"});
}

TEST(Factories, Bernoulli) {
  Generator g(3);
  Tensor b = bernoulli({10000}, 0.3, DType::Float32, &g);
  for (double v : b.to_vector()) EXPECT_TRUE(v == 0 || v == 1);
  EXPECT_NEAR(mean(b).item<double>(), 0.3, 0.03);
  ExpectValues(bernoulli(T({0, 1, 0, 1}, {2, 2}), &g), {2, 2}, {0, 1, 0, 1});
  ExpectError([] { bernoulli({2}, 1.5); }, {"[bernoulli]", "[0, 1]"});
}

// ---------------- elementwise ----------------

TEST(Elementwise, SquareReciprocalRelu) {
  ExpectValues(square(T({-2, 3}, {2})), {2}, {4, 9});
  ExpectValues(reciprocal(T({2, -4}, {2})), {2}, {0.5, -0.25});
  Tensor r = reciprocal(I({2, 4}, {2}));
  EXPECT_TRUE(is_floating(r.dtype()));
  ExpectValues(r, {2}, {0.5, 0.25});
  ExpectValues(relu(T({-1, 0, 2}, {3})), {3}, {0, 0, 2});
}

TEST(Elementwise, GeluSiluSoftplus) {
  ExpectValues(gelu(T({0, 1, -1}, {3})), {3},
               {0, 0.8413447460685429, -0.15865525393145707});
  ExpectValues(silu(T({0, 1, -2}, {3})), {3},
               {0, 0.7310585786300049, -0.2384058440442351});
  ExpectValues(
      softplus(T({0, 1, -1, 100, -100}, {5})), {5},
      {std::log(2.0), 1.3132616875182228, 0.31326168751822286, 100, 0});
}

TEST(Elementwise, Clamp) {
  Tensor x = T({-2, 0.5, 3}, {3});
  ExpectValues(clamp(x, -1.0, 1.0), {3}, {-1, 0.5, 1});
  ExpectValues(clamp(x, 0.0, std::nullopt), {3}, {0, 0.5, 3});
  ExpectValues(clamp(x, std::nullopt, 0.0), {3}, {-2, 0, 0});
  ExpectValues(clamp(T({kNaN}, {1}), 0.0, 1.0), {1}, {kNaN});
  ExpectError([&] { clamp(x, std::nullopt, std::nullopt); },
              {"[clamp]", "min or max"});
}

// ---------------- reductions ----------------

TEST(Reductions, Mean) {
  Tensor x = T({1, 2, 3, 4}, {2, 2});
  ExpectValues(mean(x), {}, {2.5});
  ExpectValues(mean(x, {0}), {2}, {2, 3});
  ExpectValues(mean(x, {-1}, true), {2, 1}, {1.5, 3.5});
  ExpectValues(mean(zeros({0, 3}), {0}), {3}, {kNaN, kNaN, kNaN});
  Tensor m = mean(I({1, 2, 3, 4}, {4}));
  EXPECT_TRUE(is_floating(m.dtype()));
  ExpectValues(m, {}, {2.5});
  ExpectError([&] { mean(x, {2}); }, {"[mean]", "dim 2"});
}

TEST(Reductions, VarStd) {
  Tensor x = T({1, 2, 3, 4}, {4});
  ExpectValues(var(x), {}, {5.0 / 3});
  ExpectValues(var(x, {}, 0), {}, {1.25});
  ExpectValues(std(x, {}, 0), {}, {std::sqrt(1.25)});
  ExpectValues(var(T({1, 3, 2, 6}, {2, 2}), {1}, 0, true), {2, 1}, {1, 4});
  ExpectValues(var(T({5}, {1})), {}, {kNaN});
}

TEST(Reductions, Logsumexp) {
  ExpectValues(logsumexp(T({1, 2, 3}, {3}), {0}), {}, {3.4076059644443806});
  ExpectValues(logsumexp(T({1000, 1000}, {2}), {0}), {}, {1000 + std::log(2.0)},
               1e-3);
  ExpectValues(logsumexp(T({-kInf, -kInf}, {2}), {0}), {}, {-kInf});
  ExpectValues(logsumexp(T({1, kInf}, {2}), {0}), {}, {kInf});
  ExpectValues(logsumexp(T({0, 0, 1, 1}, {2, 2}), {1}, true), {2, 1},
               {std::log(2.0), 1 + std::log(2.0)});
}

TEST(Reductions, SoftmaxLogSoftmax) {
  const std::vector<double> p = {0.09003057317038046, 0.24472847105479767,
                                 0.6652409557748219};
  ExpectValues(softmax(T({1, 2, 3}, {3}), 0), {3}, p);
  ExpectValues(softmax(T({1001, 1002, 1003}, {3}), -1), {3}, p);
  ExpectValues(softmax(T({1, 2, 3, 0, 0, 0}, {2, 3}), 1), {2, 3},
               {p[0], p[1], p[2], 1.0 / 3, 1.0 / 3, 1.0 / 3});
  ExpectValues(log_softmax(T({1, 2, 3}, {3}), 0), {3},
               {std::log(p[0]), std::log(p[1]), std::log(p[2])});
  ExpectValues(log_softmax(T({1, 1000}, {2, 1}), 0), {2, 1}, {-999, 0}, 1e-3);
  ExpectError([] { softmax(T({1, 2}, {2}), 1); }, {"[softmax]", "dim 1"});
}

// torch's answers: an infinite maximum shifts by 0 (so inf - inf = NaN only
// where it must), a NaN spreads over its row, integers give float32.
TEST(Reductions, LogSoftmaxOfNonFiniteRows) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double l2 = -std::log(2.0);
  ExpectValues(log_softmax(T({-inf, 0, 0, -inf, inf, 1, 2, 3, nan, 1, 2, 3,
                              -inf, -inf, -inf, -inf},
                             {4, 4}),
                           1),
               {4, 4},
               {-inf, l2, l2, -inf, nan, -inf, -inf, -inf, nan, nan, nan, nan,
                nan, nan, nan, nan});
  // The same along dim 0 (the CPU kernel's column path).
  ExpectValues(log_softmax(T({-inf, inf, 0, 1, 0, 2}, {3, 2}), 0), {3, 2},
               {-inf, nan, l2, -inf, l2, -inf});
  const Tensor ints = log_softmax(T({1, 1}, {2}, DType::Int32), 0);
  EXPECT_EQ(ints.dtype(), DType::Float32);
  ExpectValues(ints, {2}, {l2, l2});
  ExpectValues(log_softmax(T({5}, {}), -1), {}, {0});
  ExpectValues(log_softmax(zeros({2, 0}), 1), {2, 0}, {});
  ExpectError(
      [] {
        log_softmax(T({1, 2}, {2}), -2);
      },
      {"[log_softmax]", "dim -2"});
}

// softmax of the same rows: exp(x - m) / sum, with the same shift.
TEST(Reductions, SoftmaxOfNonFiniteRows) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::numeric_limits<double>::quiet_NaN();
  ExpectValues(
      softmax(T({-inf, 0, 0, -inf, inf, 1, 2, 3, nan, 1, 2, 3, -inf, -inf, -inf,
                 -inf},
                {4, 4}),
              1),
      {4, 4},
      {0, 0.5, 0.5, 0, nan, 0, 0, 0, nan, nan, nan, nan, nan, nan, nan, nan});
  ExpectValues(softmax(T({-inf, inf, 0, 1, 0, 2}, {3, 2}), 0), {3, 2},
               {0, nan, 0.5, 0, 0.5, 0});
  const Tensor ints = softmax(T({1, 1}, {2}, DType::Int64), 0);
  EXPECT_EQ(ints.dtype(), DType::Float32);
  ExpectValues(ints, {2}, {0.5, 0.5});
  ExpectValues(softmax(T({5}, {}), 0), {}, {1});
  ExpectValues(softmax(zeros({0, 3}), 0), {0, 3}, {});
}

TEST(Reductions, Norm) {
  ExpectValues(norm(T({3, 4}, {2})), {}, {5});
  ExpectValues(norm(T({1, 1, 1, 1}, {2, 2})), {}, {2});
  ExpectValues(norm(zeros({3})), {}, {0});
}

// ---------------- shape composites ----------------

// The (outer, n, inner) view the softmax kernels and the printer use.
TEST(Shape, SplitAtDim) {
  const DimSplit mid = split_at_dim({2, 3, 4, 5}, 1);
  EXPECT_EQ(mid.outer, 2);
  EXPECT_EQ(mid.n, 3);
  EXPECT_EQ(mid.inner, 20);
  const DimSplit last = split_at_dim({2, 3}, 1);
  EXPECT_EQ(last.outer, 2);
  EXPECT_EQ(last.n, 3);
  EXPECT_EQ(last.inner, 1);
  const DimSplit empty = split_at_dim({0, 7}, 0);
  EXPECT_EQ(empty.outer, 1);
  EXPECT_EQ(empty.n, 0);
  EXPECT_EQ(empty.inner, 7);
}

TEST(Shape, TransposeSelect) {
  Tensor x = T({0, 1, 2, 3, 4, 5}, {2, 3});
  ExpectValues(transpose(x, 0, 1), {3, 2}, {0, 3, 1, 4, 2, 5});
  ExpectValues(select(x, 0, 1), {3}, {3, 4, 5});
  ExpectValues(select(x, 1, -1), {2}, {2, 5});
  ExpectError(
      [] {
        select(T({1, 2, 3}, {3}), 0, 5);
      },
      {"[select] index 5 is out of range for dim 0 of size 3"});
  ExpectError([] { select(T({1, 2, 3}, {3}), 0, -4); }, {"[select]", "-4"});
  ExpectError([] { select(scalar_tensor(1), 0, 0); }, {"[select]", "0-d"});
}

TEST(Shape, SqueezeUnsqueezeFlatten) {
  Tensor x = zeros({1, 2, 1, 3});
  EXPECT_EQ(squeeze(x).shape(), (Shape{2, 3}));
  EXPECT_EQ(squeeze(x, 1).shape(), (Shape{1, 2, 1, 3}));
  EXPECT_EQ(squeeze(x, 0).shape(), (Shape{2, 1, 3}));
  EXPECT_EQ(squeeze(x, -2).shape(), (Shape{1, 2, 3}));
  Tensor y = zeros({2, 3});
  EXPECT_EQ(unsqueeze(y, 0).shape(), (Shape{1, 2, 3}));
  EXPECT_EQ(unsqueeze(y, -1).shape(), (Shape{2, 3, 1}));
  EXPECT_EQ(unsqueeze(y, 2).shape(), (Shape{2, 3, 1}));
  ExpectError([&] { unsqueeze(y, 3); }, {"[unsqueeze]", "dim 3"});
  Tensor z = zeros({2, 3, 4});
  EXPECT_EQ(flatten(z).shape(), (Shape{24}));
  EXPECT_EQ(flatten(z, 1).shape(), (Shape{2, 12}));
  EXPECT_EQ(flatten(z, 0, 1).shape(), (Shape{6, 4}));
  EXPECT_EQ(flatten(scalar_tensor(3)).shape(), (Shape{1}));
  ExpectError([&] { flatten(z, 2, 1); }, {"[flatten]"});
}

TEST(Shape, MovedimNarrow) {
  Tensor x = reshape(arange(0.0, 6.0), {1, 2, 3});
  ExpectValues(movedim(x, 0, 2), {2, 3, 1}, {0, 1, 2, 3, 4, 5});
  ExpectValues(movedim(x, 2, 0), {3, 1, 2}, {0, 3, 1, 4, 2, 5});
  ExpectValues(narrow(arange(0.0, 5.0), 0, 1, 3), {3}, {1, 2, 3});
  ExpectValues(narrow(arange(0.0, 5.0), 0, -2, 2), {2}, {3, 4});
  ExpectError([] { narrow(arange(0.0, 5.0), 0, 3, 3); }, {"[narrow]"});
}

TEST(Shape, Stack) {
  Tensor a = T({1, 2}, {2}), b = T({3, 4}, {2});
  ExpectValues(stack({a, b}), {2, 2}, {1, 2, 3, 4});
  ExpectValues(stack({a, b}, 1), {2, 2}, {1, 3, 2, 4});
  ExpectValues(stack({a, b}, -1), {2, 2}, {1, 3, 2, 4});
  ExpectError([] { stack({}); }, {"[stack]", "non-empty"});
  ExpectError(
      [&] {
        stack({a, T({1, 2, 3}, {3})});
      },
      {"[stack]", "[2]", "[3]"});
}

TEST(Shape, SplitChunkUnbind) {
  Tensor x = arange(0.0, 5.0);
  std::vector<Tensor> parts = split(x, 2);
  ASSERT_EQ(parts.size(), 3u);
  ExpectValues(parts[0], {2}, {0, 1});
  ExpectValues(parts[2], {1}, {4});
  parts = split(x, std::vector<int64_t>{1, 4});
  ASSERT_EQ(parts.size(), 2u);
  ExpectValues(parts[1], {4}, {1, 2, 3, 4});
  ExpectError(
      [&] {
        split(x, std::vector<int64_t>{1, 2});
      },
      {"[split]", "sum to 3", "size 5"});
  ExpectError([&] { split(x, 0); }, {"[split]", "positive"});
  parts = chunk(x, 3);
  ASSERT_EQ(parts.size(), 3u);
  ExpectValues(parts[1], {2}, {2, 3});
  EXPECT_EQ(chunk(arange(0.0, 6.0), 4).size(), 3u);
  ExpectError([&] { chunk(x, 0); }, {"[chunk]"});
  std::vector<Tensor> cols = unbind(T({0, 1, 2, 3, 4, 5}, {2, 3}), 1);
  ASSERT_EQ(cols.size(), 3u);
  ExpectValues(cols[2], {2}, {2, 5});
}

// ---------------- linear algebra ----------------

TEST(Linalg, Dot) {
  ExpectValues(dot(T({1, 2, 3}, {3}), T({4, 5, 6}, {3})), {}, {32});
  ExpectError(
      [] {
        dot(zeros({2, 5}), zeros({2, 5}));
      },
      {"[dot] expected two 1-D tensors, got shapes [2, 5] and "
       "[2, 5]; use vmap(dot) to batch it, or matmul"});
  ExpectError([] { dot(zeros({3}), zeros({4})); }, {"[dot]", "[3]", "[4]"});
}

TEST(Linalg, MvMmBmmOuter) {
  Tensor m = T({1, 2, 3, 4}, {2, 2});
  ExpectValues(mv(m, T({1, 1}, {2})), {2}, {3, 7});
  ExpectValues(mm(m, m), {2, 2}, {7, 10, 15, 22});
  ExpectError([&] { mm(m, zeros({3, 2})); }, {"[mm]", "(2 != 3)"});
  ExpectError([&] { mm(m, zeros({2})); }, {"[mm]", "2-D"});
  ExpectValues(bmm(reshape(m, {1, 2, 2}), reshape(m, {1, 2, 2})), {1, 2, 2},
               {7, 10, 15, 22});
  ExpectError(
      [&] {
        bmm(zeros({2, 2, 2}), zeros({3, 2, 2}));
      },
      {"[bmm]", "batch"});
  ExpectValues(outer(T({1, 2}, {2}), T({3, 4, 5}, {3})), {2, 3},
               {3, 4, 5, 6, 8, 10});
}

TEST(Linalg, Linear) {
  Tensor x = T({1, 2}, {1, 2});
  Tensor w = T({1, 0, 0, 1, 1, 1}, {3, 2});
  ExpectValues(linear(x, w), {1, 3}, {1, 2, 3});
  ExpectValues(linear(x, w, T({0.5, 0.5, 0.5}, {3})), {1, 3}, {1.5, 2.5, 3.5});
  ExpectValues(linear(T({1, 2}, {2}), w), {3}, {1, 2, 3});
  ExpectError(
      [&] {
        linear(x, zeros({3, 4}));
      },
      {"[linear]", "2 features", "expects 4"});
  ExpectError([&] { linear(x, w, zeros({4})); }, {"[linear]", "bias"});
}

TEST(Linalg, OneHot) {
  ExpectValues(one_hot(I({0, 2, 1}, {3}), 3), {3, 3},
               {1, 0, 0, 0, 0, 1, 0, 1, 0});
  EXPECT_EQ(one_hot(I({1}, {1}), 2, DType::Int64).dtype(), DType::Int64);
  ExpectError([] { one_hot(I({3}, {1}), 3); }, {"[one_hot]", "3"});
  ExpectError([] { one_hot(T({1}, {1}), 3); }, {"[one_hot]", "integer"});
}

// ---------------- neural-network functions ----------------

TEST(NN, Conv1d) {
  Tensor x = T({1, 2, 3, 4}, {1, 1, 4});
  Tensor w = T({1, 1}, {1, 1, 2});
  ExpectValues(conv1d(x, w), {1, 1, 3}, {3, 5, 7});
  ExpectValues(conv1d(x, w, T({1}, {1})), {1, 1, 3}, {4, 6, 8});
  ExpectValues(conv1d(reshape(x, {1, 4}), w), {1, 3}, {3, 5, 7});
  ExpectValues(conv1d(x, w, {}, {.stride = {2}}), {1, 1, 2}, {3, 7});
  ExpectValues(conv1d(x, w, {}, {.padding = {1}}), {1, 1, 5}, {1, 3, 5, 7, 4});
  ExpectValues(conv1d(x, w, {}, {.dilation = {2}}), {1, 1, 2}, {4, 6});
  ExpectError([&] { conv1d(zeros({4}), w); }, {"[conv1d]", "[4]"});
  ExpectError([&] { conv1d(x, w, T({1, 2}, {2})); }, {"[conv1d]", "bias"});
  ExpectError([&] { conv1d(zeros({1, 3, 4}), w); }, {"[conv1d]", "3 channels"});
}

TEST(NN, Conv2d) {
  Tensor x = reshape(arange(1.0, 10.0), {1, 1, 3, 3});
  Tensor w = ones({1, 1, 2, 2});
  ExpectValues(conv2d(x, w), {1, 1, 2, 2}, {12, 16, 24, 28});
  ExpectValues(conv2d(x, w, {}, {.padding = {1}, .dilation = {1, 1}}),
               {1, 1, 4, 4},
               {1, 3, 5, 3, 5, 12, 16, 9, 11, 24, 28, 15, 7, 15, 17, 9});
  ExpectValues(conv2d(reshape(x, {1, 3, 3}), w, T({10}, {1})), {1, 2, 2},
               {22, 26, 34, 38});
  ExpectError(
      [&] {
        conv2d(x, w, {}, {.stride = {1, 1, 1}});
      },
      {"[conv2d]", "stride"});
  ExpectError([&] { conv2d(x, zeros({1, 1, 2})); }, {"[conv2d]", "weight"});
}

TEST(NN, Pooling) {
  Tensor x = reshape(arange(0.0, 16.0), {1, 1, 4, 4});
  ExpectValues(max_pool2d(x, {.kernel = {2}}), {1, 1, 2, 2}, {5, 7, 13, 15});
  ExpectValues(max_pool2d(x, {.kernel = {2}, .padding = {1}}), {1, 1, 3, 3},
               {0, 2, 3, 8, 10, 11, 12, 14, 15});
  ExpectValues(max_pool2d(reshape(x, {1, 4, 4}), {.kernel = {2, 2}}), {1, 2, 2},
               {5, 7, 13, 15});
  ExpectValues(avg_pool2d(x, {.kernel = {2}}), {1, 1, 2, 2},
               {2.5, 4.5, 10.5, 12.5});
  ExpectValues(avg_pool2d(x, {.kernel = {2}, .padding = {1}}), {1, 1, 3, 3},
               {0, 0.75, 0.75, 3, 7.5, 4.5, 3, 6.75, 3.75});
  ExpectError([&] { max_pool2d(x, {.kernel = {2}, .padding = {2}}); },
              {"[max_pool2d]", "half"});
  ExpectError(
      [&] {
        avg_pool2d(zeros({4, 4}), {.kernel = {2}});
      },
      {"[avg_pool2d]", "[4, 4]"});
  ExpectError([&] { max_pool2d(x, {}); }, {"[max_pool2d]", "kernel"});
}

TEST(NN, MseLoss) {
  ExpectValues(mse_loss(T({1, 2, 3}, {3}), T({1, 1, 1}, {3})), {}, {5.0 / 3});
  ExpectError(
      [] {
        mse_loss(zeros({3}), zeros({3, 1}));
      },
      {"[mse_loss]", "[3]", "[3, 1]"});
}

TEST(NN, NllLossCrossEntropy) {
  Tensor lp = T({-1, -2, -3, -0.5, -1.5, -2.5}, {2, 3});
  ExpectValues(nll_loss(lp, I({2, 0}, {2})), {}, {1.75});
  ExpectValues(nll_loss(T({-1, -2}, {2}), I({1}, {})), {}, {2});
  ExpectError([&] { nll_loss(lp, I({2, 3}, {2})); }, {"[nll_loss]", "3"});
  ExpectError([&] { nll_loss(lp, T({0, 1}, {2})); }, {"[nll_loss]", "int"});
  ExpectError(
      [&] {
        nll_loss(lp, I({0, 1, 2}, {3}));
      },
      {"[nll_loss]", "[3]", "[2, 3]"});
  const double expected =
      std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 3;
  Tensor logits = T({1, 2, 3}, {1, 3});
  ExpectValues(cross_entropy(logits, I({2}, {1})), {}, {expected});
  ExpectValues(cross_entropy(logits, T({0, 0, 1}, {1, 3})), {}, {expected});
  ExpectValues(cross_entropy(T({1, 2, 3}, {3}), I({2}, {})), {}, {expected});
}

TEST(NN, Dropout) {
  Tensor x = ones({4000});
  EXPECT_TRUE(dropout(x, 0.0).is_same(x));
  EXPECT_TRUE(dropout(x, 0.5, false).is_same(x));
  Generator g(11);
  Tensor y = dropout(x, 0.5, true, &g);
  int zeros_seen = 0;
  for (double v : y.to_vector()) {
    EXPECT_TRUE(v == 0 || v == 2) << v;
    zeros_seen += v == 0;
  }
  EXPECT_NEAR(zeros_seen / 4000.0, 0.5, 0.05);
  ExpectValues(dropout(T({1, 2}, {2}), 1.0), {2}, {0, 0});
  ExpectError([&] { dropout(x, 1.5); }, {"[dropout]", "1.5"});
}

TEST(NN, BatchNorm) {
  Tensor x = T({1, 2, 3, 6}, {2, 2});
  // Channel 0 is {1, 3} (mean 2, variance 1), channel 1 is {2, 6} (mean 4,
  // variance 4).
  const double s0 = 1 / std::sqrt(1 + 1e-5);
  const double s1 = 2 / std::sqrt(4 + 1e-5);
  ExpectValues(batch_norm(x, {}, {}, {}, {}, true), {2, 2}, {-s0, -s1, s0, s1});
  ExpectValues(batch_norm(x, {}, {}, T({2, 3}, {2}), T({1, 0}, {2}), true),
               {2, 2}, {1 - 2 * s0, -3 * s1, 1 + 2 * s0, 3 * s1});
  ExpectValues(batch_norm(x, T({0, 1}, {2}), T({1, 4}, {2}), {}, {}, false, 0),
               {2, 2}, {1, 0.5, 3, 2.5});
  // (N, C, L): statistics over N and L.
  Tensor x3 = T({1, 3, 10, 10, 5, 7, 20, 20}, {2, 2, 2});
  const double r5 = std::sqrt(5.0);
  ExpectValues(batch_norm(x3, {}, {}, {}, {}, true, 0), {2, 2, 2},
               {-3 / r5, -1 / r5, -1, -1, 1 / r5, 3 / r5, 1, 1});
  ExpectError([&] { batch_norm(x, {}, {}, {}, {}, false); },
              {"[batch_norm]", "running_mean"});
  ExpectError(
      [] {
        batch_norm(zeros({1, 2}), {}, {}, {}, {}, true);
      },
      {"[batch_norm]", "more than 1 value"});
  ExpectError([&] { batch_norm(x, {}, {}, zeros({3}), {}, true); },
              {"[batch_norm]", "weight", "[3]"});
}

TEST(NN, LayerNorm) {
  Tensor x = T({1, 2, 3, 2, 4, 6}, {2, 3});
  const double a = std::sqrt(1.5);
  ExpectValues(layer_norm(x, {3}, {}, {}, 0), {2, 3}, {-a, 0, a, -a, 0, a});
  ExpectValues(layer_norm(x, {3}, T({1, 2, 3}, {3}), T({1, 1, 1}, {3}), 0),
               {2, 3}, {1 - a, 1, 1 + 3 * a, 1 - a, 1, 1 + 3 * a});
  // Over all 6 values: mean 3, variance 16 / 6.
  const double sd = std::sqrt(16.0 / 6);
  ExpectValues(layer_norm(x, {2, 3}, {}, {}, 0), {2, 3},
               {-2 / sd, -1 / sd, 0, -1 / sd, 1 / sd, 3 / sd});
  ExpectError([&] { layer_norm(x, {2}); }, {"[layer_norm]", "[2, 3]", "[2]"});
  ExpectError([&] { layer_norm(x, {3}, zeros({2})); },
              {"[layer_norm]", "weight"});
}

TEST(NN, Embedding) {
  Tensor w = T({0, 1, 2, 3, 4, 5}, {3, 2});
  ExpectValues(embedding(w, I({2, 0}, {1, 2})), {1, 2, 2}, {4, 5, 0, 1});
  ExpectValues(embedding(w, I({1}, {})), {2}, {2, 3});
  ExpectError([&] { embedding(w, I({3}, {1})); }, {"[embedding]", "3"});
  ExpectError([&] { embedding(zeros({3}), I({0}, {1})); },
              {"[embedding]", "2-D"});
}

TEST(EdgeCases, ZeroSizeAndSpecialValues) {
  // Zero-size dims.
  EXPECT_EQ(split(zeros({0, 2}), 3).size(), 1u);
  std::vector<Tensor> pieces = chunk(zeros({0}), 3);
  ASSERT_EQ(pieces.size(), 3u);
  EXPECT_EQ(pieces[2].shape(), (Shape{0}));
  EXPECT_EQ(eye(0).shape(), (Shape{0, 0}));
  EXPECT_EQ(stack({zeros({0}), zeros({0})}).shape(), (Shape{2, 0}));
  // A row of -inf has no softmax (NaN, as torch); its logsumexp is -inf.
  Tensor x = T({-kInf, -kInf, 0, 1}, {2, 2});
  ExpectValues(softmax(x, 1), {2, 2},
               {kNaN, kNaN, 0.2689414213699951, 0.7310585786300049});
  ExpectValues(logsumexp(x, {1}), {2}, {-kInf, 1.3132616875182228});
  // Integer inputs: max pooling pads with the dtype's lowest value, mean
  // and softmax compute in float32.
  Tensor xi = reshape(from_vector(std::vector<int64_t>{-5, -6, -7, -8},
                                  Shape{2, 2}, DType::Int64),
                      {1, 1, 2, 2});
  Tensor pooled =
      max_pool2d(xi, {.kernel = {2}, .stride = {1}, .padding = {1}});
  EXPECT_EQ(pooled.dtype(), DType::Int64);
  ExpectValues(pooled, {1, 1, 3, 3}, {-5, -5, -6, -5, -5, -6, -7, -7, -8});
  EXPECT_EQ(mean(ones({2}, DType::Bool)).dtype(), DType::Float32);
  ExpectValues(softmax(I({0, 0}, {2}), 0), {2}, {0.5, 0.5});
  ExpectValues(clamp(I({-3, 0, 3}, {3}), -1.0, 1.0), {3}, {-1, 0, 1});
  EXPECT_EQ(squeeze(scalar_tensor(2), 0).shape(), Shape{});
  ExpectValues(transpose(scalar_tensor(2), 0, -1), {}, {2});
}

// ---------------- comparison ----------------

TEST(Comparison, Allclose) {
  EXPECT_TRUE(allclose(T({1, 2}, {2}), T({1, 2 + 1e-6}, {2})));
  EXPECT_FALSE(allclose(T({1, 2}, {2}), T({1, 2.1}, {2})));
  EXPECT_TRUE(allclose(T({1, 2}, {2}), T({1, 2.1}, {2}), 0, 0.2));
  EXPECT_TRUE(allclose(T({1, 1}, {2}), scalar_tensor(1)));
  EXPECT_FALSE(allclose(T({kNaN}, {1}), T({kNaN}, {1})));
  EXPECT_TRUE(allclose(T({kNaN}, {1}), T({kNaN}, {1}), 1e-5, 1e-8, true));
  EXPECT_TRUE(allclose(T({kInf}, {1}), T({kInf}, {1})));
  EXPECT_FALSE(allclose(T({kInf}, {1}), T({-kInf}, {1})));
  ExpectError([] { allclose(zeros({2}), zeros({3})); },
              {"[allclose]", "[2]", "[3]"});
}

TEST(Comparison, Equal) {
  EXPECT_TRUE(equal(T({1, 2}, {2}), T({1, 2}, {2})));
  EXPECT_FALSE(equal(T({1, 2}, {2}), T({1, 2}, {1, 2})));
  EXPECT_FALSE(equal(T({1, 2}, {2}), T({1, 3}, {2})));
  EXPECT_FALSE(equal(T({kNaN}, {1}), T({kNaN}, {1})));
  EXPECT_TRUE(equal(I({1, 2}, {2}), T({1, 2}, {2})));
}

// ---------------- Tensor methods ----------------

TEST(TensorMethods, ViewsAndShapes) {
  Tensor x = reshape(arange(0.0, 6.0), {2, 3});
  ExpectValues(x.reshape({3, 2}), {3, 2}, {0, 1, 2, 3, 4, 5});
  Tensor v = x.view({6});
  EXPECT_EQ(v.impl()->storage, x.impl()->storage);
  ExpectError([&] { x.t().view({6}); }, {"[view]", "[6]", "use reshape()"});
  ExpectValues(x.t(), {3, 2}, {0, 3, 1, 4, 2, 5});
  ExpectValues(x.transpose(0, 1), {3, 2}, {0, 3, 1, 4, 2, 5});
  ExpectValues(x.permute({1, 0}), {3, 2}, {0, 3, 1, 4, 2, 5});
  ExpectValues(x.t().contiguous(), {3, 2}, {0, 3, 1, 4, 2, 5});
  ExpectValues(x[1], {3}, {3, 4, 5});
  ExpectValues(x.select(1, 0), {2}, {0, 3});
  ExpectValues(x.slice(1, 1, 3), {2, 2}, {1, 2, 4, 5});
  ExpectValues(x.unsqueeze(0).squeeze(), {2, 3}, {0, 1, 2, 3, 4, 5});
  EXPECT_EQ(x.unsqueeze(1).squeeze(1).shape(), (Shape{2, 3}));
  EXPECT_EQ(x.flatten().shape(), (Shape{6}));
  ExpectValues(T({1, 2}, {2, 1}).expand({2, 2}), {2, 2}, {1, 1, 2, 2});
  ExpectValues(T({1, 2}, {2}).t(), {2}, {1, 2});
}

TEST(TensorMethods, MathAndMemory) {
  Tensor x = T({1, -4, 9, 16}, {2, 2});
  ExpectValues(x.sum(), {}, {22});
  ExpectValues(x.sum({0}), {2}, {10, 12});
  ExpectValues(x.mean(), {}, {5.5});
  ExpectValues(x.mean({1}, true), {2, 1}, {-1.5, 12.5});
  ExpectValues(x.max(), {}, {16});
  ExpectValues(x.min(), {}, {-4});
  ExpectValues(x.abs(), {2, 2}, {1, 4, 9, 16});
  ExpectValues(x.abs().sqrt(), {2, 2}, {1, 2, 3, 4});
  ExpectValues(T({0, 1}, {2}).exp(), {2}, {1, std::exp(1.0)});
  ExpectValues(T({1, std::exp(2.0)}, {2}).log(), {2}, {0, 2});
  ExpectValues(T({2, 3}, {2}).pow(T({3, 2}, {2})), {2}, {8, 9});
  ExpectValues(T({1, 2, 3, 4}, {2, 2}).matmul(T({1, 1}, {2})), {2}, {3, 7});
  Tensor d = x.to(DType::Float64);
  EXPECT_EQ(d.dtype(), DType::Float64);
  EXPECT_TRUE(x.to(DType::Float32).is_same(x));
  EXPECT_EQ(x.to(Device::cpu()).device(), Device::cpu());
  Tensor c = x.clone();
  EXPECT_NE(c.impl()->storage, x.impl()->storage);
  Tensor base = zeros({2, 2});
  Tensor row = base.select(0, 1);
  row.copy_(T({7, 8}, {2}));
  ExpectValues(base, {2, 2}, {0, 0, 7, 8});
}

}  // namespace
}  // namespace fnx
