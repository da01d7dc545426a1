// vmap against the explicit per-example loop (the same work, one example
// at a time), and the per-op overhead of one vmap level. Run with
//   bazel run --config=opt //tests/benchmarks:vmap_benchmark
// and compare BM_Vmap* with the matching BM_Loop* line (same arguments).
// Kernels may run on the backend's thread pool, so batched-vs-loop figures
// are wall-clock time.
#include <vector>

#include "benchmark/benchmark.h"
#include "core/ops/ops.h"
#include "core/param_dict.h"
#include "transforms/vmap/vmap.h"

namespace fnx {
namespace {

// ---- batched dot: x, y of shape (B, 100) ----

void BM_VmapDot(benchmark::State& state) {
  const Tensor x = randn({state.range(0), 100}),
               y = randn({state.range(0), 100});
  auto batched = vmap(dot);
  for (auto _ : state) {
    Tensor d = batched(x, y);
    benchmark::DoNotOptimize(d.impl());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_VmapDot)->Arg(10)->Arg(4096)->UseRealTime();

void BM_LoopDot(benchmark::State& state) {
  const Tensor x = randn({state.range(0), 100}),
               y = randn({state.range(0), 100});
  for (auto _ : state) {
    std::vector<Tensor> out;
    out.reserve(state.range(0));
    for (int64_t b = 0; b < state.range(0); ++b) out.push_back(dot(x[b], y[b]));
    Tensor d = stack(out);
    benchmark::DoNotOptimize(d.impl());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_LoopDot)->Arg(10)->Arg(4096)->UseRealTime();

// ---- batched matmul: 64 pairs of 128 x 128 ----

void BM_VmapMatmul(benchmark::State& state) {
  const Tensor a = randn({64, 128, 128}), b = randn({64, 128, 128});
  auto batched = vmap(matmul);
  for (auto _ : state) {
    Tensor c = batched(a, b);
    benchmark::DoNotOptimize(c.impl());
  }
}
BENCHMARK(BM_VmapMatmul)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_LoopMatmul(benchmark::State& state) {
  const Tensor a = randn({64, 128, 128}), b = randn({64, 128, 128});
  for (auto _ : state) {
    std::vector<Tensor> out;
    out.reserve(64);
    for (int64_t i = 0; i < 64; ++i) out.push_back(matmul(a[i], b[i]));
    Tensor c = stack(out);
    benchmark::DoNotOptimize(c.impl());
  }
}
BENCHMARK(BM_LoopMatmul)->Unit(benchmark::kMicrosecond)->UseRealTime();

// ---- per-op overhead on tiny tensors: batch 2 of 4 elements ----
// BM_OpUnderVmap runs the op on the BatchedTensor inside the mapped
// function; BM_OpFastPath runs it on the (2, 4) physical tensor directly.
// Their difference is what one vmap level adds per op.

enum Op { kAdd = 0, kExp = 1, kSum = 2 };

Tensor run_op(int op, const Tensor& a, const Tensor& b) {
  switch (op) {
    case kAdd:
      return add(a, b);
    case kExp:
      return exp(a);
    default:
      return sum(a, {-1});
  }
}

void BM_OpFastPath(benchmark::State& state) {
  const Tensor a = randn({2, 4}), b = randn({2, 4});
  for (auto _ : state) {
    Tensor c = run_op(static_cast<int>(state.range(0)), a, b);
    benchmark::DoNotOptimize(c.impl());
  }
}
BENCHMARK(BM_OpFastPath)->DenseRange(kAdd, kSum);

void BM_OpUnderVmap(benchmark::State& state) {
  const Tensor a = randn({2, 4}), b = randn({2, 4});
  vmap([&](const Tensor& x, const Tensor& y) {
    for (auto _ : state) {
      Tensor c = run_op(static_cast<int>(state.range(0)), x, y);
      benchmark::DoNotOptimize(c.impl());
    }
    return x;
  })(a, b);
}
BENCHMARK(BM_OpUnderVmap)->DenseRange(kAdd, kSum);

// ---- the cost of one vmap call on a tiny function ----
// f(x) = sum(sin(x) * x) over 8 elements, mapped over a batch of 8: (8, 8)
// in, (8) out. Args: batch, in.

void BM_VmapTiny(benchmark::State& state) {
  Generator gen(3);
  const Tensor x =
      randn({state.range(0), state.range(1)}, DType::Float32, &gen);
  auto batched = vmap([](const Tensor& t) { return (sin(t) * t).sum(); });
  for (auto _ : state) {
    Tensor y = batched(x);
    benchmark::DoNotOptimize(y.impl());
  }
}
BENCHMARK(BM_VmapTiny)
    ->ArgNames({"batch", "in"})
    ->Args({8, 8})
    ->Unit(benchmark::kMicrosecond);

// ---- model ensembling (functorch's tutorial): 10 MLPs 784-128-128-10 ----

ParamDict mlp_params(int64_t models) {
  auto p = [models](std::initializer_list<int64_t> shape) {
    Shape s(shape);
    if (models > 0) s.insert(s.begin(), models);
    return randn(s) * 0.05;
  };
  return ParamDict{{"w1", p({128, 784})}, {"b1", p({128})},
                   {"w2", p({128, 128})}, {"b2", p({128})},
                   {"w3", p({10, 128})},  {"b3", p({10})}};
}

Tensor mlp(const ParamDict& p, const Tensor& x) {
  Tensor h = relu(linear(x, p.at("w1"), p.at("b1")));
  h = relu(linear(h, p.at("w2"), p.at("b2")));
  return linear(h, p.at("w3"), p.at("b3"));
}

void BM_VmapEnsemble(benchmark::State& state) {
  const ParamDict stacked = mlp_params(10);
  const Tensor data = randn({64, 784});
  auto ensemble = vmap(mlp, {0, none});
  for (auto _ : state) {
    Tensor y = ensemble(stacked, data);  // (10, 64, 10)
    benchmark::DoNotOptimize(y.impl());
  }
}
BENCHMARK(BM_VmapEnsemble)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_LoopEnsemble(benchmark::State& state) {
  std::vector<ParamDict> models;
  for (int i = 0; i < 10; ++i) models.push_back(mlp_params(0));
  const Tensor data = randn({64, 784});
  for (auto _ : state) {
    std::vector<Tensor> out;
    out.reserve(models.size());
    for (const ParamDict& m : models) out.push_back(mlp(m, data));
    Tensor y = stack(out);
    benchmark::DoNotOptimize(y.impl());
  }
}
BENCHMARK(BM_LoopEnsemble)->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace
}  // namespace fnx
