// One training step of the demos' models (tools/demos), compiled against
// eager, with the peak bytes a step holds (counter peak_MB: memory_stats'
// high-water mark above the bytes live before the step):
//  - ensemble: 64 MLPs (1 -> 32 -> 1, tanh) stacked (stack_module_state),
//    vmap of the MSE loss over the models, grad of the sum, an SGD update;
//  - MAML: MLP 1 -> 40 -> 40 -> 1 (ReLU) in float64, 32 sine tasks of 10
//    support and 10 query points, one inner SGD step per task inside grad,
//    vmap over tasks, an SGD meta-update.
// JAX jit of the same steps: tests/benchmarks/training_step_jax.py.
// Run: bazel run --config=opt //tests/benchmarks:training_step_benchmark
#include <cmath>
#include <memory>
#include <vector>

#include "benchmark/benchmark.h"
#include "fnx.h"

namespace fnx {
namespace {

std::shared_ptr<nn::Module> ensemble_member(Generator& gen) {
  return std::make_shared<nn::Sequential>(
      std::vector<std::shared_ptr<nn::Module>>{
          std::make_shared<nn::Linear>(1, 32, gen),
          std::make_shared<nn::Tanh>(),
          std::make_shared<nn::Linear>(32, 1, gen)});
}

// The step as a function of the stacked parameters (the buffers are
// empty: no module here has any).
struct Ensemble {
  Generator gen{7};
  std::vector<std::shared_ptr<nn::Module>> models;
  Tensor x, y;
  ParamDict params, buffers;
  Ensemble() {
    for (int i = 0; i < 64; ++i) models.push_back(ensemble_member(gen));
    x = linspace(-3, 3, 64).unsqueeze(1);
    y = sin(x * 1.5) + normal({64, 1}, 0.0, 0.1, DType::Float32, &gen);
    std::tie(params, buffers) = nn::stack_module_state(models);
  }
  ParamDict step(const ParamDict& p) const {
    nn::Module& base = *models[0];
    const ParamDict& b = buffers;
    const Tensor& xs = x;
    const Tensor& ys = y;
    auto loss = [&](const ParamDict& q, const ParamDict& bq) {
      return nn::mse_loss(nn::functional_call(base, std::pair{q, bq}, xs), ys);
    };
    auto total = [&](const ParamDict& q) {
      return vmap(loss, {0, 0})(q, b).sum();
    };
    const ParamDict g = grad(total)(p);
    ParamDict out;
    for (const auto& [k, t] : p) out.insert_or_assign(k, t - g.at(k) * 0.01);
    return out;
  }
};

struct Maml {
  Generator gen{1};
  std::shared_ptr<nn::Sequential> net;
  ParamDict params;
  Tensor xs, ys, xq, yq;
  Maml() {
    const nn::LinearOptions f64{.dtype = DType::Float64};
    net = std::make_shared<nn::Sequential>(
        std::vector<std::shared_ptr<nn::Module>>{
            std::make_shared<nn::Linear>(1, 40, gen, f64),
            std::make_shared<nn::ReLU>(),
            std::make_shared<nn::Linear>(40, 40, gen, f64),
            std::make_shared<nn::ReLU>(),
            std::make_shared<nn::Linear>(40, 1, gen, f64)});
    params = net->named_parameters();
    const int64_t n = 32;
    const Tensor amp = uniform({n, 1, 1}, 0.1, 5.0, DType::Float64, &gen);
    const Tensor phase = uniform({n, 1, 1}, 0.0, M_PI, DType::Float64, &gen);
    xs = uniform({n, 10, 1}, -5.0, 5.0, DType::Float64, &gen);
    xq = uniform({n, 10, 1}, -5.0, 5.0, DType::Float64, &gen);
    ys = amp * sin(xs + phase);
    yq = amp * sin(xq + phase);
  }
  ParamDict step(const ParamDict& p, const Tensor& sx, const Tensor& sy,
                 const Tensor& qx, const Tensor& qy) const {
    nn::Module& m = *net;
    auto loss = [&](const ParamDict& q, const Tensor& x, const Tensor& y) {
      return nn::mse_loss(nn::functional_call(m, q, x), y);
    };
    auto adapted = [&](const ParamDict& q, const Tensor& a, const Tensor& b,
                       const Tensor& c, const Tensor& d) {
      const ParamDict g = grad(loss)(q, a, b);
      ParamDict fast;
      for (const auto& [k, t] : q) {
        fast.insert_or_assign(k, t - g.at(k) * 0.01);
      }
      return loss(fast, c, d);
    };
    auto meta = [&](const ParamDict& q) {
      return vmap(adapted, {none, 0, 0, 0, 0})(q, sx, sy, qx, qy).mean();
    };
    const ParamDict g = grad(meta)(p);
    ParamDict out;
    for (const auto& [k, t] : p) out.insert_or_assign(k, t - g.at(k) * 1e-3);
    return out;
  }
};

// Runs `step` as the benchmark's body; reports the peak bytes of the last
// call above those live before it.
template <typename F>
void run_steps(benchmark::State& state, const F& step) {
  step();  // warm up (traces when compiled)
  for (auto _ : state) benchmark::DoNotOptimize(step());
  const int64_t live = memory_stats().live_bytes;
  reset_peak_memory();
  { auto kept = step(); }
  state.counters["peak_MB"] =
      static_cast<double>(memory_stats().peak_bytes - live) / 1e6;
}

void BM_EnsembleStepEager(benchmark::State& state) {
  const Ensemble e;
  run_steps(state, [&] { return e.step(e.params); });
}
BENCHMARK(BM_EnsembleStepEager)->Unit(benchmark::kMicrosecond);

void BM_EnsembleStepCompiled(benchmark::State& state) {
  const Ensemble e;
  auto step = compile([&](const ParamDict& p) { return e.step(p); });
  run_steps(state, [&] { return step(e.params); });
  state.counters["traces"] = static_cast<double>(step.trace_count());
}
BENCHMARK(BM_EnsembleStepCompiled)->Unit(benchmark::kMicrosecond);

void BM_MamlStepEager(benchmark::State& state) {
  const Maml m;
  run_steps(state, [&] { return m.step(m.params, m.xs, m.ys, m.xq, m.yq); });
}
BENCHMARK(BM_MamlStepEager)->Unit(benchmark::kMicrosecond);

void BM_MamlStepCompiled(benchmark::State& state) {
  const Maml m;
  auto step = compile([&](const ParamDict& p, const Tensor& a, const Tensor& b,
                          const Tensor& c,
                          const Tensor& d) { return m.step(p, a, b, c, d); });
  run_steps(state, [&] { return step(m.params, m.xs, m.ys, m.xq, m.yq); });
  state.counters["traces"] = static_cast<double>(step.trace_count());
}
BENCHMARK(BM_MamlStepCompiled)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace fnx
