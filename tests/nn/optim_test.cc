// Optimizers on ParamDicts and on modules: update rules against hand
// computations, and a small regression whose loss decreases.
#include <memory>
#include <vector>

#include "fnx.h"
#include "gtest/gtest.h"
#include "nn/functional_call.h"
#include "nn/layers.h"
#include "nn/optim.h"
#include "tests/testing/transform_test_util.h"

namespace fnx {
namespace {

using testing::close;
using testing::throws_with;

TEST(SGD, MomentumAndWeightDecayRule) {
  nn::SGD opt({.lr = 0.1, .momentum = 0.9, .weight_decay = 0.5});
  ParamDict p{{"w", Tensor({1.0, 2.0})}};
  const ParamDict g{{"w", Tensor({1.0, -1.0})}};
  // Step 1: d = g + 0.5 w = (1.5, 0); buf = d; w -= 0.1 d.
  p = opt.step(p, g);
  EXPECT_TRUE(close(p.at("w"), Tensor({0.85, 2.0})));
  // Step 2: d = g + 0.5 w = (1.425, 0); buf = 0.9 (1.5, 0) + d.
  p = opt.step(p, g);
  EXPECT_TRUE(close(p.at("w"), Tensor({0.85 - 0.1 * (1.35 + 1.425), 2.0})));
}

TEST(Adam, FirstStepMovesByLr) {
  nn::Adam opt({.lr = 0.01});
  const ParamDict p{{"w", Tensor({1.0, 2.0, 3.0})}};
  const ParamDict g{{"w", Tensor({0.5, -3.0, 0.0})}};
  // Bias-corrected first step: lr * sign(g) (0 where g is 0).
  EXPECT_TRUE(close(opt.step(p, g).at("w"), Tensor({0.99, 2.01, 3.0}), 1e-6));
}

TEST(Optim, GradientErrors) {
  nn::SGD opt({.lr = 0.1});
  const ParamDict p{{"w", Tensor({1.0})}};
  EXPECT_TRUE(throws_with([&] { opt.step(p, ParamDict{{"v", Tensor({1.0})}}); },
                          "gradient for \"v\""));
  EXPECT_TRUE(throws_with(
      [&] { opt.step(p, ParamDict{{"w", Tensor({1.0, 2.0})}}); },
      "has shape [2]"));
  // No gradient: the parameter stays.
  EXPECT_TRUE(equal(opt.step(p, ParamDict{}).at("w"), p.at("w")));
}

double value(const Tensor& t) { return t.item<double>(); }

// Fits y = 3 x0 - 2 x1 + 1 with a Linear layer, functionally and in place:
// the final loss is under 5% of the first (and, when `monotone`, every step
// lowers it).
template <typename Opt>
void check_regression_loss_decreases(Opt opt, int steps, bool monotone) {
  Generator gen(9);
  nn::Linear model(2, 1, gen);
  const Tensor x = randn({32, 2}, DType::Float32, &gen);
  const Tensor y =
      (x.select(1, 0) * 3.0 - x.select(1, 1) * 2.0 + 1.0).unsqueeze(1);
  auto loss = [&](const ParamDict& p) -> Tensor {
    return mse_loss(nn::functional_call(model, p, x), y);
  };
  ParamDict params = model.named_parameters();
  const double first = value(loss(params));
  double last = first;
  for (int i = 0; i < steps; ++i) {
    params = opt.step(params, grad(loss)(params));
    const double now = value(loss(params));
    if (monotone) {
      EXPECT_LT(now, last) << "step " << i;
    }
    last = now;
  }
  EXPECT_LT(last, 0.05 * first);
  // The module form writes the module's parameters (in place: copy first).
  ParamDict before = model.named_parameters();
  for (auto& [k, t] : before) t = clone(t);
  opt.step(model, grad(loss)(model.named_parameters()));
  EXPECT_LT(value(loss(model.named_parameters())),
            value(loss(before)));
}

TEST(Optim, SgdRegressionLossDecreases) {
  // Plain gradient descent with a small step decreases at every step;
  // with momentum it oscillates but ends lower.
  check_regression_loss_decreases(nn::SGD({.lr = 0.1}), 60, true);
  check_regression_loss_decreases(nn::SGD({.lr = 0.05, .momentum = 0.9}), 60,
                                  false);
}

TEST(Optim, AdamRegressionLossDecreases) {
  check_regression_loss_decreases(nn::Adam({.lr = 0.1}), 150, false);
}

TEST(Optim, AdamWDecaysWeights) {
  nn::Adam opt({.lr = 0.1, .weight_decay = 0.5,
                .decoupled_weight_decay = true});
  const ParamDict p{{"w", Tensor({2.0})}};
  // Zero gradient: only the decay acts, w (1 - lr wd).
  EXPECT_TRUE(close(opt.step(p, ParamDict{{"w", Tensor({0.0})}}).at("w"),
                    Tensor({1.9})));
}

}  // namespace
}  // namespace fnx
