#include "tools/demos/dpsgd_demo.h"

#include <algorithm>
#include <memory>
#include <numeric>
#include <random>
#include <string>

#include "core/generator.h"
#include "core/ops/ops.h"
#include "core/param_dict.h"
#include "core/shape.h"
#include "core/str_cat.h"
#include "core/tensor.h"
#include "nn/functional_call.h"
#include "nn/layers.h"
#include "nn/losses.h"
#include "nn/optim.h"
#include "tools/demos/demo_util.h"
#include "tools/demos/dp_sgd.h"
#include "tools/demos/privacy.h"
#include "transforms/grad/grad.h"
#include "transforms/vmap/vmap.h"

namespace fnx::demos {
namespace {

nn::Sequential make_model(const DpsgdConfig& config, Generator& gen) {
  if (!config.cnn) {
    return nn::Sequential(
        {std::make_shared<nn::Linear>(64, config.hidden, gen),
         std::make_shared<nn::ReLU>(),
         std::make_shared<nn::Linear>(config.hidden, 10, gen)});
  }
  return nn::Sequential(
      {std::make_shared<nn::Conv2d>(1, 8, Shape{3, 3}, gen,
                                    nn::Conv2dOptions{.padding = {1, 1}}),
       std::make_shared<nn::ReLU>(),
       std::make_shared<nn::MaxPool2d>(Shape{2, 2}),
       std::make_shared<nn::Flatten>(),
       std::make_shared<nn::Linear>(8 * 4 * 4, 10, gen)});
}

// The model's logits for images (n, 64): the CNN sees them as (n, 1, 8, 8).
Tensor logits(nn::Module& net, const ParamDict& p, const Tensor& x,
              const DpsgdConfig& config) {
  const Tensor input = config.cnn ? x.reshape({x.size(0), 1, 8, 8}) : x;
  return nn::functional_call(net, p, input);
}

double accuracy(nn::Module& net, const ParamDict& params, const Digits& d,
                const DpsgdConfig& config) {
  const Tensor out = logits(net, params, d.images, config);
  const Tensor hits = cast(argmax(out, 1) == d.labels, DType::Float32);
  return hits.mean().to_vector()[0];
}

TrainingRun train(bool is_private, const DpsgdConfig& config,
                  const DigitsSplit& data, std::ostream& out) {
  Generator gen(config.seed);
  nn::Sequential net = make_model(config, gen);
  ParamDict params = net.named_parameters();
  nn::SGD opt({.lr = config.lr});
  auto batch_loss = [&](const ParamDict& p, const Tensor& x, const Tensor& y) {
    return nn::cross_entropy(logits(net, p, x, config), y);
  };
  auto sample_loss = [&](const ParamDict& p, const Tensor& x, const Tensor& y) {
    return batch_loss(p, x.unsqueeze(0), y.unsqueeze(0));
  };
  auto per_sample_grads = vmap(grad(sample_loss), {none, 0, 0});

  const int64_t n = data.train.labels.size(0);
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937 rng(static_cast<unsigned>(config.seed));
  TrainingRun run;
  for (int epoch = 0; epoch < config.epochs; ++epoch) {
    Stopwatch watch;
    std::shuffle(order.begin(), order.end(), rng);
    double loss_sum = 0;
    int batches = 0;
    for (int64_t begin = 0; begin < n; begin += config.batch_size) {
      const int64_t end = std::min(n, begin + config.batch_size);
      const std::vector<int64_t> ids(order.begin() + begin,
                                     order.begin() + end);
      const Tensor index = from_vector(ids, {end - begin});
      const Tensor x = index_select(data.train.images, 0, index);
      const Tensor y = index_select(data.train.labels, 0, index);
      loss_sum += batch_loss(params, x, y).to_vector()[0];
      ++batches;
      const ParamDict g = is_private ? privatize(per_sample_grads(params, x, y),
                                                 end - begin, config.clip_norm,
                                                 config.noise_multiplier, gen)
                                     : grad(batch_loss)(params, x, y);
      params = opt.step(params, g);
    }
    run.epoch_losses.push_back(loss_sum / batches);
    run.test_accuracy = accuracy(net, params, data.test, config);
    out << "  epoch " << (epoch + 1) << "/" << config.epochs << "  train loss "
        << fixed(run.epoch_losses.back()) << "  test accuracy "
        << fixed(run.test_accuracy) << "  (" << format_seconds(watch.seconds())
        << ")\n";
  }
  return run;
}

}  // namespace

DpsgdResult run_dpsgd_demo(const DpsgdConfig& config, const DigitsSplit& data,
                           std::ostream& out) {
  out << "# dpsgd: differentially private SGD on the UCI digits\n"
      << (config.cnn ? std::string("CNN (conv 3x3, 8 channels -> ReLU -> "
                                   "max-pool 2 -> linear 128 -> 10)")
                     : str_cat("MLP 64 -> ", config.hidden, " -> 10"))
      << ", " << data.train.labels.size(0) << " training and "
      << data.test.labels.size(0) << " test images, batch " << config.batch_size
      << ", SGD lr " << config.lr << ", " << config.epochs << " epochs.\n"
      << "DP-SGD: per-sample gradients with vmap(grad(loss), {none, 0, 0}), "
         "each clipped to norm C = "
      << config.clip_norm
      << ", summed, Gaussian noise of std sigma * C (sigma = "
      << config.noise_multiplier << ") added, divided by the batch size.\n\n";
  Stopwatch watch;
  DpsgdResult result;
  out << "private training (DP-SGD):\n";
  result.private_run = train(true, config, data, out);
  const double t_private = watch.seconds();
  const int64_t n = data.train.labels.size(0);
  const int steps_per_epoch =
      static_cast<int>((n + config.batch_size - 1) / config.batch_size);
  result.epsilon = dp_epsilon(
      static_cast<double>(config.batch_size) / static_cast<double>(n),
      config.noise_multiplier, config.epochs * steps_per_epoch, config.delta);
  out << "privacy spent: epsilon = " << fixed(result.epsilon, 2)
      << " at delta = " << config.delta
      << " (RDP accountant of the subsampled Gaussian mechanism, sampling "
         "rate batch / n; the batches here are shuffled rather than "
         "Poisson-sampled, the usual approximation)\n";
  watch.reset();
  out << "non-private training (same model, same SGD):\n";
  result.non_private_run = train(false, config, data, out);
  out << "\ntest accuracy: private " << fixed(result.private_run.test_accuracy)
      << " (" << format_seconds(t_private) << "), non-private "
      << fixed(result.non_private_run.test_accuracy) << " ("
      << format_seconds(watch.seconds()) << ")\nthe private model is "
      << "(" << fixed(result.epsilon, 2) << ", " << config.delta
      << ")-differentially private with respect to the training set\n";
  return result;
}

}  // namespace fnx::demos
