// compile (transforms/compile) against eager:
//  - gelu on (32, 1000, 4096) float32 (one fused pass over memory against
//    the composite's kernels; the target is >= 3x, and within 1.2x
//    of the bandwidth limit: the faster of the BM_Bandwidth rows);
//  - a chain of 100 tiny elementwise ops on 8 elements (one fused kernel
//    against 100 dispatches; target >= 10x);
//  - grad of a small MLP loss, compiled (the compiled vjp rule) and eager;
//  - jacrev and jacfwd of a tanh layer, compiled (eager: jvp_benchmark).
// Run: bazel run --config=opt //tests/benchmarks:compile_benchmark
#include <emmintrin.h>

#include <cstring>
#include <thread>
#include <vector>

#include "benchmark/benchmark.h"
#include "fnx.h"

namespace fnx {
namespace {

const Tensor& big() {
  static const Tensor x = randn({32, 1000, 4096});
  return x;
}

Tensor gelu_fn(const Tensor& x) { return gelu(x); }

void BM_GeluEager(benchmark::State& state) {
  const Tensor& x = big();
  for (auto _ : state) benchmark::DoNotOptimize(gelu(x));
  state.SetBytesProcessed(state.iterations() * x.numel() * 8);
}
BENCHMARK(BM_GeluEager)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_GeluCompiled(benchmark::State& state) {
  const Tensor& x = big();
  auto f = compile(gelu_fn);
  f(x);
  for (auto _ : state) benchmark::DoNotOptimize(f(x));
  state.SetBytesProcessed(state.iterations() * x.numel() * 8);
}
BENCHMARK(BM_GeluCompiled)->Unit(benchmark::kMillisecond)->UseRealTime();

// The memory-bandwidth limit of a one-pass elementwise op on big(): read
// its bytes and write as many, on get_num_threads() threads (gelu's thread
// count), each copying one contiguous chunk into an output allocated once
// (no page faults count). Two ways, the faster one being the limit: glibc's
// memcpy, and a loop of 16-byte non-temporal stores (no read of the
// destination before it is written: the fused runner's way for large
// results). The target for compiled gelu is within 1.2x of it.
template <bool kNonTemporal>
void BM_StreamCopyBandwidth(benchmark::State& state) {
  const Tensor& x = big();
  const Tensor out = zeros_like(x);
  const auto* src = static_cast<const char*>(x.raw_data());
  auto* dst = static_cast<char*>(out.raw_data());
  const int64_t bytes = x.numel() * 4;
  const int threads = get_num_threads();
  auto copy_part = [&](int t) {
    const int64_t begin = bytes * t / threads / 64 * 64;
    const int64_t end =
        t + 1 == threads ? bytes : bytes * (t + 1) / threads / 64 * 64;
    if constexpr (kNonTemporal) {
      int64_t i = begin;
      for (; i + 16 <= end; i += 16) {
        _mm_stream_si128(
            reinterpret_cast<__m128i*>(dst + i),
            _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i)));
      }
      std::memcpy(dst + i, src + i, static_cast<std::size_t>(end - i));
      _mm_sfence();
    } else {
      std::memcpy(dst + begin, src + begin,
                  static_cast<std::size_t>(end - begin));
    }
  };
  for (auto _ : state) {
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(copy_part, t);
    copy_part(0);
    for (std::thread& th : pool) th.join();
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * bytes * 2);
  state.counters["threads"] = threads;
}
BENCHMARK(BM_StreamCopyBandwidth<false>)
    ->Name("BM_BandwidthMemcpy")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_StreamCopyBandwidth<true>)
    ->Name("BM_BandwidthNonTemporal")
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

Tensor chain(const Tensor& x) {
  Tensor y = x;
  for (int i = 0; i < 25; ++i) y = tanh(sin(y) * 1.01 + 0.5) - 0.25;
  return y;
}

void BM_TinyChainEager(benchmark::State& state) {
  const Tensor x = randn({8});
  for (auto _ : state) benchmark::DoNotOptimize(chain(x));
}
BENCHMARK(BM_TinyChainEager);

void BM_TinyChainCompiled(benchmark::State& state) {
  const Tensor x = randn({8});
  auto f = compile(chain);
  f(x);
  for (auto _ : state) benchmark::DoNotOptimize(f(x));
}
BENCHMARK(BM_TinyChainCompiled);

