// Control flow (transforms/control):
//  - grad of a 1000-step RNN (hidden 64, input 32, batch 16, float32,
//    h' = tanh(h W + x U)) with respect to its weights: the unrolled eager
//    loop, scan, and scan with the carry checkpointed every 32 steps; time
//    and peak bytes above what was live before the call (peak_MiB);
//  - an adaptive-step integrator (dy/dt = -k y on [0, 1], the step shrinks
//    where |k y| is large, so examples take 20 to 600 steps) for 256
//    values of k: vmap of a while_loop against a per-example loop.
// Run: bazel run --config=opt //tests/benchmarks:control_benchmark
#include <algorithm>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "benchmark/benchmark.h"
#include "fnx.h"

namespace fnx {
namespace {

constexpr int64_t kSteps = 1000, kHidden = 64, kInput = 32, kBatch = 16;

struct Rnn {
  Tensor w, u;
};
FNX_TREE_STRUCT(Rnn, w, u);

const Rnn& weights() {
  static const Rnn p = [] {
    Generator gen(1);
    return Rnn{randn({kHidden, kHidden}, DType::Float32, &gen) * 0.1,
               randn({kInput, kHidden}, DType::Float32, &gen) * 0.1};
  }();
  return p;
}

const Tensor& sequence() {
  static const Tensor xs = [] {
    Generator gen(2);
    return randn({kSteps, kBatch, kInput}, DType::Float32, &gen);
  }();
  return xs;
}

Tensor cell(const Rnn& p, const Tensor& h, const Tensor& x) {
  return tanh(matmul(h, p.w) + matmul(x, p.u));
}

Tensor unrolled(const Rnn& p, const Tensor& xs) {
  Tensor h = zeros({kBatch, kHidden});
  for (int64_t t = 0; t < kSteps; ++t) h = cell(p, h, xs.select(0, t));
  return h.sum();
}

Tensor scanned(const Rnn& p, const Tensor& xs) {
  auto step = [&](const Tensor& h, const Tensor& x) {
    return std::pair{cell(p, h, x), std::tuple<>{}};
  };
  return scan(step, zeros({kBatch, kHidden}), xs).first.sum();
}

// The weights travel in the carry: a checkpointed step takes what it
// differentiates as arguments.
Tensor checkpointed(const Rnn& p, const Tensor& xs) {
  using Carry = std::pair<Tensor, Rnn>;
  auto step = [](const Carry& c, const Tensor& x) {
    return std::pair{Carry{cell(c.second, c.first, x), c.second},
                     std::tuple<>{}};
  };
  return scan(step, Carry{zeros({kBatch, kHidden}), p}, xs,
              {.checkpoint_every = 32})
      .first.first.sum();
}

// range(0): 0 unrolled, 1 scan, 2 scan with checkpointed carries.
void BM_RnnGrad(benchmark::State& state) {
  const int mode = static_cast<int>(state.range(0));
  const Rnn& p = weights();
  const Tensor& xs = sequence();
  int64_t peak = 0;
  for (auto _ : state) {
    reset_peak_memory();
    const int64_t before = memory_stats().live_bytes;
    Rnn g = grad([&](const Rnn& q) {
      return mode == 0   ? unrolled(q, xs)
             : mode == 1 ? scanned(q, xs)
                         : checkpointed(q, xs);
    })(p);
    benchmark::DoNotOptimize(g.w.data<float>());
    peak = std::max(peak, memory_stats().peak_bytes - before);
  }
  state.counters["peak_MiB"] = static_cast<double>(peak) / (1 << 20);
  state.SetLabel(mode == 0   ? "unrolled loop"
                 : mode == 1 ? "scan"
                             : "scan, checkpoint_every 32");
}
BENCHMARK(BM_RnnGrad)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

using Ode = std::tuple<Tensor, Tensor, Tensor>;  // t, y, steps

Ode integrate(const Tensor& k) {
  return while_loop([](const Ode& c) { return std::get<0>(c) < 1.0 - 1e-6; },
                    [&](const Ode& c) {
                      const auto& [t, y, n] = c;
                      const Tensor h =
                          minimum(0.05 / (1.0 + abs(k * y) * 4.0), 1.0 - t);
                      return Ode{t + h, y - h * k * y, n + 1.0};
                    },
                    Ode{zeros_like(k), ones_like(k), zeros_like(k)});
}

const Tensor& rates() {
  static const Tensor k = linspace(0.1, 150.0, 256);
  return k;
}

// range(0): 0 per-example loop, 1 vmap of the while_loop.
void BM_IntegratorBatch(benchmark::State& state) {
  const bool batched = state.range(0) != 0;
  const Tensor& ks = rates();
  double total_steps = 0;
  for (auto _ : state) {
    Tensor y;
    if (batched) {
      y = vmap([](const Tensor& k) { return std::get<1>(integrate(k)); })(ks);
    } else {
      std::vector<Tensor> ys;
      for (int64_t i = 0; i < ks.shape()[0]; ++i) {
        ys.push_back(std::get<1>(integrate(ks.select(0, i))));
      }
      y = stack(ys, 0);
    }
    benchmark::DoNotOptimize(y.data<float>());
  }
  const Tensor n =
      vmap([](const Tensor& k) { return std::get<2>(integrate(k)); })(ks);
  total_steps = n.sum().item<double>();
  state.counters["min_steps"] = amin(n).item<double>();
  state.counters["max_steps"] = amax(n).item<double>();
  state.counters["total_steps"] = total_steps;
  state.SetLabel(batched ? "vmap(while_loop)" : "per-example loop");
}
BENCHMARK(BM_IntegratorBatch)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace fnx
