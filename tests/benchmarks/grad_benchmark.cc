// Reverse-mode benchmarks:
//  - per-sample gradients of the torch.func tutorial CNN (conv 1->32 3x3,
//    conv 32->64 3x3, max_pool 2, linear 9216->128, linear 128->10,
//    log_softmax + nll_loss; batch 64 of 1x28x28): vmap(grad) against a
//    per-example loop of grad (tests/benchmarks/grad_vs_functorch.py runs
//    the same with functorch side by side);
//  - jacrev of tanh(W x + b) for 16 -> 16 and 2048 -> 32 (input -> output
//    features; the benchmark names say in: then out:);
//  - grad's overhead per op on tiny tensors, and grad of a tiny function
//    (sum(sin(x) * x), x of 8 elements) as a per-call cost.
// Run with the opt config:
//   bazel run --config=opt //tests/benchmarks:grad_benchmark
#include <cmath>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "core/ops/ops.h"
#include "core/param_dict.h"
#include "tests/testing/tutorial_cnn.h"
#include "transforms/grad/grad.h"
#include "transforms/jacobians/jacrev.h"
#include "transforms/vmap/vmap.h"

namespace fnx {
namespace {

constexpr int64_t kBatch = 64;

using testing::cnn_params;
using testing::example_loss;

struct Data {
  ParamDict params = cnn_params();
  Tensor samples, targets;
  Data() {
    Generator gen(1);
    samples = randn({kBatch, 1, 28, 28}, DType::Float32, &gen);
    targets = randint(0, 10, {kBatch}, DType::Int64, &gen);
  }
};

void BM_PerSampleGradCnnVmap(benchmark::State& state) {
  const Data d;
  auto per_sample = vmap(grad(example_loss), {none, 0, 0});
  for (auto _ : state) {
    ParamDict g = per_sample(d.params, d.samples, d.targets);
    benchmark::DoNotOptimize(g.at("fc1.weight").impl());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_PerSampleGradCnnVmap)->Unit(benchmark::kMillisecond);

void BM_PerSampleGradCnnLoop(benchmark::State& state) {
  const Data d;
  for (auto _ : state) {
    std::vector<ParamDict> grads;
    for (int64_t i = 0; i < kBatch; ++i) {
      grads.push_back(grad(example_loss)(d.params, d.samples[i], d.targets[i]));
    }
    benchmark::DoNotOptimize(grads.back().at("fc1.weight").impl());
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}
BENCHMARK(BM_PerSampleGradCnnLoop)->Unit(benchmark::kMillisecond);

// jacrev of tanh(W x + b): args are in (Din), out (Dout).
void BM_JacrevTanhLayer(benchmark::State& state) {
  const int64_t in = state.range(0), out = state.range(1);
  Generator gen(2);
  const Tensor w = randn({out, in}, DType::Float32, &gen);
  const Tensor b = randn({out}, DType::Float32, &gen);
  const Tensor x = randn({in}, DType::Float32, &gen);
  auto f = [&](const Tensor& t) { return tanh(mv(w, t) + b); };
  auto jac = jacrev(f);
  for (auto _ : state) {
    Tensor j = jac(x);
    benchmark::DoNotOptimize(j.impl());
  }
}
BENCHMARK(BM_JacrevTanhLayer)
    ->ArgNames({"in", "out"})
    ->Args({16, 16})
    ->Args({2048, 32})
    ->Unit(benchmark::kMicrosecond);

// Overhead per op: a chain of n multiplications of 1-element tensors, as
// plain ops, under grad (forward + backward), and as vjp's forward alone.
constexpr int kChain = 100;

Tensor chain(const Tensor& x) {
  Tensor y = x;
  const Tensor c = full({1}, 1.0001);
  for (int i = 0; i < kChain; ++i) y = y * c;
  return y.sum();
}

void BM_ChainPlain(benchmark::State& state) {
  const Tensor x = full({1}, 1.0);
  for (auto _ : state) {
    Tensor y = chain(x);
    benchmark::DoNotOptimize(y.impl());
  }
  state.SetItemsProcessed(state.iterations() * kChain);
}
BENCHMARK(BM_ChainPlain);

void BM_ChainGrad(benchmark::State& state) {
  const Tensor x = full({1}, 1.0);
  for (auto _ : state) {
    Tensor g = grad(chain)(x);
    benchmark::DoNotOptimize(g.impl());
  }
  state.SetItemsProcessed(state.iterations() * kChain);
}
BENCHMARK(BM_ChainGrad);

void BM_ChainVjpForward(benchmark::State& state) {
  const Tensor x = full({1}, 1.0);
  for (auto _ : state) {
    auto [y, fn] = vjp(chain, x);
    benchmark::DoNotOptimize(y.impl());
  }
  state.SetItemsProcessed(state.iterations() * kChain);
}
BENCHMARK(BM_ChainVjpForward);

// The cost of one grad call on a tiny function: f(x) = sum(sin(x) * x), x of
// 8 float32 elements. Arg: in.
void BM_GradTiny(benchmark::State& state) {
  Generator gen(3);
  const Tensor x = randn({state.range(0)}, DType::Float32, &gen);
  auto f = [](const Tensor& t) { return (sin(t) * t).sum(); };
  auto df = grad(f);
  for (auto _ : state) {
    Tensor g = df(x);
    benchmark::DoNotOptimize(g.impl());
  }
}
BENCHMARK(BM_GradTiny)->ArgName("in")->Arg(8)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace fnx
