// matmul through fnx vs calling cblas_sgemm directly on the same buffers.
// Target: fnx at >= 0.9 of the direct call (items/s ratio).
#include <cblas.h>

#include <thread>

#include "benchmark/benchmark.h"
#include "core/ops/ops.h"

namespace fnx {
namespace {

void set_flops(benchmark::State& state, int64_t n) {
  state.counters["GFLOP/s"] = benchmark::Counter(
      2.0 * n * n * n * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}

void BM_FnxMatmul(benchmark::State& state) {
  const int64_t n = state.range(0);
  Generator gen(1);
  const Tensor a = randn({n, n}, DType::Float32, &gen);
  const Tensor b = randn({n, n}, DType::Float32, &gen);
  for (auto _ : state) {
    Tensor c = matmul(a, b);
    benchmark::DoNotOptimize(c.raw_data());
  }
  set_flops(state, n);
}

void BM_FnxMatmulTransposedOperand(benchmark::State& state) {
  const int64_t n = state.range(0);
  Generator gen(1);
  const Tensor a = randn({n, n}, DType::Float32, &gen);
  const Tensor b = randn({n, n}, DType::Float32, &gen).t();  // no copy
  for (auto _ : state) {
    Tensor c = matmul(a, b);
    benchmark::DoNotOptimize(c.raw_data());
  }
  set_flops(state, n);
}

// The baseline is OpenBLAS at its own best: its threads on every core (fnx
// runs OpenBLAS single-threaded and splits GEMMs over its own pool).
void BM_CblasSgemm(benchmark::State& state) {
  const int64_t n = state.range(0);
  const int saved_threads = openblas_get_num_threads();
  openblas_set_num_threads(static_cast<int>(std::thread::hardware_concurrency()));
  Generator gen(1);
  const Tensor a = randn({n, n}, DType::Float32, &gen);
  const Tensor b = randn({n, n}, DType::Float32, &gen);
  for (auto _ : state) {
    Tensor c = empty({n, n});  // the same allocation fnx makes
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f,
                a.data<float>(), n, b.data<float>(), n, 0.0f,
                c.mutable_data<float>(), n);
    benchmark::DoNotOptimize(c.raw_data());
  }
  openblas_set_num_threads(saved_threads);
  set_flops(state, n);
}

BENCHMARK(BM_FnxMatmul)->Arg(256)->Arg(1024)->Arg(2048)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_CblasSgemm)->Arg(256)->Arg(1024)->Arg(2048)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_FnxMatmulTransposedOperand)->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_FnxBatchedMatmulSmall(benchmark::State& state) {
  Generator gen(1);
  const Tensor a = randn({256, 16, 32}, DType::Float32, &gen);
  const Tensor b = randn({256, 32, 16}, DType::Float32, &gen);
  for (auto _ : state) {
    Tensor c = matmul(a, b);
    benchmark::DoNotOptimize(c.raw_data());
  }
}
BENCHMARK(BM_FnxBatchedMatmulSmall)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
}  // namespace fnx
