// Model ensembling with stack_module_state + vmap over models, in C++.
//
// Mirrors the torch.func tutorial "Model ensembling"
// (https://pytorch.org/tutorials/intermediate/ensembling.html): several
// models of the same architecture are combined into one "stacked" set of
// parameters (a leading dim of size num_models), and vmap runs all of them
// in one call, either
//   - on a different minibatch per model (in_dims 0 for the data), or
//   - on the same minibatch for every model (in_dims none for the data).
// Both are checked against a plain loop over the models.
//
// Run: bazel run //examples:model_ensembling
#include <cstdint>
#include <iostream>
#include <memory>
#include <utility>
#include <vector>

#include "fnx.h"

using namespace fnx;

namespace {

// The tutorial's SimpleMLP (784 -> 128 -> 128 -> 10), shrunk: flatten ->
// linear -> relu -> linear -> relu -> linear. float64 for tight checks.
class SimpleMlp : public nn::Module {
 public:
  explicit SimpleMlp(Generator& gen) : Module("SimpleMlp") {
    const nn::LinearOptions options{.dtype = DType::Float64};
    fc1_ = register_module("fc1",
                           std::make_shared<nn::Linear>(64, 32, gen, options));
    fc2_ = register_module("fc2",
                           std::make_shared<nn::Linear>(32, 32, gen, options));
    fc3_ = register_module("fc3",
                           std::make_shared<nn::Linear>(32, 10, gen, options));
  }

  // x: (N, 1, 8, 8) -> logits (N, 10).
  Tensor forward(const Tensor& x) override {
    Tensor h = flatten(x, 1);
    h = relu((*fc1_)(h));
    h = relu((*fc2_)(h));
    return (*fc3_)(h);
  }

 private:
  std::shared_ptr<nn::Linear> fc1_, fc2_, fc3_;
};

// Largest |a - b| over all elements; infinity when the shapes differ.
double max_abs_diff(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape()) return 1e300;
  return amax(abs(a - b)).item<double>();
}

}  // namespace

int main() {
  constexpr int64_t kNumModels = 10;
  constexpr int64_t kMinibatch = 16;
  Generator gen(0);

  // Ten independently initialised models of the same architecture.
  std::vector<std::shared_ptr<SimpleMlp>> models;
  for (int64_t i = 0; i < kNumModels; ++i) {
    models.push_back(std::make_shared<SimpleMlp>(gen));
  }

  // Option 1: a different minibatch per model; option 2: one shared one.
  const Tensor minibatches =
      randn({kNumModels, kMinibatch, 1, 8, 8}, DType::Float64, &gen);
  const Tensor minibatch = minibatches[0];

  // The references: a Python-style loop over the models.
  std::vector<Tensor> loop_different, loop_same;
  for (int64_t i = 0; i < kNumModels; ++i) {
    loop_different.push_back(models[i]->forward(minibatches[i]));
    loop_same.push_back(models[i]->forward(minibatch));
  }

  // stack_module_state: every parameter (and buffer) of the models stacked
  // on a new leading dim, e.g. fc1.weight becomes (10, 32, 64).
  const auto [params, buffers] = nn::stack_module_state(models);
  std::cout << "Stacked the state of " << kNumModels << " MLPs:\n";
  for (const auto& [name, p] : params) {
    std::cout << "  " << name << ": " << shape_str(p.shape()) << "\n";
  }

  // A function of (params, buffers, data) that runs ONE model. Any of the
  // models can serve as the "base": functional_call only borrows its
  // structure (torch uses a copy on the 'meta' device for the same reason).
  SimpleMlp& base_model = *models[0];
  auto fmodel = [&base_model](const ParamDict& p, const ParamDict& b,
                              const Tensor& x) {
    return nn::functional_call(base_model, std::pair{p, b}, x);
  };

  // Different minibatch per model: map over dim 0 of everything.
  const Tensor predictions_different =
      vmap(fmodel)(params, buffers, minibatches);
  // Same minibatch for every model: the data is not mapped (none).
  const Tensor predictions_same =
      vmap(fmodel, {0, 0, none})(params, buffers, minibatch);

  const double diff_different =
      max_abs_diff(predictions_different, stack(loop_different));
  const double diff_same = max_abs_diff(predictions_same, stack(loop_same));
  std::cout << "vmap over models, a different minibatch each: output "
            << shape_str(predictions_different.shape())
            << ", max |vmap - loop| = " << diff_different << "\n";
  std::cout << "vmap over models, the same minibatch for all:  output "
            << shape_str(predictions_same.shape())
            << ", max |vmap - loop| = " << diff_same << "\n";

  bool ok = true;
  if (diff_different > 1e-12) {
    std::cout << "MISMATCH: ensemble predictions on different minibatches\n";
    ok = false;
  }
  if (diff_same > 1e-12) {
    std::cout << "MISMATCH: ensemble predictions on the same minibatch\n";
    ok = false;
  }

  // Beyond the tutorial: the same trick trains an ensemble at once --
  // vmap(grad(loss)) over the stacked parameters gives every model's
  // gradient in one call.
  const Tensor labels = randint(0, 10, {kMinibatch}, DType::Int64, &gen);
  auto loss = [&base_model](const ParamDict& p, const Tensor& x,
                            const Tensor& y) {
    return nn::cross_entropy(nn::functional_call(base_model, p, x), y);
  };
  const ParamDict ensemble_grads =
      vmap(grad(loss), {0, none, none})(params, minibatch, labels);
  double worst_grad = 0.0;
  for (int64_t i = 0; i < kNumModels; ++i) {
    const ParamDict gi =
        grad(loss)(models[i]->named_parameters(), minibatch, labels);
    for (const auto& [name, g] : gi) {
      const double d = max_abs_diff(ensemble_grads.at(name)[i], g);
      worst_grad = d > worst_grad ? d : worst_grad;
    }
  }
  std::cout << "vmap(grad(loss)) over the ensemble: fc1.weight gradient "
            << shape_str(ensemble_grads.at("fc1.weight").shape())
            << ", max |vmap - loop| = " << worst_grad << "\n";
  if (worst_grad > 1e-12) {
    std::cout << "MISMATCH: ensemble gradients\n";
    ok = false;
  }

  if (!ok) return 1;
  std::cout << "OK: the vmapped ensemble matches the loop over models\n";
  return 0;
}
