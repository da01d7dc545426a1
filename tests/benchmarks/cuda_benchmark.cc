// CUDA benchmarks (run on a GPU with --config=cuda --config=opt; the device
// script tools/device/cuda_checks.sh runs them next to PyTorch through
// tests/benchmarks/cuda_vs_torch.py):
//  - SGEMM 4096 and 8192 through fnx::matmul and through cublasSgemm
//    directly (the same cuBLAS, TF32 off): the ratio should be >= 0.95;
//    counters give TFLOP/s and the fraction of the H100's 67 TFLOP/s FP32;
//  - elementwise add of 2^28 floats: bytes moved (2 reads + 1 write) per
//    second and the fraction of the device's peak memory bandwidth (goal
//    >= 0.8), next to a device-to-device cudaMemcpy of the same bytes;
//  - per-sample gradients of the torch.func tutorial CNN, batch 64 and
//    512, with vmap(grad) on the device;
//  - max pooling at that CNN's shape for batch 512 (forward, and forward
//    plus gradient), log_softmax and softmax over the rows of a (4096, 1000)
//    matrix (a warp per row), and the sum over the rows of a
//    (32768, 4096) matrix (results adjacent in memory: the columns path)
//    as a fraction of peak memory bandwidth.
// Every timed iteration ends with the device synchronized.
#include <cublas_v2.h>
#include <cuda_runtime_api.h>

#include <cmath>
#include <cstdio>

#include "backends/cuda/cuda.h"
#include "benchmark/benchmark.h"
#include "core/dispatch.h"
#include "core/ops/ops.h"
#include "core/param_dict.h"
#include "tests/testing/tutorial_cnn.h"
#include "transforms/grad/grad.h"
#include "transforms/vmap/vmap.h"

