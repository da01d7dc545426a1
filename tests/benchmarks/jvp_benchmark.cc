// Forward-mode and Jacobian benchmarks: the workloads of the functorch
// jacobians/hessians tutorial, float32 (tests/benchmarks/
// jacobians_vs_functorch.py runs functorch on the same ones, side by side):
//  - jacrev and jacfwd of predict(W, b, x) = tanh(W x + b) w.r.t. x, for
//    D = 16, (Din 32, Dout 2048) and (Din 2048, Dout 32);
//  - hessian of predict w.r.t. x at Din 512, Dout 32;
//  - the batched Jacobian vmap(jacrev(predict)) over 64 examples, 31 -> 33
//    features (and vmap(jacfwd));
//  - hvp of sum(sin(x)) on R^2048 (forward-over-reverse);
//  - jvp's and linearize's cost against the plain function.
// Run with the opt config:
//   bazel run --config=opt //tests/benchmarks:jvp_benchmark
#include <tuple>

#include "benchmark/benchmark.h"
#include "core/ops/ops.h"
#include "transforms/jacobians/hessian.h"
#include "transforms/jacobians/hvp.h"
#include "transforms/jacobians/jacfwd.h"
#include "transforms/jacobians/jacrev.h"
#include "transforms/jvp/jvp.h"
#include "transforms/vmap/vmap.h"

namespace fnx {
namespace {

Tensor predict(const Tensor& w, const Tensor& b, const Tensor& x) {
  return tanh(linear(x, w, b));
}

struct Layer {
  Tensor w, b, x;
};

// Weights (dout, din), bias (dout), input (din) -- or (batch, din).
Layer layer(int64_t dout, int64_t din, int64_t batch = 0) {
  Generator gen(0);
  Layer l{randn({dout, din}, DType::Float32, &gen),
          randn({dout}, DType::Float32, &gen), Tensor()};
  l.x = batch > 0 ? randn({batch, din}, DType::Float32, &gen)
                  : randn({din}, DType::Float32, &gen);
  return l;
}

// Args: Dout, Din.
void BM_Jacrev(benchmark::State& state) {
  const Layer l = layer(state.range(0), state.range(1));
  const auto jac = jacrev<2>(predict);
  for (auto _ : state) benchmark::DoNotOptimize(jac(l.w, l.b, l.x));
}
BENCHMARK(BM_Jacrev)
    ->Args({16, 16})
    ->Args({2048, 32})
    ->Args({32, 2048})
    ->Unit(benchmark::kMicrosecond);

void BM_Jacfwd(benchmark::State& state) {
  const Layer l = layer(state.range(0), state.range(1));
  const auto jac = jacfwd<2>(predict);
  for (auto _ : state) benchmark::DoNotOptimize(jac(l.w, l.b, l.x));
}
BENCHMARK(BM_Jacfwd)
    ->Args({16, 16})
    ->Args({2048, 32})
    ->Args({32, 2048})
    ->Unit(benchmark::kMicrosecond);

// Args: Dout, Din. The result is (Dout, Din, Din).
void BM_Hessian(benchmark::State& state) {
  const Layer l = layer(state.range(0), state.range(1));
  const auto hess = hessian<2>(predict);
  for (auto _ : state) benchmark::DoNotOptimize(hess(l.w, l.b, l.x));
}
BENCHMARK(BM_Hessian)->Args({32, 512})->Unit(benchmark::kMillisecond);

// Args: batch, Dout, Din.
void BM_BatchedJacrev(benchmark::State& state) {
  const Layer l = layer(state.range(1), state.range(2), state.range(0));
  const auto jac = vmap(jacrev<2>(predict), {none, none, 0});
  for (auto _ : state) benchmark::DoNotOptimize(jac(l.w, l.b, l.x));
}
BENCHMARK(BM_BatchedJacrev)->Args({64, 33, 31})->Unit(benchmark::kMicrosecond);

void BM_BatchedJacfwd(benchmark::State& state) {
  const Layer l = layer(state.range(1), state.range(2), state.range(0));
  const auto jac = vmap(jacfwd<2>(predict), {none, none, 0});
  for (auto _ : state) benchmark::DoNotOptimize(jac(l.w, l.b, l.x));
}
BENCHMARK(BM_BatchedJacfwd)->Args({64, 33, 31})->Unit(benchmark::kMicrosecond);

// Arg: n.
void BM_Hvp(benchmark::State& state) {
  Generator gen(0);
  const Tensor x = randn({state.range(0)}, DType::Float32, &gen);
  const Tensor v = randn({state.range(0)}, DType::Float32, &gen);
  auto f = [](const Tensor& t) { return sin(t).sum(); };
  for (auto _ : state) benchmark::DoNotOptimize(hvp(f, x, v));
}
BENCHMARK(BM_Hvp)->Arg(2048)->Unit(benchmark::kMicrosecond);

// jvp of a small MLP layer against the plain call, and linearize's replay
// (the tangent computation only) against jvp. Arg: D.
void BM_MlpPlain(benchmark::State& state) {
  const Layer l = layer(state.range(0), state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(predict(l.w, l.b, l.x));
}
void BM_MlpJvp(benchmark::State& state) {
  const Layer l = layer(state.range(0), state.range(0));
  const Tensor t = ones_like(l.x);
  auto f = [&](const Tensor& x) { return predict(l.w, l.b, x); };
  for (auto _ : state) benchmark::DoNotOptimize(jvp(f, l.x, t));
}
void BM_MlpLinearizedReplay(benchmark::State& state) {
  const Layer l = layer(state.range(0), state.range(0));
  const Tensor t = ones_like(l.x);
  auto f = [&](const Tensor& x) { return predict(l.w, l.b, x); };
  auto [y, jvp_fn] = linearize(f, l.x);
  for (auto _ : state) benchmark::DoNotOptimize(jvp_fn(t));
}
BENCHMARK(BM_MlpPlain)->Arg(16)->Arg(512)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MlpJvp)->Arg(16)->Arg(512)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_MlpLinearizedReplay)
    ->Arg(16)
    ->Arg(512)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace fnx
