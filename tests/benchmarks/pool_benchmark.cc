// Max pooling at the torch.func tutorial CNN's shape (batch 64, 64
// channels, 24x24, 2x2 windows; under per-sample vmap the batch folds into
// N the same way): the max-pooling primitives against the definition they
// replaced, amax over Unfold's patches with amax's gradient (hits split
// evenly, folded back), written here with the public ops so that one
// binary measures both.
#include <limits>

#include "benchmark/benchmark.h"
#include "core/ops/ops.h"

namespace fnx {
namespace {

const PoolOptions kPool{{2, 2}};

struct Inputs {
  Tensor x, g;
};

Inputs inputs() {
  Generator gen(1);
  Inputs in;
  in.x = randn({64, 64, 24, 24}, DType::Float32, &gen);
  in.g = randn({64, 64, 12, 12}, DType::Float32, &gen);
  return in;
}

Tensor patches_of(const Tensor& x) {
  return unfold(x, kPool, -std::numeric_limits<double>::infinity());
}

// Arg 0: the primitives; arg 1: amax over unfold.
void BM_MaxPoolForward(benchmark::State& state) {
  const Inputs in = inputs();
  for (auto _ : state) {
    Tensor y = state.range(0) == 0 ? max_pool2d(in.x, kPool)
                                   : amax(patches_of(in.x), {2});
    benchmark::DoNotOptimize(y.raw_data());
  }
}

void BM_MaxPoolBackward(benchmark::State& state) {
  const Inputs in = inputs();
  const Shape spatial = {24, 24};
  for (auto _ : state) {
    Tensor dx;
    if (state.range(0) == 0) {
      dx = max_pool_scatter(in.x, in.g, kPool);
    } else {
      // amax's VJP (transforms/grad/rules_reduce.cc) and unfold's (fold).
      const Tensor p = patches_of(in.x);
      const Tensor hit = cast(eq(p, amax(p, {2}, true)), DType::Float32);
      const Tensor share = hit / sum(hit, {2}, true);
      dx = fold(unsqueeze(in.g, 2) * share, spatial, kPool);
    }
    benchmark::DoNotOptimize(dx.raw_data());
  }
}

BENCHMARK(BM_MaxPoolForward)
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_MaxPoolBackward)
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace fnx
