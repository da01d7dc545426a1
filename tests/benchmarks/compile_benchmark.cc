// compile (transforms/compile) against eager:
//  - gelu on (32, 1000, 4096) float32 (one fused pass over memory against
//    the composite's kernels; the target is >= 3x);
//  - a chain of 100 tiny elementwise ops on 8 elements (one fused kernel
//    against 100 dispatches; target >= 10x);
//  - grad of a small MLP loss, compiled (the compiled vjp rule) and eager.
// Run: bazel run --config=opt //tests/benchmarks:compile_benchmark
#include <vector>

#include "benchmark/benchmark.h"
#include "fnx.h"

namespace fnx {
namespace {

const Tensor& big() {
  static const Tensor x = randn({32, 1000, 4096});
  return x;
}

Tensor gelu_fn(const Tensor& x) { return gelu(x); }

void BM_GeluEager(benchmark::State& state) {
  const Tensor& x = big();
  for (auto _ : state) benchmark::DoNotOptimize(gelu(x));
  state.SetBytesProcessed(state.iterations() * x.numel() * 8);
}
BENCHMARK(BM_GeluEager)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_GeluCompiled(benchmark::State& state) {
  const Tensor& x = big();
  auto f = compile(gelu_fn);
  f(x);
  for (auto _ : state) benchmark::DoNotOptimize(f(x));
  state.SetBytesProcessed(state.iterations() * x.numel() * 8);
}
BENCHMARK(BM_GeluCompiled)->Unit(benchmark::kMillisecond)->UseRealTime();

Tensor chain(const Tensor& x) {
  Tensor y = x;
  for (int i = 0; i < 25; ++i) y = tanh(sin(y) * 1.01 + 0.5) - 0.25;
  return y;
}

void BM_TinyChainEager(benchmark::State& state) {
  const Tensor x = randn({8});
  for (auto _ : state) benchmark::DoNotOptimize(chain(x));
}
BENCHMARK(BM_TinyChainEager);

void BM_TinyChainCompiled(benchmark::State& state) {
  const Tensor x = randn({8});
  auto f = compile(chain);
  f(x);
  for (auto _ : state) benchmark::DoNotOptimize(f(x));
}
BENCHMARK(BM_TinyChainCompiled);

Tensor mlp_loss(const Tensor& w1, const Tensor& w2, const Tensor& x) {
  const Tensor d = tanh(matmul(tanh(matmul(x, w1)), w2)) - 0.5;
  return (d * d).mean();
}

void BM_MlpGradEager(benchmark::State& state) {
  const Tensor w1 = randn({64, 64}), w2 = randn({64, 8}), x = randn({32, 64});
  auto g = grad<0, 1>(mlp_loss);
  for (auto _ : state) benchmark::DoNotOptimize(g(w1, w2, x));
}
BENCHMARK(BM_MlpGradEager);

void BM_MlpGradCompiled(benchmark::State& state) {
  const Tensor w1 = randn({64, 64}), w2 = randn({64, 8}), x = randn({32, 64});
  auto g = compile(grad<0, 1>(mlp_loss));
  g(w1, w2, x);
  for (auto _ : state) benchmark::DoNotOptimize(g(w1, w2, x));
}
BENCHMARK(BM_MlpGradCompiled);

// grad of a compiled function: the compiled call's vjp rule (a forward
// graph saving the residuals, a backward graph reading them).
void BM_MlpGradOfCompiled(benchmark::State& state) {
  const Tensor w1 = randn({64, 64}), w2 = randn({64, 8}), x = randn({32, 64});
  auto g = grad<0, 1>(compile(mlp_loss));
  for (int warm = 0; warm < 3; ++warm) g(w1, w2, x);
  for (auto _ : state) benchmark::DoNotOptimize(g(w1, w2, x));
}
BENCHMARK(BM_MlpGradOfCompiled);

// The same through dropout: a graph with random nodes, which gets compiled
// rules too.
Tensor mlp_dropout_loss(const Tensor& w1, const Tensor& w2, const Tensor& x) {
  const Tensor h = dropout(tanh(matmul(x, w1)), 0.1);
  const Tensor d = tanh(matmul(h, w2)) - 0.5;
  return (d * d).mean();
}

void BM_MlpDropoutGradEager(benchmark::State& state) {
  const Tensor w1 = randn({64, 64}), w2 = randn({64, 8}), x = randn({32, 64});
  auto g = grad<0, 1>(mlp_dropout_loss);
  for (auto _ : state) benchmark::DoNotOptimize(g(w1, w2, x));
}
BENCHMARK(BM_MlpDropoutGradEager);

void BM_MlpDropoutGradOfCompiled(benchmark::State& state) {
  const Tensor w1 = randn({64, 64}), w2 = randn({64, 8}), x = randn({32, 64});
  auto g = grad<0, 1>(compile(mlp_dropout_loss));
  for (int warm = 0; warm < 3; ++warm) g(w1, w2, x);
  for (auto _ : state) benchmark::DoNotOptimize(g(w1, w2, x));
}
BENCHMARK(BM_MlpDropoutGradOfCompiled);

}  // namespace
}  // namespace fnx
