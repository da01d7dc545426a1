// smooth_l1, huber, kl_div, cosine_embedding and margin_ranking losses
// against direct computations (torch's formulas), their gradients against
// finite differences, per-example use under vmap, and their errors.
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
using testing::f64;
using testing::throws_with;

TEST(MoreLosses, SmoothL1AndHuber) {
  const Tensor x = f64({0.0, 0.5, 3.0, -2.0}), t = f64({0.2, 0.0, 0.0, 0.0});
  // |d| = 0.2, 0.5, 3, 2 with beta = 1: 0.02, 0.125, 2.5, 1.5.
  EXPECT_TRUE(close(nn::smooth_l1_loss(x, t, Reduction::none),
                    f64({0.02, 0.125, 2.5, 1.5}), 1e-12));
  EXPECT_TRUE(close(nn::smooth_l1_loss(x, t, Reduction::sum, 0.0),
                    f64({5.7}).reshape({}), 1e-12));
  // huber with delta 2: 0.02, 0.125, 2 (3 - 1) = 4, 0.5 * 4 = 2.
  EXPECT_TRUE(close(nn::huber_loss(x, t, Reduction::none, 2.0),
                    f64({0.02, 0.125, 4.0, 2.0}), 1e-12));
  // huber(delta) = delta * smooth_l1(beta = delta).
  EXPECT_TRUE(close(nn::huber_loss(x, t, Reduction::mean, 2.0),
                    2.0 * nn::smooth_l1_loss(x, t, Reduction::mean, 2.0),
                    1e-12));
  EXPECT_TRUE(throws_with([&] { nn::huber_loss(x, t, Reduction::mean, 0.0); },
                          "[nn.huber_loss]"));
}

TEST(MoreLosses, KlDivAndBatchmean) {
  const Tensor logp =
      log_softmax(f64({0.1, 0.5, -0.3, 1.0, 0.0, 0.2}, {2, 3}), 1);
  const Tensor q = f64({0.2, 0.8, 0.0, 0.5, 0.25, 0.25}, {2, 3});
  double total = 0;
  const std::vector<double> lp = logp.to_vector(), qv = q.to_vector();
  for (int i = 0; i < 6; ++i) {
    if (qv[i] > 0) total += qv[i] * (std::log(qv[i]) - lp[i]);
  }
  EXPECT_NEAR(nn::kl_div(logp, q, Reduction::sum).item<double>(), total, 1e-12);
  EXPECT_NEAR(nn::kl_div(logp, q, Reduction::batchmean).item<double>(),
              total / 2, 1e-12);
  // With log targets (a zero probability is a -inf log: 0 contribution).
  const Tensor logq = log(where(q > 0.0, q, ones_like(q)));
  const Tensor q_pos = f64({0.2, 0.8, 1e-300, 0.5, 0.25, 0.25}, {2, 3});
  EXPECT_NEAR(nn::kl_div(logp, log(q_pos), Reduction::sum, true).item<double>(),
              nn::kl_div(logp, q_pos, Reduction::sum).item<double>(), 1e-12);
  // The gradient in the input is -target (also where the target is 0).
  const Tensor g = grad(
      [&](const Tensor& x) { return nn::kl_div(x, q, Reduction::sum); })(logp);
  EXPECT_TRUE(close(g, -q, 1e-12));
  (void)logq;
}

TEST(MoreLosses, CosineEmbeddingAndMarginRanking) {
  const Tensor a = f64({1.0, 0.0, 1.0, 1.0}, {2, 2});
  const Tensor b = f64({1.0, 0.0, -1.0, 1.0}, {2, 2});
  const Tensor y = f64({1.0, -1.0});
  // cos = 1 and 0: losses 1 - 1 = 0 and max(0, 0 - (-0.5)) = 0.5.
  EXPECT_TRUE(close(nn::cosine_embedding_loss(a, b, y, Reduction::none, -0.5),
                    f64({0.0, 0.5}), 1e-12));
  EXPECT_TRUE(throws_with([&] { nn::cosine_embedding_loss(a, b, f64({1.0})); },
                          "[nn.cosine_embedding_loss]"));
  // max(0, -y (x1 - x2) + margin).
  EXPECT_TRUE(
      close(nn::margin_ranking_loss(f64({1.0, 2.0}), f64({2.0, 0.0}),
                                    f64({1.0, 1.0}), Reduction::none, 0.5),
            f64({1.5, 0.0}), 1e-12));
  EXPECT_TRUE(close(cosine_similarity(a, b), f64({1.0, 0.0}), 1e-12));
  // A zero vector has similarity 0, not NaN.
  EXPECT_TRUE(close(cosine_similarity(f64({0.0, 0.0}), f64({1.0, 0.0}), 0),
                    f64({0.0}).reshape({}), 1e-12));
}

TEST(MoreLosses, GradientsMatchFiniteDifferencesUnderVmap) {
  Generator gen(3);
  const Tensor x = randn({4, 3}, DType::Float64, &gen);
  const Tensor t = randn({4, 3}, DType::Float64, &gen);
  auto per_example = [&](const Tensor& xi, const Tensor& ti) {
    return nn::smooth_l1_loss(xi, ti, Reduction::sum, 0.7) +
           nn::huber_loss(xi, ti, Reduction::sum, 0.3);
  };
  const Tensor g = vmap(grad(per_example))(x, t);
  const double h = 1e-6;
  const std::vector<double> xv = x.to_vector();
  for (int i = 0; i < 12; ++i) {
    std::vector<double> up = xv, down = xv;
    up[i] += h;
    down[i] -= h;
    const int row = i / 3;
    const double fd =
        (per_example(from_vector(up, {4, 3}, DType::Float64)[row], t[row]) -
         per_example(from_vector(down, {4, 3}, DType::Float64)[row], t[row]))
            .item<double>() /
        (2 * h);
    EXPECT_NEAR(g.to_vector()[i], fd, 1e-6);
  }
}

}  // namespace
}  // namespace fnx
