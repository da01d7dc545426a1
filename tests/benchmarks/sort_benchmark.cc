// Sorting and scans on a million float32 elements: one row of 1e6 (a single
// fiber: std::stable_sort on one thread, the worst case for the per-fiber
// split) and 1000 rows of 1000 (fibers spread over the pool).
#include "benchmark/benchmark.h"
#include "core/ops/ops.h"

namespace fnx {
namespace {

// Arg 0: rows (the 1e6 elements as rows x 1e6 / rows).
Tensor input(const benchmark::State& state) {
  Generator gen(1);
  const int64_t rows = state.range(0);
  return randn({rows, 1000000 / rows}, DType::Float32, &gen);
}

void BM_Sort(benchmark::State& state) {
  const Tensor x = input(state);
  for (auto _ : state) {
    Tensor y = sort(x, -1).values;
    benchmark::DoNotOptimize(y.raw_data());
  }
}
BENCHMARK(BM_Sort)->Arg(1)->Arg(1000)->Unit(benchmark::kMillisecond);

void BM_Topk(benchmark::State& state) {
  const Tensor x = input(state);
  for (auto _ : state) {
    Tensor y = topk(x, 10, -1).values;
    benchmark::DoNotOptimize(y.raw_data());
  }
}
BENCHMARK(BM_Topk)->Arg(1)->Arg(1000)->Unit(benchmark::kMillisecond);

void BM_Cumsum(benchmark::State& state) {
  const Tensor x = input(state);
  for (auto _ : state) {
    Tensor y = cumsum(x, -1);
    benchmark::DoNotOptimize(y.raw_data());
  }
}
BENCHMARK(BM_Cumsum)->Arg(1)->Arg(1000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace fnx
