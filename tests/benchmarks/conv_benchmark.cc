// conv2d at the shapes of the torch.func per-sample-gradient tutorial CNN
// (batch 64, 1x28x28 -> 32 ch 3x3 -> 64 ch 3x3): forward and both
// backward convolutions (input grad, weight grad), with GFLOP/s.
#include "benchmark/benchmark.h"
#include "core/ops/ops.h"

namespace fnx {
namespace {

struct Layer {
  int64_t c_in, c_out, hw;  // input spatial size (square)
};
constexpr Layer kLayers[] = {{1, 32, 28}, {32, 64, 26}};
constexpr int64_t kBatch = 64, kKernel = 3;

double layer_flops(const Layer& l) {
  const int64_t out = l.hw - kKernel + 1;
  return 2.0 * kBatch * l.c_out * out * out * l.c_in * kKernel * kKernel;
}

void set_flops(benchmark::State& state, const Layer& l) {
  state.counters["GFLOP/s"] = benchmark::Counter(
      layer_flops(l) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate, benchmark::Counter::kIs1000);
}

void BM_Conv2dForward(benchmark::State& state) {
  const Layer& l = kLayers[state.range(0)];
  Generator gen(1);
  const Tensor x = randn({kBatch, l.c_in, l.hw, l.hw}, DType::Float32, &gen);
  const Tensor w = randn({l.c_out, l.c_in, kKernel, kKernel}, DType::Float32, &gen);
  for (auto _ : state) {
    Tensor y = conv(x, w, {});
    benchmark::DoNotOptimize(y.raw_data());
  }
  set_flops(state, l);
}

void BM_Conv2dInputGrad(benchmark::State& state) {
  const Layer& l = kLayers[state.range(0)];
  Generator gen(1);
  const int64_t out = l.hw - kKernel + 1;
  const Tensor gy = randn({kBatch, l.c_out, out, out}, DType::Float32, &gen);
  const Tensor w = randn({l.c_out, l.c_in, kKernel, kKernel}, DType::Float32, &gen);
  for (auto _ : state) {
    Tensor gx = conv_input_grad(gy, w, {kBatch, l.c_in, l.hw, l.hw}, {});
    benchmark::DoNotOptimize(gx.raw_data());
  }
  set_flops(state, l);
}

void BM_Conv2dWeightGrad(benchmark::State& state) {
  const Layer& l = kLayers[state.range(0)];
  Generator gen(1);
  const int64_t out = l.hw - kKernel + 1;
  const Tensor x = randn({kBatch, l.c_in, l.hw, l.hw}, DType::Float32, &gen);
  const Tensor gy = randn({kBatch, l.c_out, out, out}, DType::Float32, &gen);
  for (auto _ : state) {
    Tensor gw = conv_weight_grad(x, gy, {l.c_out, l.c_in, kKernel, kKernel}, {});
    benchmark::DoNotOptimize(gw.raw_data());
  }
  set_flops(state, l);
}

// Arg 0: conv1 (1 -> 32), arg 1: conv2 (32 -> 64).
BENCHMARK(BM_Conv2dForward)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Conv2dInputGrad)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Conv2dWeightGrad)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace fnx
