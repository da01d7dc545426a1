#include "tools/demos/seed_demo.h"

#include <memory>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/generator.h"
#include "core/ops/ops.h"
#include "core/param_dict.h"
#include "core/shape.h"
#include "core/tensor.h"
#include "nn/functional_call.h"
#include "nn/layers.h"
#include "tools/demos/demo_util.h"
#include "transforms/grad/grad.h"
#include "transforms/vmap/vmap.h"

namespace fnx::demos {
namespace {

void vmap_dot(std::ostream& out, Generator& gen, SeedResult& r) {
  out << "## 1. vmap(dot): batch a function written for one example\n";
  const Tensor x = randn({10, 100}, DType::Float32, &gen);
  const Tensor y = randn({10, 100}, DType::Float32, &gen);
  auto dot1 = [](const Tensor& a, const Tensor& b) { return dot(a, b); };
  Stopwatch watch;
  const Tensor batched = vmap(dot1)(x, y);
  const double t_vmap = watch.seconds();
  watch.reset();
  std::vector<Tensor> rows;
  for (int64_t i = 0; i < 10; ++i) rows.push_back(dot(x[i], y[i]));
  const Tensor looped = stack(rows);
  const double t_loop = watch.seconds();
  r.vmap_dot_vs_loop = max_abs_diff(batched, looped);
  out << "x, y: (10, 100); vmap(dot)(x, y) has shape [10] in one call ("
      << format_seconds(t_vmap) << "); a loop of 10 dots takes "
      << format_seconds(t_loop) << "; max difference " << r.vmap_dot_vs_loop
      << "\n";
  try {
    const Tensor d = dot(x, y);
    r.dot_error = "(no error)";
    out << "dot(x, y) = " << d.str() << " (unexpected: no error)\n\n";
  } catch (const Error& e) {
    r.dot_error = e.what();
    out << "without vmap, dot(x, y) on (10, 100) inputs throws:\n  " << e.what()
        << "\n\n";
  }
}

void grad_sin(std::ostream& out, SeedResult& r) {
  out << "## 2. grad of sin, and grad(grad(sin))\n";
  const Tensor x = from_vector(std::vector<double>{0.5}, {}, DType::Float64);
  auto f = [](const Tensor& t) { return sin(t); };
  const Tensor g = grad(f)(x);
  const Tensor gg = grad(grad(f))(x);
  r.grad_sin_error = max_abs_diff(g, cos(x));
  r.grad_grad_sin_error = max_abs_diff(gg, -sin(x));
  out << "x = 0.5: grad(sin)(x) = " << fixed(g.item<double>(), 6)
      << " (cos x = " << fixed(cos(x).item<double>(), 6)
      << "), grad(grad(sin))(x) = " << fixed(gg.item<double>(), 6)
      << " (-sin x = " << fixed(-sin(x).item<double>(), 6) << ")\n\n";
}

void per_sample_grads(std::ostream& out, Generator& gen, SeedResult& r) {
  out << "## 3. per-sample gradients: vmap(grad(loss), {none, 0, 0})\n";
  constexpr int64_t kBatch = 3;
  constexpr int64_t kFeatures = 5;
  auto model = [](const Tensor& feature_vec, const Tensor& weights) {
    return relu(dot(feature_vec, weights));
  };
  auto compute_loss = [&](const Tensor& weights, const Tensor& example,
                          const Tensor& target) {
    const Tensor y = model(example, weights);
    return square(y - target).mean();
  };
  const Tensor weights = randn({kFeatures}, DType::Float32, &gen);
  const Tensor examples = randn({kBatch, kFeatures}, DType::Float32, &gen);
  const Tensor targets = randn({kBatch}, DType::Float32, &gen);
  const Tensor batched =
      vmap(grad(compute_loss), {none, 0, 0})(weights, examples, targets);
  std::vector<Tensor> rows;
  for (int64_t i = 0; i < kBatch; ++i) {
    rows.push_back(grad(compute_loss)(weights, examples[i], targets[i]));
  }
  r.per_sample_vs_loop = max_abs_diff(batched, stack(rows));
  out << "relu(dot(feature_vec, weights)), MSE, batch 3, 5 features: "
         "gradients of shape (3, 5), one row per example:\n"
      << batched.str()
      << "\nmax difference to a loop of grad calls: " << r.per_sample_vs_loop
      << "\n\n";
}

void functional_call_example(std::ostream& out, Generator& gen, SeedResult& r) {
  out << "## 4. functional_call: a module as a function of its parameters\n";
  nn::Linear model(3, 3, gen);
  const Tensor x = randn({2, 3}, DType::Float32, &gen);
  const ParamDict params = model.named_parameters();
  r.functional_call_vs_forward =
      max_abs_diff(nn::functional_call(model, params, x), model(x));
  ParamDict zero_weight = params;
  zero_weight.insert_or_assign("weight", zeros({3, 3}));
  const Tensor bias_only = nn::functional_call(model, zero_weight, x);
  auto loss = [&](const ParamDict& p) {
    return nn::functional_call(model, p, x).sum();
  };
  const ParamDict g = grad(loss)(params);
  out << "functional_call(model, model.named_parameters(), x) equals "
         "model(x) (max difference "
      << r.functional_call_vs_forward
      << "); with a zero weight every row is the bias:\n"
      << bias_only.str()
      << "\ngrad over the ParamDict gives one gradient "
         "per parameter:";
  for (const auto& [name, t] : g)
    out << " " << name << " " << shape_str(t.shape());
  out << "\n\n";
}

std::shared_ptr<nn::Module> small_mlp(Generator& gen) {
  return std::make_shared<nn::Sequential>(
      std::vector<std::shared_ptr<nn::Module>>{
          std::make_shared<nn::Linear>(4, 8, gen), std::make_shared<nn::ReLU>(),
          std::make_shared<nn::Linear>(8, 2, gen)});
}

void ensembles(std::ostream& out, Generator& gen, SeedResult& r) {
  out << "## 5. ensembles: stack_module_state + vmap over models\n";
  constexpr int kModels = 5;
  std::vector<std::shared_ptr<nn::Module>> models;
  for (int i = 0; i < kModels; ++i) models.push_back(small_mlp(gen));
  const Tensor minibatch = randn({16, 4}, DType::Float32, &gen);
  auto [params, buffers] = nn::stack_module_state(models);
  nn::Module& base = *models[0];
  auto fmodel = [&](const ParamDict& p, const ParamDict& b, const Tensor& x) {
    return nn::functional_call(base, std::pair{p, b}, x);
  };
  Stopwatch watch;
  const Tensor batched = vmap(fmodel, {0, 0, none})(params, buffers, minibatch);
  const double t_vmap = watch.seconds();
  std::vector<Tensor> outs;
  for (auto& m : models) outs.push_back(m->forward(minibatch));
  r.ensemble_vs_loop = max_abs_diff(batched, stack(outs));
  out << kModels
      << " MLPs (4 -> 8 -> 2) stacked: params[\"0.weight\"] has "
         "shape "
      << shape_str(params.at("0.weight").shape())
      << "; vmap(fmodel, {0, 0, none}) on one (16, 4) minibatch gives "
      << shape_str(batched.shape()) << " in " << format_seconds(t_vmap)
      << "; max difference to running each model: " << r.ensemble_vs_loop
      << "\n\n";
}

void no_grad_gotcha(std::ostream& out, SeedResult& r) {
  out << "## 6. the no_grad gotcha\n";
  auto f = [](const Tensor& x) {
    Tensor c;
    {
      NoGradGuard no_grad;
      c = pow(x, 2.0);
    }
    return x - c;
  };
  const Tensor x = from_vector(std::vector<double>{3.0}, {}, DType::Float64);
  const Tensor g = grad(f)(x);
  r.no_grad_gradient = g.item<double>();
  out << "f(x) = x - c with c = x**2 computed under NoGradGuard inside f: c "
         "is a constant to grad, so grad(f)(3) = "
      << fixed(r.no_grad_gradient, 3) << " (not 1 - 2x = -5)\n";
  Tensor outer;
  {
    NoGradGuard no_grad;
    outer = grad([](const Tensor& t) { return t - pow(t, 2.0); })(x);
  }
  out << "a NoGradGuard around the grad call is ignored: grad(x - x**2)(3) "
         "= "
      << fixed(outer.item<double>(), 3) << "\n\n";
}

}  // namespace

SeedResult run_seed_demo(std::ostream& out) {
  out << "# seed: the examples of the seed talk, in order\n\n";
  Stopwatch watch;
  Generator gen(42);
  SeedResult r;
  vmap_dot(out, gen, r);
  grad_sin(out, r);
  per_sample_grads(out, gen, r);
  functional_call_example(out, gen, r);
  ensembles(out, gen, r);
  no_grad_gotcha(out, r);
  out << "seed demo done in " << format_seconds(watch.seconds()) << "\n";
  return r;
}

}  // namespace fnx::demos
