// functional_call on one module from several threads at once, each with its
// own ParamDict: every call sees only its own tensors and the module is
// never written (the hardening issue's data race and use-after-free). Run
// under --config=tsan to prove it race-free.
#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "fnx.h"
#include "gtest/gtest.h"

namespace fnx {
namespace {

TEST(FunctionalCallThreads, EachThreadSeesItsOwnParameters) {
  Generator gen(1);
  auto model = std::make_shared<nn::Sequential>();
  model->push_back(std::make_shared<nn::Linear>(
      4, 8, gen, nn::LinearOptions{.dtype = DType::Float64}));
  model->push_back(std::make_shared<nn::BatchNorm1d>(
      8, nn::BatchNormOptions{.dtype = DType::Float64}));
  model->push_back(std::make_shared<nn::Linear>(
      8, 2, gen, nn::LinearOptions{.dtype = DType::Float64}));
  const ParamDict original = model->state_dict();
  const std::vector<double> original_w = original.at("0.weight").to_vector();

  constexpr int kThreads = 6, kCalls = 60;
  const Tensor x = randn({5, 4}, DType::Float64, &gen);
  // Per thread: its own copy of the state, scaled, and the output that copy
  // gives on the calling thread alone.
  std::vector<ParamDict> params(kThreads), buffers(kThreads);
  std::vector<Tensor> expected(kThreads);
  model->eval();
  for (int t = 0; t < kThreads; ++t) {
    for (const auto& [k, v] : model->named_parameters()) {
      params[t].insert_or_assign(k, v * (1.0 + 0.1 * t));
    }
    for (const auto& [k, v] : model->named_buffers()) {
      buffers[t].insert_or_assign(k, v.clone());
    }
    expected[t] =
        nn::functional_call(*model, std::pair{params[t], buffers[t]}, x);
  }
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int c = 0; c < kCalls; ++c) {
        const Tensor y =
            nn::functional_call(*model, std::pair{params[t], buffers[t]}, x);
        if (y.to_vector() != expected[t].to_vector()) ++mismatches;
        // Gradients too, through the same module.
        const ParamDict g = grad([&](const ParamDict& p) {
          return nn::functional_call(*model, std::pair{p, buffers[t]}, x).sum();
        })(params[t]);
        if (!g.same_keys(params[t])) ++mismatches;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
  // The module still holds its own tensors, untouched.
  const ParamDict after = model->state_dict();
  for (const auto& [k, v] : original) EXPECT_TRUE(after.at(k).is_same(v)) << k;
  EXPECT_EQ(after.at("0.weight").to_vector(), original_w);
}

// A module whose forward runs a callback, to look at what it sees.
class Probe : public nn::Module {
 public:
  Probe() : Module("Probe") { register_parameter("w", zeros({1})); }
  Tensor forward(const Tensor& x) override { return body(x); }
  std::function<Tensor(const Tensor&)> body;
};

TEST(FunctionalCallThreads, NestedCallsSeeTheInnermostDict) {
  Probe probe;
  const ParamDict a{{"w", full({1}, 1.0)}}, b{{"w", full({1}, 2.0)}};
  std::vector<float> seen;
  probe.body = [&](const Tensor& x) {
    seen.push_back(probe.param("w").item<float>());
    if (seen.size() == 1) {
      nn::functional_call(probe, b, x);                // nested: sees b
      seen.push_back(probe.param("w").item<float>());  // a again
    }
    return x;
  };
  nn::functional_call(probe, a, ones({1}));
  EXPECT_EQ(seen, (std::vector<float>{1, 2, 1}));
  EXPECT_EQ(probe.param("w").item<float>(), 0.0f);  // the module's own
}

}  // namespace
}  // namespace fnx
