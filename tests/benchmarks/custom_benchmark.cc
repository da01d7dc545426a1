// Custom functions and checkpointing (transforms/custom):
//  - a 16-layer MLP (width 1024, batch 256, float32, layer = gelu(x W + b)),
//    grad with and without every layer checkpointed: time, and peak bytes
//    above what was live before the call (counter peak_MiB), for the
//    gradient with respect to the input (activation memory: what
//    checkpointing saves) and with respect to every weight (which adds the
//    weights' gradients, 64 MiB, to both);
//  - per-sample gradients (vmap(grad)) of a function with a custom vjp and
//    a user vmap rule against the same function built from primitives.
// Run: bazel run --config=opt //tests/benchmarks:custom_benchmark
#include <vector>

#include "benchmark/benchmark.h"
#include "fnx.h"

namespace fnx {
namespace {

constexpr int kLayers = 16;
constexpr int64_t kWidth = 1024, kBatch = 256;

struct Mlp {
  std::vector<Tensor> w, b;
};
FNX_TREE_STRUCT(Mlp, w, b);

const Mlp& mlp() {
  static const Mlp m = [] {
    Generator gen(1);
    Mlp m;
    for (int i = 0; i < kLayers; ++i) {
      m.w.push_back(randn({kWidth, kWidth}, DType::Float32, &gen) * 0.03);
      m.b.push_back(zeros({kWidth}));
    }
    return m;
  }();
  return m;
}

const Tensor& input() {
  static const Tensor x = [] {
    Generator gen(2);
    return randn({kBatch, kWidth}, DType::Float32, &gen);
  }();
  return x;
}

Tensor layer(const Tensor& x, const Tensor& w, const Tensor& b) {
  return gelu(matmul(x, w) + b);
}

Tensor forward(const Mlp& m, const Tensor& x, bool ckpt) {
  static const auto checkpointed = checkpoint(layer);
  Tensor h = x;
  for (int i = 0; i < kLayers; ++i) {
    h = ckpt ? checkpointed(h, m.w[i], m.b[i]) : layer(h, m.w[i], m.b[i]);
  }
  return h.sum();
}

// range(0): checkpointed; range(1): 0 = gradient w.r.t. the input, 1 =
// w.r.t. the weights.
void BM_MlpGrad(benchmark::State& state) {
  const bool ckpt = state.range(0) != 0;
  const bool weights = state.range(1) != 0;
  const Mlp& m = mlp();
  const Tensor& x = input();
  int64_t peak = 0;
  for (auto _ : state) {
    reset_peak_memory();
    const int64_t before = memory_stats().live_bytes;
    if (weights) {
      Mlp g = grad([&](const Mlp& p) { return forward(p, x, ckpt); })(m);
      benchmark::DoNotOptimize(g.w[0].data<float>());
    } else {
      Tensor g = grad([&](const Tensor& x) { return forward(m, x, ckpt); })(x);
      benchmark::DoNotOptimize(g.data<float>());
    }
    peak = std::max(peak, memory_stats().peak_bytes - before);
  }
  state.counters["peak_MiB"] = static_cast<double>(peak) / (1 << 20);
  state.SetLabel(std::string(ckpt ? "checkpointed" : "plain") +
                 (weights ? ", d/dweights" : ", d/dinput"));
}
BENCHMARK(BM_MlpGrad)
    ->Args({0, 0})
    ->Args({1, 0})
    ->Args({0, 1})
    ->Args({1, 1})
    ->Unit(benchmark::kMillisecond);

// tanh(x w) as primitives, and as a custom function with a custom vjp (in
// public ops) and a vmap rule that makes one batched matmul.
Tensor dense_tanh(const Tensor& x, const Tensor& w) {
  return tanh(matmul(x, w));
}

Tensor batch_first(const Tensor& t, int64_t dim, int64_t size) {
  if (dim >= 0) return movedim(t, dim, 0);
  Shape s = t.shape();
  s.insert(s.begin(), size);
  return expand(unsqueeze(t, 0), s);
}

Tensor custom_dense_tanh(const Tensor& x, const Tensor& w) {
  static const auto fn = custom_function(
      dense_tanh,
      {.vjp = {.bwd =
                   [](const TensorList& r, const Tensor& g) {
                     // r: x, w, y
                     const Tensor gz = g * (1.0 - square(r[2]));
                     return TensorList{matmul(gz, transpose(r[1], 0, 1)),
                                       matmul(transpose(r[0], -1, -2), gz)};
                   }},
       .vmap =
           [](const VmapInfo& info, const Tensor& x, const Tensor& w) {
             const int64_t n = info.batch_size;
             const Tensor xb = batch_first(x, info.in_dims[0], n);
             if (info.in_dims[1] < 0) {  // shared weights: one plain matmul
               return std::pair{tanh(matmul(xb, w)), std::vector<int64_t>{0}};
             }
             return std::pair{
                 tanh(matmul(xb, batch_first(w, info.in_dims[1], n))),
                 std::vector<int64_t>{0}};
           },
       .name = "dense_tanh"});
  return fn(x, w);
}

// Per-sample gradients of sum(f(x, w)^2) with respect to w, batch 64,
// x of (8, 256) per example, w (256, 256).
template <Tensor (*F)(const Tensor&, const Tensor&)>
void BM_PerSampleGrad(benchmark::State& state) {
  Generator gen(3);
  const Tensor xs = randn({64, 8, 256}, DType::Float32, &gen);
  const Tensor w = randn({256, 256}, DType::Float32, &gen) * 0.05;
  auto loss = [](const Tensor& w, const Tensor& x) {
    return square(F(x, w)).sum();
  };
  for (auto _ : state) {
    Tensor g = vmap(grad(loss), {none, 0})(w, xs);
    benchmark::DoNotOptimize(g.data<float>());
  }
}
BENCHMARK(BM_PerSampleGrad<dense_tanh>)
    ->Name("BM_PerSampleGrad/primitives")
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PerSampleGrad<custom_dense_tanh>)
    ->Name("BM_PerSampleGrad/custom_vjp_and_vmap_rule")
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace fnx
