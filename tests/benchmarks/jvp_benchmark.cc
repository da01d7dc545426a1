// Forward-mode and Jacobian benchmarks: the workloads of the functorch
// jacobians/hessians tutorial, float32 (tests/benchmarks/
// jacobians_vs_functorch.py runs functorch on the same ones, side by side):
//  - jacrev and jacfwd of predict(W, b, x) = tanh(W x + b) w.r.t. x, for
//    16 -> 16, 32 -> 2048 and 2048 -> 32 (input -> output features);
//  - hessian of predict w.r.t. x at 512 -> 32;
//  - the batched Jacobian vmap(jacrev(predict)) over 64 examples, 31 -> 33
//    features (and vmap(jacfwd));
//  - hvp of sum(sin(x)) and of sum(tanh(x)^2) on R^2048 (forward-over-
//    reverse);
//  - jvp's and linearize's cost against the plain function.
// Jacobian benchmarks name their sizes input first: BM_Jacrev/in:32/out:2048
// is R^32 -> R^2048 (tests/benchmarks/peers_compare.py maps them to
// jacrev_32in_2048out).
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
Layer layer(int64_t din, int64_t dout, int64_t batch = 0) {
  Generator gen(0);
  Layer l{randn({dout, din}, DType::Float32, &gen),
          randn({dout}, DType::Float32, &gen), Tensor()};
  l.x = batch > 0 ? randn({batch, din}, DType::Float32, &gen)
                  : randn({din}, DType::Float32, &gen);
  return l;
}

// Args: in (Din), out (Dout).
void BM_Jacrev(benchmark::State& state) {
  const Layer l = layer(state.range(0), state.range(1));
  const auto jac = jacrev<2>(predict);
  for (auto _ : state) benchmark::DoNotOptimize(jac(l.w, l.b, l.x));
}
BENCHMARK(BM_Jacrev)
    ->ArgNames({"in", "out"})
    ->Args({16, 16})
    ->Args({32, 2048})
    ->Args({2048, 32})
    ->Unit(benchmark::kMicrosecond);

void BM_Jacfwd(benchmark::State& state) {
  const Layer l = layer(state.range(0), state.range(1));
  const auto jac = jacfwd<2>(predict);
  for (auto _ : state) benchmark::DoNotOptimize(jac(l.w, l.b, l.x));
}
BENCHMARK(BM_Jacfwd)
    ->ArgNames({"in", "out"})
    ->Args({16, 16})
    ->Args({32, 2048})
    ->Args({2048, 32})
    ->Unit(benchmark::kMicrosecond);

// Args: in (Din), out (Dout). The result is (Dout, Din, Din).
void BM_Hessian(benchmark::State& state) {
  const Layer l = layer(state.range(0), state.range(1));
  const auto hess = hessian<2>(predict);
  for (auto _ : state) benchmark::DoNotOptimize(hess(l.w, l.b, l.x));
}
BENCHMARK(BM_Hessian)
    ->ArgNames({"in", "out"})
    ->Args({512, 32})
    ->Unit(benchmark::kMillisecond);

// Args: batch, in (Din), out (Dout).
void BM_BatchedJacrev(benchmark::State& state) {
  const Layer l = layer(state.range(1), state.range(2), state.range(0));
  const auto jac = vmap(jacrev<2>(predict), {none, none, 0});
  for (auto _ : state) benchmark::DoNotOptimize(jac(l.w, l.b, l.x));
}
BENCHMARK(BM_BatchedJacrev)
    ->ArgNames({"batch", "in", "out"})
    ->Args({64, 31, 33})
    ->Unit(benchmark::kMicrosecond);

void BM_BatchedJacfwd(benchmark::State& state) {
  const Layer l = layer(state.range(1), state.range(2), state.range(0));
  const auto jac = vmap(jacfwd<2>(predict), {none, none, 0});
  for (auto _ : state) benchmark::DoNotOptimize(jac(l.w, l.b, l.x));
}
BENCHMARK(BM_BatchedJacfwd)
    ->ArgNames({"batch", "in", "out"})
    ->Args({64, 31, 33})
    ->Unit(benchmark::kMicrosecond);

// hvp = jvp(grad(f)) at x in R^n along v. Arg: in (n).
template <typename F>
void run_hvp(benchmark::State& state, const F& f) {
  Generator gen(0);
  const Tensor x = randn({state.range(0)}, DType::Float32, &gen);
  const Tensor v = randn({state.range(0)}, DType::Float32, &gen);
  for (auto _ : state) benchmark::DoNotOptimize(hvp(f, x, v));
}

// f = sum(sin(x)).
void BM_HvpSumSin(benchmark::State& state) {
  run_hvp(state, [](const Tensor& t) { return sin(t).sum(); });
}
BENCHMARK(BM_HvpSumSin)
    ->ArgName("in")
    ->Arg(2048)
    ->Unit(benchmark::kMicrosecond);

// f = sum(tanh(x)^2), the square as a product: t = tanh(x), sum(t * t).
void BM_HvpSumTanhSq(benchmark::State& state) {
  run_hvp(state, [](const Tensor& x) {
    const Tensor t = tanh(x);
    return (t * t).sum();
  });
}
BENCHMARK(BM_HvpSumTanhSq)
    ->ArgName("in")
    ->Arg(2048)
    ->Unit(benchmark::kMicrosecond);

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
