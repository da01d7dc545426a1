// Losses: each reduction against a direct computation, the core ops' mean
// versions, stability of the logits form, and gradients through them.
#include <cmath>
#include <vector>

#include "fnx.h"
#include "gtest/gtest.h"
#include "nn/losses.h"
#include "tests/testing/transform_test_util.h"

namespace fnx {
namespace {

using nn::Reduction;
using testing::close;
using testing::throws_with;

TEST(Losses, MseReductions) {
  const Tensor a({1.0, 2.0, 4.0}), b({0.0, 2.0, 1.0});
  EXPECT_TRUE(close(nn::mse_loss(a, b, Reduction::none), Tensor({1.0, 0.0, 9.0})));
  EXPECT_TRUE(close(nn::mse_loss(a, b, Reduction::sum), Tensor(10.0)));
  EXPECT_TRUE(close(nn::mse_loss(a, b), mse_loss(a, b)));
  EXPECT_TRUE(throws_with([&] { nn::mse_loss(a, Tensor({1.0})); },
                          "[nn.mse_loss]"));
}

TEST(Losses, NllAndCrossEntropyMatchTheCoreAndEachOther) {
  Generator gen(1);
  const Tensor logits = randn({4, 3}, DType::Float64, &gen);
  const Tensor labels = from_vector(std::vector<int64_t>{0, 2, 1, 2}, Shape{4});
  const Tensor none = nn::cross_entropy(logits, labels, Reduction::none);
  ASSERT_EQ(none.shape(), (Shape{4}));
  const Tensor lp = log_softmax(logits, 1);
  for (int64_t i = 0; i < 4; ++i) {
    const int64_t c = labels.at<int64_t>({i});
    EXPECT_NEAR(none.at<double>({i}), -lp.at<double>({i, c}), 1e-12);
  }
  EXPECT_TRUE(close(nn::cross_entropy(logits, labels),
                    cross_entropy(logits, labels), 1e-12));
  EXPECT_TRUE(close(nn::cross_entropy(logits, labels, Reduction::sum),
                    none.sum(), 1e-12));
  EXPECT_TRUE(close(nn::nll_loss(lp, labels, Reduction::none), none, 1e-12));
  EXPECT_TRUE(close(nn::nll_loss(lp, labels), nll_loss(lp, labels), 1e-12));
  // Unbatched, and probability targets.
  EXPECT_TRUE(close(nn::cross_entropy(logits[1], labels[1]), none[1], 1e-12));
  const Tensor probs = one_hot(labels, 3, DType::Float64);
  EXPECT_TRUE(close(nn::cross_entropy(logits, probs, Reduction::none), none,
                    1e-12));
  EXPECT_TRUE(throws_with([&] { nn::nll_loss(lp, labels.slice(0, 0, 3)); },
                          "target shape [3]"));
  EXPECT_TRUE(throws_with([&] { nn::nll_loss(lp, probs); }, "integers"));
}

TEST(Losses, BinaryCrossEntropy) {
  const Tensor p({0.2, 0.9, 0.5}), t({0.0, 1.0, 1.0});
  const std::vector<double> expected = {-std::log(0.8), -std::log(0.9),
                                        -std::log(0.5)};
  EXPECT_TRUE(close(nn::binary_cross_entropy(p, t, Reduction::none),
                    Tensor({expected[0], expected[1], expected[2]}), 1e-6));
  // log(0) is clamped at -100, as torch.
  EXPECT_TRUE(close(nn::binary_cross_entropy(Tensor({0.0}), Tensor({1.0}),
                                             Reduction::sum),
                    Tensor(100.0)));
  Generator gen(2);
  const Tensor x = randn({5}, DType::Float64, &gen) * 3.0;
  const Tensor y = rand({5}, DType::Float64, &gen);
  EXPECT_TRUE(close(nn::binary_cross_entropy_with_logits(x, y),
                    nn::binary_cross_entropy(sigmoid(x), y), 1e-10));
  // Large logits stay finite where sigmoid saturates.
  const Tensor big = nn::binary_cross_entropy_with_logits(
      Tensor({1000.0, -1000.0}), Tensor({0.0, 1.0}), Reduction::none);
  EXPECT_TRUE(close(big, Tensor({1000.0, 1000.0})));
}

TEST(Losses, GradientsFlow) {
  Generator gen(3);
  const Tensor logits = randn({3, 4}, DType::Float64, &gen);
  const Tensor labels = from_vector(std::vector<int64_t>{3, 0, 1}, Shape{3});
  auto f = [&](const Tensor& z) { return nn::cross_entropy(z, labels); };
  // d/dz mean CE = (softmax(z) - onehot) / N.
  const Tensor expected =
      (softmax(logits, 1) - one_hot(labels, 4, DType::Float64)) / 3.0;
  EXPECT_TRUE(close(grad(f)(logits), expected, 1e-12));
  auto g = [](const Tensor& z) {
    return nn::binary_cross_entropy_with_logits(z, Tensor({1.0, 0.0}),
                                                Reduction::sum);
  };
  EXPECT_TRUE(close(grad(g)(Tensor({0.0, 0.0})), Tensor({-0.5, 0.5}), 1e-6));
}

}  // namespace
}  // namespace fnx
