// Regressions for the hostile inputs of the hardening issue: each exact input
// that once corrupted memory, wrapped a size or gave a wrong answer now ends
// in a value or a precise fnx::Error.
#include <climits>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "fnx.h"
#include "gtest/gtest.h"
#include "tests/testing/transform_test_util.h"

namespace fnx {
namespace {

using testing::throws_with;

constexpr int64_t k62 = int64_t{1} << 62;
constexpr int64_t k61 = int64_t{1} << 61;
constexpr int64_t k32 = int64_t{1} << 32;

// 1. Huge shapes: the byte count once wrapped to 0 and 2^62 elements were
// written into a 64-byte block.
TEST(HostileShapes, HugeCreationsAreTooLarge) {
  EXPECT_TRUE(throws_with([] { zeros({k62}); }, {"[full]", "too large"}));
  EXPECT_TRUE(throws_with([] { randn({k62}); }, {"[normal]", "too large"}));
  EXPECT_TRUE(throws_with([] { ones({INT64_MAX}); }, "too large"));
  EXPECT_TRUE(throws_with([] { zeros({k61}, DType::Float64); }, "too large"));
  // What already was an out-of-memory error stays one.
  EXPECT_TRUE(throws_with([] { zeros({int64_t{1} << 40}); }, "out of memory"));
  EXPECT_TRUE(throws_with([] { empty({k62}, DType::Float32); },
                          {"[empty]", "too large"}));
}

// 2. Shape arithmetic that overflowed.
TEST(HostileShapes, ElementCountsAndStridesThatOverflow) {
  EXPECT_TRUE(throws_with([] { zeros({k32, k32}); }, "too large"));
  EXPECT_TRUE(throws_with([] { zeros({0, k32, k32}); }, "stride"));
  EXPECT_TRUE(throws_with([] { zeros({3, k62}); }, "too large"));
  EXPECT_TRUE(throws_with([] { numel(Shape{k32, k32}); }, "too large"));
}

TEST(HostileShapes, NarrowAndSliceWithHugeBounds) {
  const Tensor x = arange(12, DType::Float32).reshape({3, 4});
  EXPECT_TRUE(throws_with([&] { narrow(x, 1, 2, INT64_MAX); },
                          {"[narrow]", "exceeds dim 1 of size 4"}));
  // A step past the end keeps the first element only.
  const Tensor s = x.slice(1, 0, 3, INT64_MAX);
  EXPECT_EQ(s.shape(), (Shape{3, 1}));
  EXPECT_EQ(s.to_vector(), (std::vector<double>{0, 4, 8}));
}

TEST(HostileShapes, ChunkCounts) {
  const Tensor x = arange(12, DType::Float32).reshape({3, 4});
  // ceil(4 / INT64_MAX) once overflowed (found by the property test under
  // UBSan).
  EXPECT_EQ(chunk(x, INT64_MAX, 1).size(), 4u);
  EXPECT_TRUE(throws_with([] { chunk(zeros({0}), int64_t{1} << 62); },
                          {"[chunk]", "empty tensors"}));
}

TEST(HostileShapes, ConvPaddingThatOverflows) {
  const Tensor x = zeros({1, 1, 4, 4}), w = zeros({1, 1, 3, 3});
  EXPECT_TRUE(throws_with(
      [&] {
        conv2d(x, w, {}, {.padding = {k62, k62}});
      },
      "overflows"));
  EXPECT_TRUE(throws_with(
      [&] {
        unfold(x, {.kernel = {2, 2}, .padding = {k62, 0}});
      },
      "overflows"));
  EXPECT_TRUE(throws_with(
      [&] {
        max_pool2d(x, {.kernel = {2, 2}, .padding = {k61, 0}});
      },
      "padding"));
}

// 4. Rank limit in the core.
TEST(HostileShapes, RankLimit) {
  Shape deep(kMaxRank + 1, 1);
  EXPECT_TRUE(throws_with([&] { zeros(deep); }, {"dims", "64"}));
  Shape ok(kMaxRank, 1);
  const Tensor t = zeros(ok);
  EXPECT_NE(t.str().find("tensor("), std::string::npos);  // printable
  EXPECT_TRUE(throws_with([&] { t.reshape(deep); }, "dims"));
}

// 6. int64 values never pass through double.
TEST(HostileValues, Int64IsExact) {
  const int64_t big = (int64_t{1} << 53) + 1;
  const Tensor t = from_vector(std::vector<int64_t>{big}, {1});
  EXPECT_EQ(t.reshape({}).item<int64_t>(), big);
  EXPECT_EQ(t.at<int64_t>({0}), big);
  const Tensor m = from_vector(std::vector<int64_t>{INT64_MAX, INT64_MIN}, {2});
  EXPECT_EQ(m.str(), "tensor([ 9223372036854775807, -9223372036854775808])");
  EXPECT_TRUE(throws_with(
      [] {
        index_select(ones({3}), 0,
                     from_vector(std::vector<int64_t>{INT64_MAX}, {1}));
      },
      {"index 9223372036854775807", "out of range"}));
}

// 7. Repeated argnums are a compile error, as for grad.
auto scalar_fn = [](const Tensor& a, const Tensor& b) { return (a * b).sum(); };
template <std::size_t... I>
constexpr bool jacrev_accepts = requires {
  jacrev<I...>(scalar_fn);
};
template <std::size_t... I>
constexpr bool jacfwd_accepts = requires {
  jacfwd<I...>(scalar_fn);
};
template <std::size_t... I>
constexpr bool hessian_accepts = requires {
  hessian<I...>(scalar_fn);
};
template <std::size_t... I>
constexpr bool jacobian_accepts = requires {
  jacobian<I...>(scalar_fn);
};
static_assert(jacrev_accepts<0, 1> && !jacrev_accepts<0, 0>);
static_assert(jacfwd_accepts<1, 0> && !jacfwd_accepts<0, 0>);
static_assert(hessian_accepts<0, 1> && !hessian_accepts<0, 0>);
static_assert(jacobian_accepts<1> && !jacobian_accepts<1, 1>);

// 8. INT64_MIN is the internal "not mapped" marker, never a user's dim.
TEST(HostileTransforms, Int64MinAsVmapDim) {
  const Tensor a = ones({3}), b = ones({3});
  EXPECT_TRUE(throws_with(
      [&] {
        vmap([](const Tensor& x, const Tensor& y) { return x + y; },
             {0, INT64_MIN})(a, b);
      },
      {"in_dims", "out of range"}));
  EXPECT_TRUE(throws_with(
      [&] { vmap([](const Tensor& x) { return x * 2.0; }, 0, INT64_MIN)(a); },
      {"out_dims", "out of range"}));
}

// 11. The smaller ones.
TEST(HostileValues, IndexCopyAndIndexPutNameThemselves) {
  Tensor x = zeros({3});
  const Tensor bad = from_vector(std::vector<int64_t>{5}, {1});
  EXPECT_TRUE(throws_with([&] { index_copy_(x, 0, bad, ones({1})); },
                          {"[index_copy_]", "index 5"}));
  EXPECT_TRUE(throws_with([&] { index_put_(x, bad, ones({1})); },
                          {"[index_put_]", "index 5"}));
  EXPECT_TRUE(throws_with([&] { index_put_(x, bad, ones({1}), true); },
                          {"[index_put_]", "index 5"}));
}

TEST(HostileValues, ItemOfAnEmptyTensor) {
  EXPECT_TRUE(throws_with([] { zeros({0}).item<float>(); },
                          {"[item]", "has no elements"}));
}

TEST(HostileValues, CpuDevicesOtherThanZeroDoNotExist) {
  EXPECT_TRUE(throws_with(
      [] {
        zeros({2}, DType::Float32, Device{DeviceType::CPU, 7});
      },
      {"cpu:7", "does not exist"}));
  EXPECT_EQ((Device{DeviceType::CPU, 7}).str(), "cpu:7");
  EXPECT_TRUE(throws_with(
      [] {
        ones({2}).to(Device{DeviceType::CPU, 7});
      },
      "does not exist"));
}

TEST(HostileTransforms, LeakedBatchedTensorIsItsPhysicalTensor) {
  Tensor leaked;
  const Tensor xs = ones({4, 3});
  vmap([&](const Tensor& x) {
    leaked = x * 2.0;
    return x;
  })(xs);
  EXPECT_EQ(leaked.shape(), (Shape{4, 3}));
  EXPECT_EQ((leaked + 1.0).sum().item<float>(), 36.0f);
}

TEST(HostileValues, ClampOfNaNHasZeroGradient) {
  const Tensor x = from_vector({NAN, 0.5, 3.0}, DType::Float64);
  const Tensor g =
      grad([](const Tensor& x) { return clamp(x, 0.0, 1.0).sum(); })(x);
  EXPECT_EQ(g.to_vector(), (std::vector<double>{0, 1, 0}));
  EXPECT_TRUE(std::isnan(clamp(x, 0.0, 1.0).to_vector()[0]));
}

TEST(HostileTransforms, JacfwdOfAnIntegerOutputIsFloating) {
  auto f = [](const Tensor& x) { return argmax(x, 0); };
  const Tensor x = from_vector({1.0, 3.0, 2.0}, DType::Float64);
  EXPECT_EQ(jacfwd(f)(x).dtype(), DType::Float64);
  EXPECT_EQ(jacrev(f)(x).dtype(), DType::Float64);
}

TEST(HostileShapes, SumOfAHugeExpandedTensor) {
  const Tensor big = zeros({1}).expand({k62});
  EXPECT_TRUE(throws_with([&] { big.sum({0}); },
                          {"[sum]", "expanded view", "would not finish"}));
  EXPECT_TRUE(throws_with([&] { amax(big, {0}); }, "expanded view"));
}

}  // namespace
}  // namespace fnx