Tensor mlp_loss(const Tensor& w1, const Tensor& w2, const Tensor& x) {
  const Tensor d = tanh(matmul(tanh(matmul(x, w1)), w2)) - 0.5;
  return (d * d).mean();
}

void BM_MlpGradEager(benchmark::State& state) {
  const Tensor w1 = randn({64, 64}), w2 = randn({64, 8}), x = randn({32, 64});
  auto g = grad<0, 1>(mlp_loss);
  for (auto _ : state) benchmark::DoNotOptimize(g(w1, w2, x));
}
BENCHMARK(BM_MlpGradEager);

void BM_MlpGradCompiled(benchmark::State& state) {
  const Tensor w1 = randn({64, 64}), w2 = randn({64, 8}), x = randn({32, 64});
  auto g = compile(grad<0, 1>(mlp_loss));
  g(w1, w2, x);
  for (auto _ : state) benchmark::DoNotOptimize(g(w1, w2, x));
}
BENCHMARK(BM_MlpGradCompiled);

// grad of a compiled function: the compiled call's vjp rule (a forward
// graph saving the residuals, a backward graph reading them).
void BM_MlpGradOfCompiled(benchmark::State& state) {
  const Tensor w1 = randn({64, 64}), w2 = randn({64, 8}), x = randn({32, 64});
  auto g = grad<0, 1>(compile(mlp_loss));
  for (int warm = 0; warm < 3; ++warm) g(w1, w2, x);
  for (auto _ : state) benchmark::DoNotOptimize(g(w1, w2, x));
}
BENCHMARK(BM_MlpGradOfCompiled);

// The same through dropout: a graph with random nodes, which gets compiled
// rules too.
Tensor mlp_dropout_loss(const Tensor& w1, const Tensor& w2, const Tensor& x) {
  const Tensor h = dropout(tanh(matmul(x, w1)), 0.1);
  const Tensor d = tanh(matmul(h, w2)) - 0.5;
  return (d * d).mean();
}

void BM_MlpDropoutGradEager(benchmark::State& state) {
  const Tensor w1 = randn({64, 64}), w2 = randn({64, 8}), x = randn({32, 64});
  auto g = grad<0, 1>(mlp_dropout_loss);
  for (auto _ : state) benchmark::DoNotOptimize(g(w1, w2, x));
}
BENCHMARK(BM_MlpDropoutGradEager);

void BM_MlpDropoutGradOfCompiled(benchmark::State& state) {
  const Tensor w1 = randn({64, 64}), w2 = randn({64, 8}), x = randn({32, 64});
  auto g = grad<0, 1>(compile(mlp_dropout_loss));
  for (int warm = 0; warm < 3; ++warm) g(w1, w2, x);
  for (auto _ : state) benchmark::DoNotOptimize(g(w1, w2, x));
}
BENCHMARK(BM_MlpDropoutGradOfCompiled);

// jacrev and jacfwd of tanh(W x + b), compiled: the products of the
// identity basis with W become row selections (basis_products.cc). The
// eager rows are BM_Jacrev and BM_Jacfwd in jvp_benchmark, with the same
// layer; tests/benchmarks/peers_compare.py puts JAX jit beside both.
Tensor predict(const Tensor& w, const Tensor& b, const Tensor& x) {
  return tanh(linear(x, w, b));
}

template <bool kReverse>
void BM_JacobianCompiled(benchmark::State& state) {
  const int64_t din = state.range(0), dout = state.range(1);
  Generator gen(0);
  const Tensor w = randn({dout, din}, DType::Float32, &gen);
  const Tensor b = randn({dout}, DType::Float32, &gen);
  const Tensor x = randn({din}, DType::Float32, &gen);
  auto jac = [&] {
    if constexpr (kReverse) {
      return compile(jacrev<2>(predict));
    } else {
      return compile(jacfwd<2>(predict));
    }
  }();
  jac(w, b, x);
  for (auto _ : state) benchmark::DoNotOptimize(jac(w, b, x));
}
BENCHMARK(BM_JacobianCompiled<true>)
    ->Name("BM_JacrevCompiled")
    ->ArgNames({"in", "out"})
    ->Args({16, 16})
    ->Args({32, 2048})
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_JacobianCompiled<false>)
    ->Name("BM_JacfwdCompiled")
    ->ArgNames({"in", "out"})
    ->Args({2048, 32})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace fnx
