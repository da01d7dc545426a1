// AdamW, RMSprop, Adagrad, gradient-norm clipping and the LR schedules:
// update rules against hand computations of torch's formulas, and errors.
#include <cmath>
#include <limits>

#include "fnx.h"
#include "gtest/gtest.h"
#include "nn/lr_schedule.h"
#include "nn/optim.h"
#include "tests/testing/transform_test_util.h"

namespace fnx {
namespace {

using testing::close;
using testing::throws_with;

TEST(AdamW, DecaysParametersDirectly) {
  nn::AdamW opt({.lr = 0.1, .weight_decay = 0.5});
  const ParamDict p{{"w", Tensor({2.0})}};
  const ParamDict g{{"w", Tensor({1.0})}};
  // w (1 - lr wd) - lr sign(g) on the first step: 2 * 0.95 - 0.1.
  EXPECT_TRUE(close(opt.step(p, g).at("w"), Tensor({1.8}), 1e-6));
}

TEST(RMSprop, PlainCenteredAndMomentum) {
  const ParamDict p{{"w", Tensor({1.0})}};
  const ParamDict g{{"w", Tensor({2.0})}};
  nn::RMSprop plain({.lr = 0.1, .alpha = 0.9, .eps = 0});
  // v = 0.1 * 4: step 2 / sqrt(0.4).
  EXPECT_TRUE(close(plain.step(p, g).at("w"),
                    Tensor({1.0 - 0.1 * 2 / std::sqrt(0.4)}), 1e-6));
  nn::RMSprop centered({.lr = 0.1, .alpha = 0.9, .eps = 0, .centered = true});
  // v - mean^2 = 0.4 - 0.04.
  EXPECT_TRUE(close(centered.step(p, g).at("w"),
                    Tensor({1.0 - 0.1 * 2 / std::sqrt(0.36)}), 1e-6));
  nn::RMSprop momentum({.lr = 0.1, .alpha = 0.9, .eps = 0, .momentum = 0.5});
  ParamDict q = momentum.step(p, g);
  const double d1 = 2 / std::sqrt(0.4);
  const double v2 = 0.9 * 0.4 + 0.1 * 4;
  const double d2 = 0.5 * d1 + 2 / std::sqrt(v2);
  q = momentum.step(q, g);
  EXPECT_TRUE(close(q.at("w"), Tensor({1.0 - 0.1 * d1 - 0.1 * d2}), 1e-6));
}

TEST(Adagrad, AccumulatesAndDecays) {
  nn::Adagrad opt({.lr = 1.0, .lr_decay = 1.0, .eps = 0});
  ParamDict p{{"w", Tensor({0.0})}};
  const ParamDict g{{"w", Tensor({3.0})}};
  p = opt.step(p, g);  // sum 9: step 3 / 3 = 1
  EXPECT_TRUE(close(p.at("w"), Tensor({-1.0}), 1e-6));
  p = opt.step(p, g);  // sum 18, lr 1 / 2: step 0.5 * 3 / sqrt(18)
  EXPECT_TRUE(close(p.at("w"), Tensor({-1.0 - 1.5 / std::sqrt(18.0)}), 1e-6));
  opt.set_lr(0.5);
  EXPECT_EQ(opt.lr(), 0.5);
  EXPECT_TRUE(throws_with([&] { opt.set_lr(-1); }, "[nn.Adagrad]"));
}

TEST(ClipGradNorm, ScalesToMaxNormAndReturnsTheTotal) {
  ParamDict g{{"a", Tensor({3.0})}, {"b", Tensor({4.0})}};
  const Tensor total = nn::clip_grad_norm_(g, 1.0);
  EXPECT_NEAR(total.item<double>(), 5.0, 1e-6);
  EXPECT_TRUE(close(g.at("a"), Tensor({3.0 / (5.0 + 1e-6)}), 1e-6));
  // Below max_norm nothing changes; the inf norm is the largest magnitude.
  ParamDict small{{"a", Tensor({0.1, -0.2})}};
  EXPECT_NEAR(
      nn::clip_grad_norm_(small, 1.0, std::numeric_limits<double>::infinity())
          .item<double>(),
      0.2, 1e-6);
  EXPECT_TRUE(close(small.at("a"), Tensor({0.1, -0.2}), 1e-6));
  EXPECT_TRUE(throws_with([&] { nn::clip_grad_norm_(g, -1.0); },
                          "[nn.clip_grad_norm_]"));
}

TEST(LrSchedule, StepCosineAndWarmup) {
  const nn::LrSchedule step = nn::step_lr(1.0, 10, 0.5);
  EXPECT_DOUBLE_EQ(step(9), 1.0);
  EXPECT_DOUBLE_EQ(step(10), 0.5);
  EXPECT_DOUBLE_EQ(step(25), 0.25);
  const nn::LrSchedule cosine = nn::cosine_lr(1.0, 100, 0.1);
  EXPECT_DOUBLE_EQ(cosine(0), 1.0);
  EXPECT_NEAR(cosine(50), 0.55, 1e-12);
  EXPECT_DOUBLE_EQ(cosine(100), 0.1);
  const nn::LrSchedule warm = nn::linear_warmup(cosine, 4);
  EXPECT_DOUBLE_EQ(warm(0), 0.25 * cosine(0));
  EXPECT_DOUBLE_EQ(warm(3), cosine(3));
  EXPECT_DOUBLE_EQ(warm(50), cosine(50));
  EXPECT_TRUE(throws_with([] { nn::step_lr(1.0, 0); }, "[nn.step_lr]"));
  // Driving an optimizer.
  nn::SGD opt({.lr = 1.0});
  opt.set_lr(warm(0));
  EXPECT_DOUBLE_EQ(opt.lr(), 0.25);
}

}  // namespace
}  // namespace fnx
