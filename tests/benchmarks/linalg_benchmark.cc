// Linear algebra on the CPU: a million batched 3x3 solves (the small-matrix
// path, and the whole solve composite around it) and single 256x256
// Cholesky, eigh and svd (one single-threaded LAPACK call each).
#include "benchmark/benchmark.h"
#include "core/dispatch.h"
#include "core/ops/linalg.h"
#include "core/ops/ops.h"

namespace fnx {
namespace {

// `batch` well-conditioned n x n matrices: standard normal plus n I.
Tensor batched(int64_t batch, int64_t n, DType dtype) {
  Generator gen(1);
  return randn({batch, n, n}, dtype, &gen) +
         eye(n, dtype, Device::cpu()) * static_cast<double>(n);
}

// A symmetric positive definite n x n matrix.
Tensor spd(int64_t n) {
  Generator gen(2);
  const Tensor x = randn({n, n}, DType::Float64, &gen);
  return matmul(x, transpose(x, 0, 1)) +
         eye(n, DType::Float64, Device::cpu()) * static_cast<double>(n);
}

void set_items(benchmark::State& state, int64_t per_iteration) {
  state.SetItemsProcessed(state.iterations() * per_iteration);
}

void BM_Solve3x3(benchmark::State& state) {
  const int64_t batch = state.range(0);
  const DType dtype = state.range(1) == 32 ? DType::Float32 : DType::Float64;
  const Tensor a = batched(batch, 3, dtype);
  Generator gen(3);
  const Tensor b = randn({batch, 3, 1}, dtype, &gen);
  for (auto _ : state) {
    Tensor x = linalg::solve(a, b);
    benchmark::DoNotOptimize(x.raw_data());
  }
  set_items(state, batch);
}
BENCHMARK(BM_Solve3x3)
    ->Args({1000000, 64})
    ->Args({1000000, 32})
    ->Unit(benchmark::kMillisecond);

// The Lu kernel alone (no pivot checks, no triangular solves).
void BM_LuFactor3x3(benchmark::State& state) {
  const int64_t batch = state.range(0);
  const Tensor a = batched(batch, 3, DType::Float64);
  for (auto _ : state) {
    linalg::LuFactorResult f = linalg::lu_factor(a);
    benchmark::DoNotOptimize(f.LU.raw_data());
  }
  set_items(state, batch);
}
BENCHMARK(BM_LuFactor3x3)->Arg(1000000)->Unit(benchmark::kMillisecond);

// The Lu primitive alone: the small-matrix kernel's own cost.
void BM_LuPrimitive3x3(benchmark::State& state) {
  const int64_t batch = state.range(0);
  const Tensor a = batched(batch, 3, DType::Float64);
  for (auto _ : state) {
    Tensor packed = dispatch(Prim::Lu, LinalgAttrs{}, {a});
    benchmark::DoNotOptimize(packed.raw_data());
  }
  set_items(state, batch);
}
BENCHMARK(BM_LuPrimitive3x3)->Arg(1000000)->Unit(benchmark::kMillisecond);

void BM_Cholesky(benchmark::State& state) {
  const Tensor a = spd(state.range(0));
  for (auto _ : state) {
    Tensor l = linalg::cholesky(a);
    benchmark::DoNotOptimize(l.raw_data());
  }
}
BENCHMARK(BM_Cholesky)->Arg(256)->Unit(benchmark::kMicrosecond);

void BM_Eigh(benchmark::State& state) {
  const Tensor a = spd(state.range(0));
  for (auto _ : state) {
    linalg::EighResult e = linalg::eigh(a);
    benchmark::DoNotOptimize(e.eigenvalues.raw_data());
  }
}
BENCHMARK(BM_Eigh)->Arg(256)->Unit(benchmark::kMillisecond);

void BM_Svd(benchmark::State& state) {
  const Tensor a = spd(state.range(0));
  for (auto _ : state) {
    linalg::SvdResult s = linalg::svd(a);
    benchmark::DoNotOptimize(s.S.raw_data());
  }
}
BENCHMARK(BM_Svd)->Arg(256)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace fnx
