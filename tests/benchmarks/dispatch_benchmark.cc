// Dispatch overhead: the cost of one op on tiny tensors, on the fast path
// (no transform active) and through one pass-through interpreter level.
#include "benchmark/benchmark.h"
#include "core/dispatch.h"
#include "core/interpreter.h"
#include "core/ops/ops.h"

namespace fnx {
namespace {

void BM_AddOneElementFastPath(benchmark::State& state) {
  const Tensor a = full({1}, 1.0), b = full({1}, 2.0);
  for (auto _ : state) {
    Tensor c = add(a, b);
    benchmark::DoNotOptimize(c.impl());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AddOneElementFastPath);

void BM_MulScalarOperand(benchmark::State& state) {
  const Tensor a = full({1}, 1.0);
  for (auto _ : state) {
    Tensor c = a * 2.0;  // allocates the 0-d scalar too: two dispatches
    benchmark::DoNotOptimize(c.impl());
  }
}
BENCHMARK(BM_MulScalarOperand);

void BM_ViewFastPath(benchmark::State& state) {
  const Tensor a = zeros({4, 8});
  for (auto _ : state) {
    Tensor v = a.slice(1, 0, 4);
    benchmark::DoNotOptimize(v.impl());
  }
}
BENCHMARK(BM_ViewFastPath);

// A level that only unwraps, runs the op below and rewraps: the floor of
// what any transform adds per op.
class PassThrough final : public Interpreter {
 public:
  PassThrough() : Interpreter("pass") {}
  Tensor wrap(const Tensor& t) const {
    return make_wrapper(t, t.shape(), t.dtype(), nullptr);
  }
  Tensor process(const OpCall& call) override {
    Tensor inner[3];
    std::size_t n = 0;
    for (const Tensor& t : call.inputs) {
      inner[n++] = owns(t) ? t.impl()->wrapper->inner : t;
    }
    return wrap(dispatch(call.prim, call.attrs, std::span<const Tensor>(inner, n)));
  }
};

void BM_AddOneElementOneLevel(benchmark::State& state) {
  PassThrough level;
  InterpreterScope scope(level);
  const Tensor a = level.wrap(full({1}, 1.0)), b = level.wrap(full({1}, 2.0));
  for (auto _ : state) {
    Tensor c = add(a, b);
    benchmark::DoNotOptimize(c.impl());
  }
}
BENCHMARK(BM_AddOneElementOneLevel);

}  // namespace
}  // namespace fnx
