// Training an ensemble at once: stacked state (stack_module_state), the
// loss of every model via vmap over functional_call, gradients via
// grad(vmap), and one Adam on the stacked ParamDict. Matches training each
// model on its own, and every model's loss decreases.
#include <memory>
#include <utility>
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

std::shared_ptr<nn::Module> mlp(Generator& gen) {
  const nn::LinearOptions f64{.dtype = DType::Float64};
  return std::make_shared<nn::Sequential>(
      std::vector<std::shared_ptr<nn::Module>>{
          std::make_shared<nn::Linear>(1, 16, gen, f64),
          std::make_shared<nn::Tanh>(),
          std::make_shared<nn::Linear>(16, 1, gen, f64)});
}

TEST(EnsembleTraining, StackedTrainingMatchesPerModelTraining) {
  constexpr int kModels = 4;
  Generator gen(1);
  std::vector<std::shared_ptr<nn::Module>> models;
  for (int i = 0; i < kModels; ++i) models.push_back(mlp(gen));
  const Tensor x = linspace(-2, 2, 32, DType::Float64).unsqueeze(1);
  const Tensor y = sin(x * 1.5);
  nn::Module& base = *models[0];

  // One model's loss, and the ensemble's (summed: each model's gradient is
  // its own loss's gradient).
  auto loss = [&](const ParamDict& p, const ParamDict& b) {
    return nn::mse_loss(nn::functional_call(base, std::pair{p, b}, x), y);
  };
  auto per_model_losses = [&](const ParamDict& p, const ParamDict& b) {
    return vmap(loss, {0, 0})(p, b);
  };
  auto total = [&](const ParamDict& p, const ParamDict& b) {
    return per_model_losses(p, b).sum();
  };

  auto [params, buffers] = nn::stack_module_state(models);
  std::vector<ParamDict> singles;
  for (auto& m : models) singles.push_back(m->named_parameters());
  const ParamDict no_buffers;

  nn::Adam stacked_opt({.lr = 0.02});
  std::vector<nn::Adam> single_opts(kModels, nn::Adam({.lr = 0.02}));
  const Tensor first = per_model_losses(params, buffers);
  for (int step = 0; step < 150; ++step) {
    params = stacked_opt.step(params, grad(total)(params, buffers));
    if (step < 3) {
      for (int i = 0; i < kModels; ++i) {
        singles[i] =
            single_opts[i].step(singles[i], grad(loss)(singles[i], no_buffers));
        for (const auto& [k, t] : singles[i]) {
          EXPECT_TRUE(close(params.at(k)[i], t, 1e-10))
              << "step " << step << " model " << i << " " << k;
        }
      }
    }
  }
  const Tensor last = per_model_losses(params, buffers);
  ASSERT_EQ(last.shape(), (Shape{kModels}));
  for (int i = 0; i < kModels; ++i) {
    EXPECT_LT(last[i].item<double>(), 0.2 * first[i].item<double>())
        << "model " << i;
  }
}

}  // namespace
}  // namespace fnx
