// vmap, grad, jvp and their compositions on CUDA over the op database:
// for every differentiable entry and float32 sample, each transform runs on
// the CPU and on the device from the same inputs, and the results must
// agree within float32 tolerances. The transforms are unchanged: their
// rules re-dispatch primitives, which land on the device's kernels.
#include <string>
#include <vector>

#include "core/error.h"
#include "core/ops/ops.h"
#include "gtest/gtest.h"
#include "tests/cuda/cuda_test_util.h"
#include "tests/opinfo/differentiation.h"
#include "tests/opinfo/opinfo.h"
#include "transforms/grad/grad.h"
#include "transforms/jvp/jvp.h"
#include "transforms/vmap/vmap.h"

namespace fnx::cuda_test {
namespace {

using opinfo::OpInfo;
using opinfo::Problem;
using opinfo::SampleInput;

constexpr VmapOptions kSame{.randomness = Randomness::same};
constexpr double kAtol = 1e-4, kRtol = 1e-3;  // float32, after a transform

// One float32 sample on both devices.
struct Pair {
  SampleInput cpu_sample, dev_sample;
  Problem cpu, dev;
  std::vector<Tensor> x_cpu, x_dev;
  Tensor w_cpu, w_dev;  // weights of the scalar phi = sum(w * p(x))
  uint64_t seed;
};

// `on`: where the results must be (the device; the host for what an op
// moved there, such as to_device's outputs and their tangents).
void expect_all_close(const std::vector<Tensor>& got,
                      const std::vector<Tensor>& want, const char* what,
                      Device on = device()) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t k = 0; k < got.size(); ++k) {
    EXPECT_TRUE(close(got[k], want[k], kAtol, kRtol)) << what << " leaf " << k;
    if (got[k].defined()) {
      EXPECT_EQ(got[k].device(), on) << what;
    }
  }
}

Tensor phi(const Problem& p, const Tensor& w, const std::vector<Tensor>& x) {
  return (p(x) * w).sum();
}

// Three perturbed copies of each leaf stacked along dim 0 (on the CPU).
std::vector<Tensor> batched(const std::vector<Tensor>& x, Generator& gen) {
  std::vector<Tensor> out;
  for (const Tensor& leaf : x) {
    std::vector<Tensor> copies;
    for (int b = 0; b < 3; ++b) {
      copies.push_back(leaf + randn(leaf.shape(), leaf.dtype(), &gen) *
                                  (0.01 * static_cast<double>(b)));
    }
    out.push_back(stack(copies, 0));
  }
  return out;
}

void check_sample(const OpInfo& info, const SampleInput& s, size_t index) {
  const std::vector<int> args = opinfo::diff_inputs(info, s, false);
  if (args.empty()) return;
  Pair p;
  p.cpu_sample = s;
  p.dev_sample = s;
  p.dev_sample.inputs = mirror(s.inputs, device());
  p.cpu = Problem{&info, &p.cpu_sample, args};
  p.dev = Problem{&info, &p.dev_sample, args};
  p.x_cpu = p.cpu.primals();
  p.x_dev = p.dev.primals();
  p.seed = 1000 + index;
  Generator gen(p.seed);
  const Tensor y = p.cpu(p.x_cpu);
  if (!is_floating(y.dtype())) return;
  p.w_cpu = randn(y.shape(), y.dtype(), &gen);
  // Where the op leaves its result from device inputs (to_device: the host).
  const Device out = p.dev(p.x_dev).device();
  p.w_dev = mirror(p.w_cpu, out);

  auto g_cpu = grad(
      [&](const std::vector<Tensor>& x) { return phi(p.cpu, p.w_cpu, x); });
  auto g_dev = grad(
      [&](const std::vector<Tensor>& x) { return phi(p.dev, p.w_dev, x); });
  {
    SCOPED_TRACE("grad");
    expect_all_close(g_dev(p.x_dev), g_cpu(p.x_cpu), "grad");
  }
  {
    SCOPED_TRACE("jvp");
    const std::vector<Tensor> u = opinfo::random_like(p.x_cpu, gen);
    auto [y_cpu, t_cpu] = jvp(p.cpu, p.x_cpu, u);
    auto [y_dev, t_dev] = jvp(p.dev, p.x_dev, mirror(u, device()));
    expect_all_close({y_dev, t_dev}, {y_cpu, t_cpu}, "jvp", out);
  }
  const std::vector<Tensor> xs_cpu = batched(p.x_cpu, gen);
  const std::vector<Tensor> xs_dev = mirror(xs_cpu, device());
  {
    SCOPED_TRACE("vmap");
    expect_all_close({vmap(p.dev, 0, 0, kSame)(xs_dev)},
                     {vmap(p.cpu, 0, 0, kSame)(xs_cpu)}, "vmap", out);
  }
  {
    SCOPED_TRACE("vmap(grad)");
    expect_all_close(vmap(g_dev, 0, 0, kSame)(xs_dev),
                     vmap(g_cpu, 0, 0, kSame)(xs_cpu), "vmap(grad)");
  }
  {
    SCOPED_TRACE("jvp(grad)");
    const std::vector<Tensor> u = opinfo::random_like(p.x_cpu, gen);
    auto [gy_cpu, gt_cpu] = jvp(g_cpu, p.x_cpu, u);
    auto [gy_dev, gt_dev] = jvp(g_dev, p.x_dev, mirror(u, device()));
    expect_all_close(gt_dev, gt_cpu, "jvp(grad)");
  }
}

class TransformsCudaTest : public ::testing::TestWithParam<std::string> {};

TEST_P(TransformsCudaTest, MatchCpu) {
  FNX_SKIP_WITHOUT_CUDA();
  const OpInfo& info = opinfo::entry(GetParam());
  opinfo::for_each_sample(info, [&](DType dtype, size_t i,
                                    const SampleInput& s) {
    if (dtype != DType::Float32) return;
    SCOPED_TRACE(opinfo::sample_id(info, dtype, i) + " " + opinfo::describe(s));
    try {
      check_sample(info, s, i);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "threw: " << e.what();
    }
  });
}

INSTANTIATE_TEST_SUITE_P(Differentiable, TransformsCudaTest,
                         ::testing::ValuesIn(opinfo::differentiable_entries()),
                         opinfo::test_name);

}  // namespace
}  // namespace fnx::cuda_test