namespace fnx {
namespace {

constexpr double kH100Fp32Peak = 67e12;

const Device kDev = Device::cuda(0);

bool have_gpu(benchmark::State& state) {
  if (cuda::is_available()) return true;
  state.SkipWithError("no CUDA device");
  return false;
}

double peak_bandwidth() {
  int clock_khz = 0, bus_bits = 0;
  cudaDeviceGetAttribute(&clock_khz, cudaDevAttrMemoryClockRate, 0);
  cudaDeviceGetAttribute(&bus_bits, cudaDevAttrGlobalMemoryBusWidth, 0);
  const double bw = 2.0 * clock_khz * 1e3 * bus_bits / 8.0;  // double data rate
  return bw > 0 ? bw : 3.35e12;  // attributes unavailable: H100 SXM's 3.35 TB/s
}

void set_flops(benchmark::State& state, double flops_per_iter) {
  state.counters["TFLOPs"] = benchmark::Counter(
      flops_per_iter * 1e-12, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_FnxSgemm(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const int64_t n = state.range(0);
  Generator gen(0);
  const Tensor a = randn({n, n}, DType::Float32, &gen, kDev);
  const Tensor b = randn({n, n}, DType::Float32, &gen, kDev);
  (void)matmul(a, b);
  cuda::synchronize();
  for (auto _ : state) {
    Tensor c = matmul(a, b);
    cuda::synchronize();
    benchmark::DoNotOptimize(c.impl());
  }
  set_flops(state, 2.0 * n * n * n);
  state.counters["peak_frac"] =
      benchmark::Counter(2.0 * n * n * n / kH100Fp32Peak,
                         benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_FnxSgemm)
    ->Arg(4096)
    ->Arg(8192)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_CublasSgemm(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const int n = static_cast<int>(state.range(0));
  const std::size_t bytes = sizeof(float) * n * n;
  void *pa, *pb, *pc;
  cudaMalloc(&pa, bytes);
  cudaMalloc(&pb, bytes);
  cudaMalloc(&pc, bytes);
  float* a = static_cast<float*>(pa);
  float* b = static_cast<float*>(pb);
  float* c = static_cast<float*>(pc);
  cudaMemset(a, 0, bytes);
  cudaMemset(b, 0, bytes);
  cublasHandle_t h;
  cublasCreate(&h);
  cublasSetMathMode(h, CUBLAS_DEFAULT_MATH);
  const float one = 1, zero = 0;
  cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, a, n, b, n, &zero, c,
              n);
  cudaDeviceSynchronize();
  for (auto _ : state) {
    cublasSgemm(h, CUBLAS_OP_N, CUBLAS_OP_N, n, n, n, &one, a, n, b, n, &zero,
                c, n);
    cudaDeviceSynchronize();
  }
  set_flops(state, 2.0 * n * n * n);
  state.counters["peak_frac"] =
      benchmark::Counter(2.0 * n * n * n / kH100Fp32Peak,
                         benchmark::Counter::kIsIterationInvariantRate);
  cublasDestroy(h);
  cudaFree(a);
  cudaFree(b);
  cudaFree(c);
}
BENCHMARK(BM_CublasSgemm)
    ->Arg(4096)
    ->Arg(8192)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

constexpr int64_t kAddN = int64_t{1} << 28;

void BM_FnxAdd(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const Tensor a = full({kAddN}, 1.0, DType::Float32, kDev);
  const Tensor b = full({kAddN}, 2.0, DType::Float32, kDev);
  (void)(a + b);
  cuda::synchronize();
  for (auto _ : state) {
    Tensor c = a + b;
    cuda::synchronize();
    benchmark::DoNotOptimize(c.impl());
  }
  const double bytes = 3.0 * 4.0 * kAddN;
  state.SetBytesProcessed(static_cast<int64_t>(bytes) * state.iterations());
  state.counters["hbm_frac"] = benchmark::Counter(
      bytes / peak_bandwidth(), benchmark::Counter::kIsIterationInvariantRate);
  state.counters["peak_GBps"] = peak_bandwidth() * 1e-9;
}
BENCHMARK(BM_FnxAdd)->Unit(benchmark::kMillisecond)->UseRealTime();

// A device-to-device copy of the same bytes: what the memory system gives
// a plain streaming kernel.
void BM_CudaMemcpyD2D(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const std::size_t bytes = 4 * static_cast<std::size_t>(kAddN);
  void *src, *dst;
  cudaMalloc(&src, bytes);
  cudaMalloc(&dst, bytes);
  cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToDevice);
  cudaDeviceSynchronize();
  for (auto _ : state) {
    cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToDevice);
    cudaDeviceSynchronize();
  }
  state.SetBytesProcessed(static_cast<int64_t>(2 * bytes) * state.iterations());
  state.counters["hbm_frac"] =
      benchmark::Counter(2.0 * bytes / peak_bandwidth(),
                         benchmark::Counter::kIsIterationInvariantRate);
  cudaFree(src);
  cudaFree(dst);
}
BENCHMARK(BM_CudaMemcpyD2D)->Unit(benchmark::kMillisecond)->UseRealTime();

// ---- per-sample gradients of the torch.func tutorial CNN ----

using testing::example_loss;

void BM_FnxPerSampleGradCnn(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const int64_t batch = state.range(0);
  const ParamDict params = testing::cnn_params(kDev);
  Generator gen(1);
  const Tensor samples = randn({batch, 1, 28, 28}, DType::Float32, &gen, kDev);
  const Tensor targets = randint(0, 10, {batch}, DType::Int64, &gen, kDev);
  auto per_sample = vmap(grad(example_loss), {none, 0, 0});
  (void)per_sample(params, samples, targets);  // plans, caches
  cuda::synchronize();
  const int64_t kernels_before = kernel_calls();
  for (auto _ : state) {
    ParamDict g = per_sample(params, samples, targets);
    cuda::synchronize();
    benchmark::DoNotOptimize(g.at("fc1.weight").impl());
  }
  state.SetItemsProcessed(state.iterations() * batch);
  // fnx kernels per step (each one launch, cuBLAS or cuDNN call, or view).
  state.counters["kernels"] =
      static_cast<double>(kernel_calls() - kernels_before) /
      static_cast<double>(state.iterations());
}
BENCHMARK(BM_FnxPerSampleGradCnn)
    ->Arg(64)
    ->Arg(512)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// ---- max pooling and row reductions ----

constexpr int64_t kPoolBatch = 512;
const PoolOptions kPool2{{2, 2}};

// Arg 0: forward only; arg 1: forward and the gradient of a random
// cotangent (max_pool_scatter), as a training step runs them.
void BM_FnxMaxPool(benchmark::State& state) {
  if (!have_gpu(state)) return;
  Generator gen(2);
  const Tensor x = randn({kPoolBatch, 64, 24, 24}, DType::Float32, &gen, kDev);
  const Tensor g = randn({kPoolBatch, 64, 12, 12}, DType::Float32, &gen, kDev);
  const bool backward = state.range(0) == 1;
  (void)max_pool2d(x, kPool2);
  cuda::synchronize();
  for (auto _ : state) {
    Tensor y = max_pool2d(x, kPool2);
    if (backward) y = max_pool_scatter(x, g, kPool2);
    cuda::synchronize();
    benchmark::DoNotOptimize(y.impl());
  }
}
BENCHMARK(BM_FnxMaxPool)
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// Arg 0: log_softmax; arg 1: softmax.
void BM_FnxSoftmaxRows(benchmark::State& state) {
  if (!have_gpu(state)) return;
  Generator gen(3);
  const Tensor x = randn({4096, 1000}, DType::Float32, &gen, kDev);
  const bool log_space = state.range(0) == 0;
  auto op = [&] { return log_space ? log_softmax(x, 1) : softmax(x, 1); };
  (void)op();
  cuda::synchronize();
  for (auto _ : state) {
    Tensor y = op();
    cuda::synchronize();
    benchmark::DoNotOptimize(y.impl());
  }
}
BENCHMARK(BM_FnxSoftmaxRows)
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// sum(x, 0): 4096 results adjacent in memory, each over 32768 rows (512 MiB
// read once).
void BM_FnxSumOverRows(benchmark::State& state) {
  if (!have_gpu(state)) return;
  const Tensor x = full({32768, 4096}, 1.0, DType::Float32, kDev);
  (void)sum(x, {0});
  cuda::synchronize();
  for (auto _ : state) {
    Tensor y = sum(x, {0});
    cuda::synchronize();
    benchmark::DoNotOptimize(y.impl());
  }
  const double bytes = 4.0 * static_cast<double>(x.numel());
  state.SetBytesProcessed(static_cast<int64_t>(bytes) * state.iterations());
  state.counters["hbm_frac"] = benchmark::Counter(
      bytes / peak_bandwidth(), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_FnxSumOverRows)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace fnx
