// Per-sample gradients with vmap(grad(...)), in C++.
//
// Mirrors the torch.func tutorial "Per-sample-gradients"
// (https://pytorch.org/tutorials/intermediate/per_sample_grads.html):
// a small CNN classifier, a loss written for ONE example, grad of that loss
// with respect to the model's parameters (through functional_call), and
// vmap over the batch to get one gradient per example in a single call.
// The result is checked against a plain loop of per-example grad calls.
//
// Run: bazel run //examples:per_sample_grads
#include <cstdint>
#include <iostream>
#include <memory>
#include <utility>
#include <vector>

#include "fnx.h"

using namespace fnx;

namespace {

// The tutorial's SimpleCNN, shrunk so the example runs in a blink:
// conv -> relu -> conv -> relu -> max_pool -> flatten -> linear -> relu ->
// linear, on 1x12x12 "images" with 10 classes. float64 so that the vmap
// result and the loop agree to ~1e-12.
class SimpleCnn : public nn::Module {
 public:
  explicit SimpleCnn(Generator& gen) : Module("SimpleCnn") {
    const nn::Conv2dOptions conv_options{.dtype = DType::Float64};
    const nn::LinearOptions linear_options{.dtype = DType::Float64};
    conv1_ = register_module(
        "conv1",
        std::make_shared<nn::Conv2d>(1, 4, Shape{3, 3}, gen, conv_options));
    conv2_ = register_module(
        "conv2",
        std::make_shared<nn::Conv2d>(4, 8, Shape{3, 3}, gen, conv_options));
    fc1_ = register_module("fc1", std::make_shared<nn::Linear>(
                                      8 * 4 * 4, 16, gen, linear_options));
    fc2_ = register_module(
        "fc2", std::make_shared<nn::Linear>(16, 10, gen, linear_options));
  }

  // x: (N, 1, 12, 12) -> logits (N, 10).
  Tensor forward(const Tensor& x) override {
    Tensor h = relu((*conv1_)(x));          // (N, 4, 10, 10)
    h = relu((*conv2_)(h));                 // (N, 8, 8, 8)
    h = max_pool2d(h, {.kernel = {2, 2}});  // (N, 8, 4, 4)
    h = flatten(h, 1);                      // (N, 128)
    return (*fc2_)(relu((*fc1_)(h)));       // (N, 10)
  }

 private:
  std::shared_ptr<nn::Conv2d> conv1_, conv2_;
  std::shared_ptr<nn::Linear> fc1_, fc2_;
};

// Largest |a - b| over all elements; infinity when the shapes differ.
double max_abs_diff(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape()) return 1e300;
  return amax(abs(a - b)).item<double>();
}

}  // namespace

int main() {
  constexpr int64_t kBatch = 8;
  Generator gen(0);
  SimpleCnn model(gen);
  const Tensor data = randn({kBatch, 1, 12, 12}, DType::Float64, &gen);
  const Tensor targets = randint(0, 10, {kBatch}, DType::Int64, &gen);

  // torch.func works on functions, not modules: take the parameters out
  // as a ParamDict and call the module through functional_call with them.
  const ParamDict params = model.named_parameters();
  const ParamDict buffers = model.named_buffers();  // none here, as in torch

  // The loss of ONE example. The model expects a batch, so the example is
  // made a batch of one with unsqueeze, exactly as in the tutorial.
  auto compute_loss = [&model](const ParamDict& p, const ParamDict& b,
                               const Tensor& sample, const Tensor& target) {
    const Tensor batch = unsqueeze(sample, 0);
    const Tensor batch_targets = unsqueeze(target, 0);
    const Tensor logits = nn::functional_call(model, std::pair{p, b}, batch);
    return nn::cross_entropy(logits, batch_targets);
  };

  // grad differentiates w.r.t. the first argument (the ParamDict) and
  // returns a ParamDict of the same structure. vmap maps it over the batch
  // dim of the data and targets; params and buffers are shared (none).
  auto ft_compute_sample_grad = vmap(grad(compute_loss), {none, none, 0, 0});
  const ParamDict per_sample =
      ft_compute_sample_grad(params, buffers, data, targets);

  std::cout << "Per-sample gradients of a small CNN, batch of " << kBatch
            << ", in one vmap(grad(loss)) call\n"
            << "(each gradient: the batch dim, then the parameter's shape):\n";
  for (const auto& [name, g] : per_sample) {
    std::cout << "  " << name << ": " << shape_str(g.shape()) << "\n";
  }

  // The reference: one grad call per example, stacked per parameter.
  std::vector<ParamDict> loop_grads;
  for (int64_t i = 0; i < kBatch; ++i) {
    loop_grads.push_back(
        grad(compute_loss)(params, buffers, data[i], targets[i]));
  }
  bool ok = true;
  double worst = 0.0;
  for (const auto& [name, g] : per_sample) {
    std::vector<Tensor> rows;
    for (const ParamDict& gi : loop_grads) rows.push_back(gi.at(name));
    const double diff = max_abs_diff(g, stack(rows));
    worst = diff > worst ? diff : worst;
    if (diff > 1e-10) {
      std::cout << "MISMATCH: per-sample gradient of " << name
                << " differs from the per-example loop by " << diff << "\n";
      ok = false;
    }
  }
  std::cout << "max |vmap(grad) - loop of grad| over all parameters: " << worst
            << "\n";

  // A second sanity check: the mean of the per-sample gradients is the
  // gradient of the mean loss over the batch (cross_entropy's default).
  auto batch_loss = [&model](const ParamDict& p, const Tensor& x,
                             const Tensor& t) {
    return nn::cross_entropy(nn::functional_call(model, p, x), t);
  };
  const ParamDict batch_grad = grad(batch_loss)(params, data, targets);
  double worst_mean = 0.0;
  for (const auto& [name, g] : batch_grad) {
    const double diff = max_abs_diff(per_sample.at(name).mean({0}), g);
    worst_mean = diff > worst_mean ? diff : worst_mean;
  }
  std::cout << "max |mean of per-sample grads - grad of batch loss|: "
            << worst_mean << "\n";
  if (worst_mean > 1e-10) {
    std::cout << "MISMATCH: the mean of the per-sample gradients is not the "
                 "batch gradient\n";
    ok = false;
  }

  if (!ok) return 1;
  std::cout << "OK: per-sample gradients match the loop\n";
  return 0;
}
