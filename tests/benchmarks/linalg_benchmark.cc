// Linear algebra on the CPU, in float64 and float32 (the second argument,
// 64 or 32, of the decomposition benchmarks):
//  - a million batched 3x3 solves (the small-matrix path, and the whole
//    solve composite around it), the Lu kernel and primitive alone;
//  - single 256x256 Cholesky, eigh and svd (one LAPACK call each);
//  - per-example gradients of logdet, vmap(grad(logdet)) over 1000 SPD 8x8
//    matrices (functorch#984's workload);
//  - grad of a Gaussian-process negative log-likelihood (RBF kernel over
//    256 points, through cholesky and cholesky_solve) w.r.t. the log
//    length-scale.
// tests/benchmarks/peers_compare.py runs the float32 ones next to numpy,
// torch.func and JAX (rows linalg_*). The inputs are deterministic and
// built the same way there (weyl() below, in float64, then cast), and each
// benchmark reports the sum and the absolute sum of its outputs as the
// counters "sum" and "abssum", so that `peers_compare.py --checksums`
// compares the results across frameworks. Run with the opt config:
//   bazel run --config=opt //tests/benchmarks:linalg_benchmark
#include <cmath>
#include <initializer_list>
#include <vector>

#include "benchmark/benchmark.h"
#include "core/dispatch.h"
#include "core/ops/linalg.h"
#include "core/ops/ops.h"
#include "transforms/grad/grad.h"
#include "transforms/vmap/vmap.h"

