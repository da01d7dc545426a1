// Tiny-op workloads, where allocation and thread hand-off rather than
// arithmetic set the time:
//  - one small block allocated and freed, glibc against the CPU allocator;
//  - a chain of 100 elementwise ops on 8-element tensors (each op allocates
//    a small output block: the small-block cache in core/cpu_allocator.cc);
//  - grad and vmap of a tiny function;
//  - work split two ways over the pool (a 256^3 GEMM, a chain of adds over
//    256K elements) on 2 threads (fnx::set_num_threads(2), whatever the
//    machine): the cost of waking pool workers.
// Run with the opt config:
//   bazel run --config=opt //tests/benchmarks:tiny_ops_benchmark --
//     --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <cstdlib>

#include "backends/cpu/threads.h"
#include "benchmark/benchmark.h"
#include "core/cpu_allocator.h"
#include "core/ops/ops.h"
#include "transforms/grad/grad.h"
#include "transforms/vmap/vmap.h"

namespace fnx {
namespace {

constexpr int kChain = 100;

// One small block allocated and freed: glibc's aligned_alloc (what the CPU
// allocator did before caching small blocks) against the CPU allocator, in
// the same run so that a loaded machine affects both alike.
void BM_SmallBlockGlibc(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    void* p = std::aligned_alloc(64, n);
    benchmark::DoNotOptimize(p);
    std::free(p);
  }
}
BENCHMARK(BM_SmallBlockGlibc)->Arg(64)->Arg(1024);

void BM_SmallBlockCpuAllocator(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  Allocator& alloc = cpu_allocator();
  for (auto _ : state) {
    void* p = alloc.allocate(n);
    benchmark::DoNotOptimize(p);
    alloc.deallocate(p, n);
  }
}
BENCHMARK(BM_SmallBlockCpuAllocator)->Arg(64)->Arg(1024);

Tensor tiny_chain(const Tensor& x) {
  const Tensor a = full({8}, 1.0001, DType::Float32);
  const Tensor b = full({8}, 0.0001, DType::Float32);
  Tensor y = x;
  for (int i = 0; i < kChain / 2; ++i) y = add(mul(y, a), b);
  return y;
}

void BM_TinyOpChain(benchmark::State& state) {
  const Tensor x = full({8}, 1.0, DType::Float32);
  for (auto _ : state) {
    Tensor y = tiny_chain(x);
    benchmark::DoNotOptimize(y.impl());
  }
  state.SetItemsProcessed(state.iterations() * kChain);
}
BENCHMARK(BM_TinyOpChain);

// sum(sin(x) * x + x * x + exp(-x)): a handful of ops forward, twice that
// backward.
Tensor tiny_fn(const Tensor& x) {
  return sum(add(add(mul(sin(x), x), mul(x, x)), exp(neg(x))));
}

void BM_TinyGrad(benchmark::State& state) {
  const Tensor x = full({8}, 0.5, DType::Float32);
  auto g = grad(tiny_fn);
  for (auto _ : state) {
    Tensor dx = g(x);
    benchmark::DoNotOptimize(dx.impl());
  }
}
BENCHMARK(BM_TinyGrad);

void BM_TinyVmap(benchmark::State& state) {
  const Tensor x = full({8, 8}, 0.5, DType::Float32);
  auto f = vmap(tiny_fn);
  for (auto _ : state) {
    Tensor y = f(x);
    benchmark::DoNotOptimize(y.impl());
  }
}
BENCHMARK(BM_TinyVmap);

void BM_TinyVmapGrad(benchmark::State& state) {
  const Tensor x = full({8, 8}, 0.5, DType::Float32);
  auto f = vmap(grad(tiny_fn));
  for (auto _ : state) {
    Tensor y = f(x);
    benchmark::DoNotOptimize(y.impl());
  }
}
BENCHMARK(BM_TinyVmapGrad);

// Runs a benchmark body on exactly 2 threads.
class TwoThreads {
 public:
  TwoThreads() : saved_(get_num_threads()) { set_num_threads(2); }
  ~TwoThreads() { set_num_threads(saved_); }

 private:
  int saved_;
};

// A GEMM large enough to be split over the pool (parallel_blas splits at
// ~128^3) but short enough that waking the workers shows.
void BM_SplitMatmul(benchmark::State& state) {
  const TwoThreads threads;
  const int64_t n = state.range(0);
  Generator gen(0);
  const Tensor a = randn({n, n}, DType::Float32, &gen);
  const Tensor b = randn({n, n}, DType::Float32, &gen);
  for (auto _ : state) {
    Tensor c = matmul(a, b);
    benchmark::DoNotOptimize(c.impl());
  }
}
BENCHMARK(BM_SplitMatmul)
    ->Arg(256)
    ->Arg(1024)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

// Back-to-back parallel elementwise ops: each one wakes the pool.
void BM_ParallelAddChain(benchmark::State& state) {
  const TwoThreads threads;
  const Tensor a = full({1 << 18}, 1.0, DType::Float32);
  const Tensor b = full({1 << 18}, 2.0, DType::Float32);
  for (auto _ : state) {
    Tensor y = a;
    for (int i = 0; i < 10; ++i) y = add(y, b);
    benchmark::DoNotOptimize(y.impl());
  }
}
BENCHMARK(BM_ParallelAddChain)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
}  // namespace fnx
