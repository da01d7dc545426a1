// Throughput of the CPU kernels' loop machinery on large inputs (where
// parallel_for splits the work), called directly. Run by hand:
//   bazel run --config=opt //tests/backends_cpu:kernels_benchmark
#include "benchmark/benchmark.h"
#include "tests/backends_cpu/test_util.h"

namespace fnx::cpu_test {
namespace {

void set_bytes(benchmark::State& state, int64_t bytes_per_iteration) {
  state.SetBytesProcessed(bytes_per_iteration *
                          static_cast<int64_t>(state.iterations()));
}

void BM_AddContiguous(benchmark::State& state) {
  const int64_t n = state.range(0);
  const Tensor a = random_t({n}, kF32, 1), b = random_t({n}, kF32, 2);
  for (auto _ : state) {
    Tensor c = run(Prim::Add, NoAttrs{}, {a, b}, {n}, kF32);
    benchmark::DoNotOptimize(c.impl());
  }
  set_bytes(state, 12 * n);
}
BENCHMARK(BM_AddContiguous)->Arg(1)->Arg(1 << 12)->Arg(1 << 16)->Arg(1 << 22);

void BM_AddBroadcastRow(benchmark::State& state) {
  const Tensor a = random_t({2048, 2048}, kF32, 1);
  const Tensor b = random_t({2048}, kF32, 2);
  for (auto _ : state) {
    Tensor c = run(Prim::Add, NoAttrs{}, {a, b}, {2048, 2048}, kF32);
    benchmark::DoNotOptimize(c.impl());
  }
  set_bytes(state, 8 * 2048 * 2048);
}
BENCHMARK(BM_AddBroadcastRow);

void BM_ExpContiguous(benchmark::State& state) {
  const Tensor a = random_t({1 << 22}, kF32, 1);
  for (auto _ : state) {
    Tensor c = run(Prim::Exp, NoAttrs{}, {a}, {1 << 22}, kF32);
    benchmark::DoNotOptimize(c.impl());
  }
  set_bytes(state, 8 << 22);
}
BENCHMARK(BM_ExpContiguous);

void BM_TransposeCopy(benchmark::State& state) {
  const Tensor a = transposed(random_t({2048, 2048}, kF32, 1));
  for (auto _ : state) {
    Tensor c = run(Prim::Copy, NoAttrs{}, {a}, {2048, 2048}, kF32);
    benchmark::DoNotOptimize(c.impl());
  }
  set_bytes(state, 8 * 2048 * 2048);
}
BENCHMARK(BM_TransposeCopy);

void BM_Sum(benchmark::State& state) {
  const int64_t dim = state.range(0);  // -1: all
  const Tensor a = random_t({2048, 2048}, kF32, 1);
  const Dims dims = dim < 0 ? Dims{0, 1} : Dims{dim};
  const Shape out = dim < 0 ? Shape{} : Shape{2048};
  for (auto _ : state) {
    Tensor c = run(Prim::Sum, ReduceAttrs{dims, false}, {a}, out, kF32);
    benchmark::DoNotOptimize(c.impl());
  }
  set_bytes(state, 4 * 2048 * 2048);
}
BENCHMARK(BM_Sum)->Arg(-1)->Arg(0)->Arg(1);

void BM_IndexSelectRows(benchmark::State& state) {
  const Tensor table = random_t({30000, 256}, kF32, 1);
  std::vector<double> idx(4096);
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = (i * 7919) % 30000;
  const Tensor index = make(idx, {4096}, kI64);
  for (auto _ : state) {
    Tensor c =
        run(Prim::IndexSelect, DimAttrs{0}, {table, index}, {4096, 256}, kF32);
    benchmark::DoNotOptimize(c.impl());
  }
  set_bytes(state, 8 * 4096 * 256);
}
BENCHMARK(BM_IndexSelectRows);

// An elementwise op (a parallel region) followed by a GEMM large enough for
// OpenBLAS to use its own threads, as in a training step.
void BM_AddThenMatmul(benchmark::State& state) {
  const bool add = state.range(0) != 0;
  const Tensor a = random_t({1 << 20}, kF32, 1),
               b = random_t({1 << 20}, kF32, 2);
  const Tensor x = random_t({512, 512}, kF32, 3),
               y = random_t({512, 512}, kF32, 4);
  for (auto _ : state) {
    if (add) {
      Tensor c = run(Prim::Add, NoAttrs{}, {a, b}, {1 << 20}, kF32);
      benchmark::DoNotOptimize(c.impl());
    }
    Tensor d = run(Prim::Matmul, NoAttrs{}, {x, y}, {512, 512}, kF32);
    benchmark::DoNotOptimize(d.impl());
  }
}
BENCHMARK(BM_AddThenMatmul)->Arg(0)->Arg(1);

}  // namespace
}  // namespace fnx::cpu_test
