// MAML on sine-wave regression (functorch's maml_regression, short): the
// inner SGD step is differentiated through (grad of grad), tasks are
// batched with vmap. The vmapped meta-gradient equals the loop over tasks,
// and meta-training lowers the loss after one adaptation step.
#include <cmath>
#include <memory>
#include <vector>

#include "fnx.h"
#include "gtest/gtest.h"
#include "nn/functional_call.h"
#include "nn/layers.h"
#include "nn/losses.h"
#include "nn/optim.h"
#include "tests/testing/transform_test_util.h"

namespace fnx {
namespace {

using testing::close;

constexpr double kInnerLr = 0.05;

struct Tasks {
  Tensor xs, ys, xq, yq;  // (tasks, points, 1)
};

// Sine waves with random amplitude and phase; support and query points.
Tasks sample_tasks(int64_t n, Generator& gen) {
  const Tensor amp = uniform({n, 1, 1}, 0.5, 2.0, DType::Float64, &gen);
  const Tensor phase = uniform({n, 1, 1}, 0.0, M_PI, DType::Float64, &gen);
  const Tensor xs = uniform({n, 10, 1}, -5.0, 5.0, DType::Float64, &gen);
  const Tensor xq = uniform({n, 10, 1}, -5.0, 5.0, DType::Float64, &gen);
  return {xs, amp * sin(xs + phase), xq, amp * sin(xq + phase)};
}

TEST(Maml, VmappedMetaGradientMatchesLoopAndTrainingHelps) {
  Generator gen(1);
  const nn::LinearOptions f64{.dtype = DType::Float64};
  nn::Sequential net({std::make_shared<nn::Linear>(1, 32, gen, f64),
                      std::make_shared<nn::ReLU>(),
                      std::make_shared<nn::Linear>(32, 32, gen, f64),
                      std::make_shared<nn::ReLU>(),
                      std::make_shared<nn::Linear>(32, 1, gen, f64)});
  auto loss = [&](const ParamDict& p, const Tensor& x, const Tensor& y) {
    return nn::mse_loss(nn::functional_call(net, p, x), y);
  };
  // One differentiable SGD step on the support set, loss on the query set.
  auto adapted_loss = [&](const ParamDict& p, const Tensor& xs,
                          const Tensor& ys, const Tensor& xq,
                          const Tensor& yq) {
    const ParamDict g = grad(loss)(p, xs, ys);
    ParamDict fast;
    for (const auto& [k, t] : p) fast.insert_or_assign(k, t - g.at(k) * kInnerLr);
    return loss(fast, xq, yq);
  };
  auto meta_loss = [&](const ParamDict& p, const Tasks& t) {
    return vmap(adapted_loss, {none, 0, 0, 0, 0})(p, t.xs, t.ys, t.xq, t.yq)
        .mean();
  };

  ParamDict params = net.named_parameters();
  {
    const Tasks t = sample_tasks(3, gen);
    const ParamDict batched = grad(meta_loss)(params, t);
    for (const auto& [k, g] : batched) {
      Tensor looped = zeros_like(g);
      for (int64_t i = 0; i < 3; ++i) {
        looped = looped + grad(adapted_loss)(params, t.xs[i], t.ys[i],
                                             t.xq[i], t.yq[i])
                              .at(k) / 3.0;
      }
      EXPECT_TRUE(close(g, looped, 1e-10)) << k;
    }
  }

  Generator eval_gen(99);
  const Tasks eval = sample_tasks(16, eval_gen);
  const double before = meta_loss(params, eval).item<double>();
  nn::Adam opt({.lr = 1e-2});
  for (int step = 0; step < 60; ++step) {
    const Tasks t = sample_tasks(8, gen);
    params = opt.step(params, grad(meta_loss)(params, t));
  }
  const double after = meta_loss(params, eval).item<double>();
  EXPECT_LT(after, 0.8 * before) << "before " << before << " after " << after;
}

}  // namespace
}  // namespace fnx