namespace fnx {
namespace {

// Deterministic entries in [-1, 1): 2 frac(k^2 c) - 1 for the flat index
// k = offset, offset + 1, ... (a quadratic Weyl sequence), in float64.
// peers_compare.py's weyl() computes the same doubles in the same order
// (the product is stored before the floor, so that no fused multiply-add
// changes its rounding).
Tensor weyl(const Shape& shape, int64_t offset = 0) {
  constexpr double kC = 0.41421356237309503;  // sqrt(2) - 1
  std::vector<double> v(static_cast<std::size_t>(numel(shape)));
  for (std::size_t i = 0; i < v.size(); ++i) {
    const double k = static_cast<double>(offset + static_cast<int64_t>(i));
    volatile double p = (k * k) * kC;
    const double q = p;
    v[i] = 2 * (q - std::floor(q)) - 1;
  }
  return from_vector(v, shape, DType::Float64);
}

DType bits_dtype(int64_t bits) {
  return bits == 32 ? DType::Float32 : DType::Float64;
}

// `batch` well-conditioned (diagonally dominant) n x n matrices: weyl plus
// n I.
Tensor batched(int64_t batch, int64_t n, DType dtype) {
  return cast(weyl({batch, n, n}) +
                  eye(n, DType::Float64, Device::cpu()) * static_cast<double>(n),
              dtype);
}

// Symmetric positive definite: M M^T + n I for M = weyl (..., n, n),
// computed in float64 and then cast.
Tensor spd(int64_t batch, int64_t n, DType dtype) {
  const Tensor m = batch ? weyl({batch, n, n}) : weyl({n, n});
  return cast(matmul(m, m.transpose(-1, -2)) +
                  eye(n, DType::Float64, Device::cpu()) * static_cast<double>(n),
              dtype);
}

void set_items(benchmark::State& state, int64_t per_iteration) {
  state.SetItemsProcessed(state.iterations() * per_iteration);
}

// Sum and absolute sum of the outputs, for comparing results across
// frameworks (the absolute sum where eigen/singular vectors' signs differ).
void checksum(benchmark::State& state, std::initializer_list<Tensor> outs) {
  double s = 0, a = 0;
  for (const Tensor& t : outs) {
    for (double v : t.to_vector()) {
      s += v;
      a += std::abs(v);
    }
  }
  state.counters["sum"] = s;
  state.counters["abssum"] = a;
}

void BM_Solve3x3(benchmark::State& state) {
  const int64_t batch = state.range(0);
  const DType dtype = bits_dtype(state.range(1));
  const Tensor a = batched(batch, 3, dtype);
  const Tensor b = cast(weyl({batch, 3, 1}, batch * 9), dtype);
  for (auto _ : state) {
    Tensor x = linalg::solve(a, b);
    benchmark::DoNotOptimize(x.raw_data());
  }
  set_items(state, batch);
  checksum(state, {linalg::solve(a, b)});
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
  const Tensor a = spd(0, state.range(0), bits_dtype(state.range(1)));
  for (auto _ : state) {
    Tensor l = linalg::cholesky(a);
    benchmark::DoNotOptimize(l.raw_data());
  }
  checksum(state, {linalg::cholesky(a)});
}
BENCHMARK(BM_Cholesky)
    ->Args({256, 64})
    ->Args({256, 32})
    ->Unit(benchmark::kMicrosecond);

void BM_Eigh(benchmark::State& state) {
  const Tensor a = spd(0, state.range(0), bits_dtype(state.range(1)));
  for (auto _ : state) {
    linalg::EighResult e = linalg::eigh(a);
    benchmark::DoNotOptimize(e.eigenvalues.raw_data());
  }
  const linalg::EighResult e = linalg::eigh(a);
  checksum(state, {e.eigenvalues, e.eigenvectors});
}
BENCHMARK(BM_Eigh)
    ->Args({256, 64})
    ->Args({256, 32})
    ->Unit(benchmark::kMillisecond);

void BM_Svd(benchmark::State& state) {
  const Tensor a = spd(0, state.range(0), bits_dtype(state.range(1)));
  for (auto _ : state) {
    linalg::SvdResult s = linalg::svd(a);
    benchmark::DoNotOptimize(s.S.raw_data());
  }
  const linalg::SvdResult s = linalg::svd(a);
  checksum(state, {s.U, s.S, s.Vh});
}
BENCHMARK(BM_Svd)
    ->Args({256, 64})
    ->Args({256, 32})
    ->Unit(benchmark::kMillisecond);

// Per-example gradients of logdet: vmap(grad(logdet)) over a batch of SPD
// n x n matrices, float32 (each gradient is the matrix's inverse).
void BM_VmapGradLogdet(benchmark::State& state) {
  const int64_t batch = state.range(0), n = state.range(1);
  const Tensor a = spd(batch, n, DType::Float32);
  auto per_example =
      vmap(grad([](const Tensor& m) { return linalg::logdet(m); }));
  for (auto _ : state) {
    Tensor g = per_example(a);
    benchmark::DoNotOptimize(g.raw_data());
  }
  set_items(state, batch);
  checksum(state, {per_example(a)});
}
BENCHMARK(BM_VmapGradLogdet)
    ->ArgNames({"batch", "n"})
    ->Args({1000, 8})
    ->Unit(benchmark::kMillisecond);

// A Gaussian process's negative log-likelihood (up to its constant) at the
// log length-scale log_l, for points x and targets y (n,):
//   K = exp(-(x_i - x_j)^2 / (2 l^2)) + 0.1 I,  L = cholesky(K),
//   nll = 0.5 y^T K^-1 y + sum(log diag L).
Tensor gp_nll(const Tensor& log_l, const Tensor& x, const Tensor& y) {
  const int64_t n = x.size(0);
  const Tensor d = x.unsqueeze(1) - x.unsqueeze(0);
  const Tensor k = exp(d * d * exp(log_l * -2.0) * -0.5) +
                   eye(n, x.dtype(), Device::cpu()) * 0.1;
  const Tensor l = linalg::cholesky(k);
  const Tensor yc = y.unsqueeze(1);
  const Tensor alpha = linalg::cholesky_solve(yc, l);
  return sum(yc * alpha) * 0.5 + sum(log(diagonal(l)));
}

// grad of gp_nll w.r.t. the log length-scale (a scalar), float32; the
// points are 3 weyl in [-3, 3), the targets weyl, log_l = 0.
void BM_GradGpNll(benchmark::State& state) {
  const int64_t n = state.range(0);
  const Tensor x = cast(weyl({n}) * 3.0, DType::Float32);
  const Tensor y = cast(weyl({n}, n), DType::Float32);
  const Tensor log_l = scalar_tensor(0.0, DType::Float32);
  auto dnll = grad(gp_nll);
  for (auto _ : state) {
    Tensor g = dnll(log_l, x, y);
    benchmark::DoNotOptimize(g.raw_data());
  }
  checksum(state, {dnll(log_l, x, y)});
}
BENCHMARK(BM_GradGpNll)
    ->ArgNames({"n"})
    ->Arg(256)
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace fnx
