// The torch.func per-sample-gradients tutorial CNN (conv 1->32 3x3, conv
// 32->64 3x3, max_pool 2, linear 9216->128, linear 128->10, log_softmax +
// nll_loss), shared by the benchmarks and the CUDA model tests so that they
// measure and check the same model.
#pragma once

#include <cmath>

#include "core/generator.h"
#include "core/ops/ops.h"
#include "core/param_dict.h"

namespace fnx::testing {

// Kaiming-uniform-like initialization, as torch's layers, from seed 0.
inline ParamDict cnn_params(Device device = {}) {
  Generator gen(0);
  auto init = [&](const Shape& shape, double fan_in) {
    const double bound = 1.0 / std::sqrt(fan_in);
    return uniform(shape, -bound, bound, DType::Float32, &gen, device);
  };
  return ParamDict{
      {"conv1.weight", init({32, 1, 3, 3}, 9)},
      {"conv1.bias", init({32}, 9)},
      {"conv2.weight", init({64, 32, 3, 3}, 288)},
      {"conv2.bias", init({64}, 288)},
      {"fc1.weight", init({128, 9216}, 9216)},
      {"fc1.bias", init({128}, 9216)},
      {"fc2.weight", init({10, 128}, 128)},
      {"fc2.bias", init({10}, 128)},
  };
}

// x: (N, 1, 28, 28) -> log-probabilities (N, 10).
inline Tensor cnn(const ParamDict& p, const Tensor& x) {
  Tensor h = relu(conv2d(x, p.at("conv1.weight"), p.at("conv1.bias")));
  h = relu(conv2d(h, p.at("conv2.weight"), p.at("conv2.bias")));
  h = max_pool2d(h, {.kernel = {2}});
  h = flatten(h, 1);
  h = relu(linear(h, p.at("fc1.weight"), p.at("fc1.bias")));
  h = linear(h, p.at("fc2.weight"), p.at("fc2.bias"));
  return log_softmax(h, 1);
}

// One example (1, 28, 28) with its class id (a 0-d int64).
inline Tensor example_loss(const ParamDict& p, const Tensor& sample,
                           const Tensor& target) {
  return nll_loss(cnn(p, unsqueeze(sample, 0)), unsqueeze(target, 0));
}

}  // namespace fnx::testing
