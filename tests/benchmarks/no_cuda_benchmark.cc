// cuda_benchmark built without --config=cuda: nothing to measure.
#include "benchmark/benchmark.h"

namespace {

void BM_CudaNotBuilt(benchmark::State& state) {
  state.SkipWithError("built without --config=cuda");
  for (auto _ : state) {
  }
}
BENCHMARK(BM_CudaNotBuilt);

}  // namespace
