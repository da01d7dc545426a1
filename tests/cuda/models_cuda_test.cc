// Whole programs on CUDA against the same programs on the CPU: the seed
// demo's per-sample-gradient example, per-sample gradients of the
// torch.func tutorial CNN (vmap(grad) with per-example convolution
// weights), an MLP trained a few steps with grad, and vmap of matmul.
#include <cmath>
#include <vector>

#include "core/dispatch.h"
#include "core/ops/ops.h"
#include "core/param_dict.h"
#include "gtest/gtest.h"
#include "tests/cuda/cuda_test_util.h"
#include "tests/testing/tutorial_cnn.h"
#include "transforms/grad/grad.h"
#include "transforms/vmap/vmap.h"

namespace fnx::cuda_test {
namespace {

ParamDict to(const ParamDict& p, Device d) {
  ParamDict out;
  for (const auto& [name, t] : p) out.insert_or_assign(name, t.to(d));
  return out;
}

void expect_dicts_close(const ParamDict& got, const ParamDict& want,
                        double atol, double rtol) {
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [name, t] : want) {
    EXPECT_EQ(got.at(name).device(), device()) << name;
    EXPECT_TRUE(close(got.at(name), t, atol, rtol)) << name;
  }
}

// The seed demo's section 3: vmap(grad(loss), {none, 0, 0}).
TEST(ModelsCuda, SeedPerSampleGradients) {
  FNX_SKIP_WITHOUT_CUDA();
  auto compute_loss = [](const Tensor& weights, const Tensor& example,
                         const Tensor& target) {
    const Tensor y = relu(dot(example, weights));
    return square(y - target).mean();
  };
  Generator gen(0);
  const Tensor weights = randn({5}, DType::Float32, &gen);
  const Tensor examples = randn({3, 5}, DType::Float32, &gen);
  const Tensor targets = randn({3}, DType::Float32, &gen);
  const Tensor want =
      vmap(grad(compute_loss), {none, 0, 0})(weights, examples, targets);
  const Tensor got = vmap(grad(compute_loss), {none, 0, 0})(
      weights.to(device()), examples.to(device()), targets.to(device()));
  EXPECT_EQ(got.device(), device());
  EXPECT_TRUE(close(got, want, 1e-6, 1e-5));
  // And against a loop of grad on the device.
  std::vector<Tensor> rows;
  for (int64_t i = 0; i < 3; ++i) {
    rows.push_back(grad(compute_loss)(weights.to(device()),
                                      examples.to(device())[i],
                                      targets.to(device())[i]));
  }
  EXPECT_TRUE(close(stack(rows), want, 1e-6, 1e-5));
}

using testing::cnn;
using testing::cnn_params;
using testing::example_loss;

TEST(ModelsCuda, CnnPerSampleGradients) {
  FNX_SKIP_WITHOUT_CUDA();
  const ParamDict params = cnn_params();
  Generator gen(1);
  const Tensor samples = randn({8, 1, 28, 28}, DType::Float32, &gen);
  const Tensor targets = randint(0, 10, {8}, DType::Int64, &gen);
  const ParamDict want =
      vmap(grad(example_loss), {none, 0, 0})(params, samples, targets);
  const ParamDict got = vmap(grad(example_loss), {none, 0, 0})(
      to(params, device()), samples.to(device()), targets.to(device()));
  expect_dicts_close(got, want, 1e-5, 1e-3);
  // The batch loss and its gradient too.
  auto batch_loss = [](const ParamDict& p, const Tensor& x, const Tensor& t) {
    return nll_loss(cnn(p, x), t);
  };
  EXPECT_TRUE(close(batch_loss(to(params, device()), samples.to(device()),
                               targets.to(device())),
                    batch_loss(params, samples, targets), 1e-5, 1e-4));
  expect_dicts_close(
      grad(batch_loss)(to(params, device()), samples.to(device()),
                       targets.to(device())),
      grad(batch_loss)(params, samples, targets), 1e-5, 1e-3);
}

// A few steps of gradient descent on a small MLP end at the same loss.
TEST(ModelsCuda, MlpTrainingSteps) {
  FNX_SKIP_WITHOUT_CUDA();
  Generator gen(3);
  ParamDict p{{"w1", randn({16, 8}, DType::Float32, &gen) * 0.3},
              {"b1", zeros({16})},
              {"w2", randn({3, 16}, DType::Float32, &gen) * 0.3},
              {"b2", zeros({3})}};
  const Tensor x = randn({64, 8}, DType::Float32, &gen);
  const Tensor t = randint(0, 3, {64}, DType::Int64, &gen);
  auto loss = [](const ParamDict& q, const Tensor& xb, const Tensor& tb) {
    const Tensor h = tanh(linear(xb, q.at("w1"), q.at("b1")));
    return cross_entropy(linear(h, q.at("w2"), q.at("b2")), tb);
  };
  ParamDict pd = to(p, device());
  const Tensor xd = x.to(device()), td = t.to(device());
  for (int step = 0; step < 5; ++step) {
    const ParamDict g = grad(loss)(p, x, t);
    const ParamDict gd = grad(loss)(pd, xd, td);
    for (const auto& [name, v] : g) {
      p.insert_or_assign(name, p.at(name) - v * 0.5);
      pd.insert_or_assign(name, pd.at(name) - gd.at(name) * 0.5);
    }
  }
  EXPECT_NEAR(loss(pd, xd, td).item<double>(), loss(p, x, t).item<double>(),
              1e-4);
}

// vmap(matmul) runs as one batched matmul kernel, as on the CPU.
TEST(ModelsCuda, VmapMatmulIsOneKernel) {
  FNX_SKIP_WITHOUT_CUDA();
  Generator gen(4);
  const Tensor a = randn({6, 32, 16}, DType::Float32, &gen);
  const Tensor b = randn({6, 16, 8}, DType::Float32, &gen);
  const Tensor ad = a.to(device()), bd = b.to(device());
  auto mm = [](const Tensor& x, const Tensor& y) { return matmul(x, y); };
  const int64_t before_cpu = kernel_calls();
  const Tensor want = vmap(mm)(a, b);
  const int64_t cpu_calls = kernel_calls() - before_cpu;
  const int64_t before = kernel_calls();
  const Tensor got = vmap(mm)(ad, bd);
  EXPECT_EQ(kernel_calls() - before, cpu_calls);
  EXPECT_TRUE(close(got, want, 1e-5, 1e-4));
}

}  // namespace
}  // namespace fnx::cuda_test
