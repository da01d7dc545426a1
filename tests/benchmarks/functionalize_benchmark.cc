// What functionalization costs: a chain of in-place ops (whole tensor and
// through a view) run eagerly, functionalized, and under vmap as
// vmap(functionalize(f)) writing per-example values into a buffer made
// inside (which plain vmap refuses). Small tensors, so the figures are the
// per-op overhead; a large one shows that the write-back through a view
// costs one pass over the base.
//   bazel run --config=opt //tests/benchmarks:functionalize_benchmark
#include "benchmark/benchmark.h"
#include "core/ops/ops.h"
#include "transforms/functionalize/functionalize.h"
#include "transforms/vmap/vmap.h"

namespace fnx {
namespace {

constexpr int kSteps = 50;

// 2 * kSteps in-place ops on the whole tensor.
Tensor whole_chain(Tensor x) {
  Tensor y = x.clone();
  for (int i = 0; i < kSteps; ++i) {
    y.add_(1.0);
    y.mul_(0.5);
  }
  return y;
}

// kSteps writes through a view (a row of the clone).
Tensor view_chain(Tensor x) {
  Tensor y = x.clone();
  for (int i = 0; i < kSteps; ++i) y.select(0, i % y.size(0)).mul_(1.01);
  return y;
}

// Arg: elements per row (rows: 4).
void BM_WholeChainEager(benchmark::State& state) {
  const Tensor x = randn({4, state.range(0)});
  for (auto _ : state) benchmark::DoNotOptimize(whole_chain(x));
}
BENCHMARK(BM_WholeChainEager)
    ->Arg(16)
    ->Arg(1 << 16)
    ->Unit(benchmark::kMicrosecond);

void BM_WholeChainFunctionalized(benchmark::State& state) {
  const Tensor x = randn({4, state.range(0)});
  const auto f = functionalize(whole_chain);
  for (auto _ : state) benchmark::DoNotOptimize(f(x));
}
BENCHMARK(BM_WholeChainFunctionalized)
    ->Arg(16)
    ->Arg(1 << 16)
    ->Unit(benchmark::kMicrosecond);

void BM_ViewChainEager(benchmark::State& state) {
  const Tensor x = randn({4, state.range(0)});
  for (auto _ : state) benchmark::DoNotOptimize(view_chain(x));
}
BENCHMARK(BM_ViewChainEager)
    ->Arg(16)
    ->Arg(1 << 16)
    ->Unit(benchmark::kMicrosecond);

void BM_ViewChainFunctionalized(benchmark::State& state) {
  const Tensor x = randn({4, state.range(0)});
  const auto f = functionalize(view_chain);
  for (auto _ : state) benchmark::DoNotOptimize(f(x));
}
BENCHMARK(BM_ViewChainFunctionalized)
    ->Arg(16)
    ->Arg(1 << 16)
    ->Unit(benchmark::kMicrosecond);

// functorch#1025's pattern over 64 examples: a buffer made inside the
// mapped function, filled with per-example values through views.
Tensor fill_buffer(const Tensor& x) {
  Tensor buf = zeros({3, x.size(0)});
  buf.select(0, 0).copy_(x);
  buf.select(0, 1).copy_(x * x);
  buf.select(0, 2).copy_(x.sum());
  return buf;
}

void BM_VmapOfFunctionalizedBufferFill(benchmark::State& state) {
  const Tensor xs = randn({64, state.range(0)});
  const auto f = vmap(functionalize(fill_buffer));
  for (auto _ : state) benchmark::DoNotOptimize(f(xs));
}
BENCHMARK(BM_VmapOfFunctionalizedBufferFill)
    ->Arg(16)
    ->Arg(4096)
    ->Unit(benchmark::kMicrosecond);

// The same result written out of place by hand: the floor.
void BM_VmapOfOutOfPlaceBuffer(benchmark::State& state) {
  const Tensor xs = randn({64, state.range(0)});
  const auto f = vmap([](const Tensor& x) {
    return stack({x, x * x, expand(x.sum(), x.shape())});
  });
  for (auto _ : state) benchmark::DoNotOptimize(f(xs));
}
BENCHMARK(BM_VmapOfOutOfPlaceBuffer)
    ->Arg(16)
    ->Arg(4096)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace fnx
