#include "tools/demos/ensemble_demo.h"

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "core/generator.h"
#include "core/ops/ops.h"
#include "core/param_dict.h"
#include "core/str_cat.h"
#include "core/tensor.h"
#include "nn/functional_call.h"
#include "nn/layers.h"
#include "nn/losses.h"
#include "nn/optim.h"
#include "tools/demos/demo_util.h"
#include "transforms/grad/grad.h"
#include "transforms/vmap/vmap.h"

namespace fnx::demos {
namespace {

std::shared_ptr<nn::Module> mlp(Generator& gen) {
  return std::make_shared<nn::Sequential>(
      std::vector<std::shared_ptr<nn::Module>>{
          std::make_shared<nn::Linear>(1, 32, gen),
          std::make_shared<nn::Tanh>(),
          std::make_shared<nn::Linear>(32, 1, gen)});
}

std::string pad_left(int value, std::size_t width) {
  std::string s = std::to_string(value);
  return std::string(width > s.size() ? width - s.size() : 0, ' ') + s;
}

std::string summary(const Tensor& losses) {
  const std::vector<double> v = losses.to_vector();
  const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
  double mean = 0;
  for (double x : v) mean += x / v.size();
  return str_cat("mean ", fixed(mean, 4), "  min ", fixed(*lo, 4), "  max ",
                 fixed(*hi, 4));
}

}  // namespace

EnsembleResult run_ensemble_demo(const EnsembleConfig& config,
                                 std::ostream& out) {
  out << "# ensemble: " << config.models
      << " MLPs (1 -> 32 -> 1, tanh) trained at once on noisy sin(1.5 x)\n"
      << "stack_module_state stacks their parameters; vmap(loss, {0, 0}) "
         "gives every model's loss in one call; grad of the sum and one "
         "Adam (lr "
      << config.lr << ") update all of them.\n\n";
  Stopwatch total;
  Generator gen(7);
  std::vector<std::shared_ptr<nn::Module>> models;
  for (int i = 0; i < config.models; ++i) models.push_back(mlp(gen));
  const Tensor x = linspace(-3, 3, 64).unsqueeze(1);
  const Tensor y =
      sin(x * 1.5) + normal({64, 1}, 0.0, 0.1, DType::Float32, &gen);
  nn::Module& base = *models[0];

  auto forward = [&](const ParamDict& p, const ParamDict& b) {
    return nn::functional_call(base, std::pair{p, b}, x);
  };
  auto loss = [&](const ParamDict& p, const ParamDict& b) {
    return nn::mse_loss(forward(p, b), y);
  };
  auto per_model_losses = [&](const ParamDict& p, const ParamDict& b) {
    return vmap(loss, {0, 0})(p, b);
  };
  auto total_loss = [&](const ParamDict& p, const ParamDict& b) {
    return per_model_losses(p, b).sum();
  };

  auto [params, buffers] = nn::stack_module_state(models);
  EnsembleResult result;
  {
    std::vector<Tensor> looped;
    for (auto& m : models) looped.push_back(m->forward(x));
    result.stacked_vs_loop =
        max_abs_diff(vmap(forward, {0, 0})(params, buffers), stack(looped));
    out << "vmapped forward of the stacked models vs each model on its own: "
           "max difference "
        << result.stacked_vs_loop << "\n";
  }
  const Tensor first = per_model_losses(params, buffers);
  result.first_losses = first.to_vector();
  out << "step " << pad_left(0, 4) << "  loss " << summary(first) << "\n";
  nn::Adam opt({.lr = config.lr});
  Stopwatch watch;
  for (int step = 1; step <= config.steps; ++step) {
    params = opt.step(params, grad(total_loss)(params, buffers));
    if (step % config.log_every == 0 || step == config.steps) {
      out << "step " << pad_left(step, 4) << "  loss "
          << summary(per_model_losses(params, buffers)) << "  ("
          << format_seconds(watch.seconds()) << ")\n";
      watch.reset();
    }
  }
  result.last_losses = per_model_losses(params, buffers).to_vector();
  const Tensor mean_prediction =
      vmap(forward, {0, 0})(params, buffers).mean({0});
  result.ensemble_mean_loss = nn::mse_loss(mean_prediction, y).to_vector()[0];
  out << "\nloss of the ensemble's averaged prediction: "
      << fixed(result.ensemble_mean_loss, 4) << "\nensemble demo done in "
      << format_seconds(total.seconds()) << "\n";
  return result;
}

}  // namespace fnx::demos
