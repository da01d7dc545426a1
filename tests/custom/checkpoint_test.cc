// checkpoint (transforms/custom/checkpoint.h): equal to no checkpoint bit
// for bit (dropout included) under grad, vmap and jvp for each policy;
// the forward keeps no intermediates; the policies keep what they name.
#include <functional>
#include <string>
#include <vector>

#include "fnx.h"
#include "gtest/gtest.h"
#include "tests/testing/transform_test_util.h"

namespace fnx {
namespace {

using testing::throws_with;

// Bit-for-bit equality.
::testing::AssertionResult same(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape()) {
    return ::testing::AssertionFailure()
           << shape_str(a.shape()) << " vs " << shape_str(b.shape());
  }
  const std::vector<double> x = a.to_vector(), y = b.to_vector();
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (x[i] != y[i]) {
      return ::testing::AssertionFailure()
             << "element " << i << ": " << x[i] << " vs " << y[i];
    }
  }
  return ::testing::AssertionSuccess();
}

struct Weights {
  Tensor w1, w2;
};
FNX_TREE_STRUCT(Weights, w1, w2);

Weights weights(uint64_t seed) {
  Generator gen(seed);
  return {randn({8, 8}, DType::Float64, &gen) * 0.3,
          randn({8, 8}, DType::Float64, &gen) * 0.3};
}

// A block with a matmul, a named value and dropout (a fresh key per call
// from the default generator).
Tensor block(const Weights& w, const Tensor& x) {
  Tensor h = checkpoint_name(matmul(x, w.w1), "h");
  h = dropout(gelu(h), 0.25, true);
  return tanh(matmul(h, w.w2)) + x;
}

std::vector<CheckpointPolicy> policies() {
  return {CheckpointPolicy::save_nothing(), CheckpointPolicy::dots_saveable(),
          CheckpointPolicy::save_only_these_names({"h"})};
}

std::string policy_name(const CheckpointPolicy& p) {
  switch (p.save) {
    case CheckpointPolicy::Save::nothing:
      return "nothing";
    case CheckpointPolicy::Save::dots:
      return "dots";
    case CheckpointPolicy::Save::names:
      return "names";
  }
  return "?";
}

using Block = std::function<Tensor(const Weights&, const Tensor&)>;

// Runs `run` with the plain block, then with the block checkpointed under
// each policy, the default generator seeded alike each time: the weights'
// gradients it returns must be equal bit for bit.
void expect_policies_match(const std::function<Weights(const Block&)>& run) {
  manual_seed(7);
  const Weights expected = run(block);
  for (const CheckpointPolicy& policy : policies()) {
    SCOPED_TRACE(policy_name(policy));
    manual_seed(7);
    const Weights got = run(checkpoint(block, policy));
    EXPECT_TRUE(same(got.w1, expected.w1));
    EXPECT_TRUE(same(got.w2, expected.w2));
  }
}

TEST(Checkpoint, GradEqualsPlainGradBitForBitWithDropout) {
  const Weights w = weights(1);
  Generator gen(2);
  const Tensor x = randn({4, 8}, DType::Float64, &gen);
  expect_policies_match([&](const Block& b) {
    return grad([&](const Weights& w) { return b(w, b(w, x)).sum(); })(w);
  });
}

TEST(Checkpoint, PerSampleGradientsUnderVmapEqualPlain) {
  const Weights w = weights(3);
  Generator gen(4);
  const Tensor xs = randn({5, 8}, DType::Float64, &gen);
  const VmapOptions options{.randomness = Randomness::different};
  expect_policies_match([&](const Block& b) {
    auto loss = [&b](const Weights& w, const Tensor& x) {
      return b(w, x).sum();
    };
    return vmap(grad(loss), {none, 0}, 0, options)(w, xs);
  });
}

TEST(Checkpoint, GradOfVmapEqualsPlain) {
  const Weights w = weights(5);
  Generator gen(6);
  const Tensor xs = randn({3, 8}, DType::Float64, &gen);
  const VmapOptions options{.randomness = Randomness::same};
  expect_policies_match([&](const Block& b) {
    return grad([&](const Weights& w) {
      return vmap([&](const Tensor& x) { return b(w, x); }, 0, 0, options)(xs)
          .sum();
    })(w);
  });
}

TEST(Checkpoint, JvpEqualsPlain) {
  const Weights w = weights(7);
  Generator gen(8);
  const Tensor x = randn({4, 8}, DType::Float64, &gen);
  const Tensor t = randn({4, 8}, DType::Float64, &gen);
  manual_seed(13);
  auto [out, tangent] = jvp([&](const Tensor& x) { return block(w, x); }, x, t);
  for (const CheckpointPolicy& policy : policies()) {
    SCOPED_TRACE(policy_name(policy));
    auto ckpt = checkpoint(block, policy);
    manual_seed(13);
    auto [o, tt] = jvp([&](const Tensor& x) { return ckpt(w, x); }, x, t);
    EXPECT_TRUE(same(o, out));
    EXPECT_TRUE(same(tt, tangent));
  }
}

TEST(Checkpoint, GradOfGradEqualsPlain) {
  Generator gen(9);
  const Tensor x = randn({6}, DType::Float64, &gen);
  auto f = [](const Tensor& x) { return tanh(sin(x) * x); };
  auto plain = [&](const Tensor& x) {
    return grad([&](const Tensor& y) { return f(y).sum(); })(x).sum();
  };
  auto ckpt = checkpoint(f);
  auto checkpointed = [&](const Tensor& x) {
    return grad([&](const Tensor& y) { return ckpt(y).sum(); })(x).sum();
  };
  EXPECT_TRUE(same(grad(checkpointed)(x), grad(plain)(x)));
}

TEST(Checkpoint, ForwardKeepsNoIntermediates) {
  // A chain of 16 segments of 4 elementwise steps. Plain grad keeps every
  // intermediate; checkpointing each segment keeps the segments' inputs,
  // and the backward recomputes one segment at a time.
  Generator gen(10);
  const Tensor x = randn({1 << 13}, DType::Float64, &gen);  // 64 KiB
  auto segment = [](const Tensor& x) {
    Tensor y = x;
    for (int i = 0; i < 4; ++i) y = sin(y) * 1.01;
    return y;
  };
  auto peak_of = [&](auto&& seg) {
    reset_peak_memory();
    const int64_t before = memory_stats().live_bytes;
    Tensor g = grad([&](const Tensor& x) {
      Tensor y = x;
      for (int i = 0; i < 16; ++i) y = seg(y);
      return y.sum();
    })(x);
    return memory_stats().peak_bytes - before;
  };
  const int64_t plain = peak_of(segment);
  const int64_t ckpt = peak_of(checkpoint(segment));
  EXPECT_LT(ckpt * 3, plain) << "checkpointed " << ckpt << " plain " << plain;
}

TEST(Checkpoint, DotsPolicyDoesNotRecomputeMatmuls) {
  const Weights w = weights(11);
  Generator gen(12);
  const Tensor x = randn({4, 8}, DType::Float64, &gen);
  auto no_dropout = [](const Weights& w, const Tensor& x) {
    return tanh(matmul(gelu(matmul(x, w.w1)), w.w2));
  };
  auto kernels_of = [&](const CheckpointPolicy& policy) {
    auto ckpt = checkpoint(no_dropout, policy);
    const int64_t before = kernel_calls();
    grad([&](const Weights& w) { return ckpt(w, x).sum(); })(w);
    return kernel_calls() - before;
  };
  // Two matmuls fewer in the recomputation.
  const int64_t nothing = kernels_of(CheckpointPolicy::save_nothing());
  const int64_t dots = kernels_of(CheckpointPolicy::dots_saveable());
  EXPECT_EQ(nothing - dots, 2);
}

TEST(Checkpoint, ChangedRandomOpsInTheRecomputationAreAnError) {
  Generator gen(13);
  const Tensor x = randn({4}, DType::Float64, &gen);
  int calls = 0;
  auto flaky = checkpoint([&calls](const Tensor& x) {
    // A different number of random draws the second time it runs.
    return x * rand({calls++ == 0 ? 4 : 5}, DType::Float64).sum();
  });
  EXPECT_TRUE(throws_with(
      [&] { grad([&](const Tensor& x) { return flaky(x).sum(); })(x); },
      {"checkpoint", "random"}));
}

TEST(MemoryStats, PeakTracksLiveBytesAndResets) {
  reset_peak_memory();
  const MemoryStats before = memory_stats();
  EXPECT_EQ(before.peak_bytes, before.live_bytes);
  {
    Tensor big = zeros({1 << 16}, DType::Float64);  // 512 KiB
    EXPECT_GE(memory_stats().live_bytes - before.live_bytes, 1 << 19);
  }
  const MemoryStats after = memory_stats();
  EXPECT_EQ(after.live_bytes, before.live_bytes);
  EXPECT_GE(after.peak_bytes - before.live_bytes, 1 << 19);
  reset_peak_memory();
  EXPECT_EQ(memory_stats().peak_bytes, memory_stats().live_bytes);
  // Devices are counted apart.
  EXPECT_EQ(memory_stats(Device::cuda(3)).live_bytes, 0);
}

}  // namespace
}  // namespace fnx
