// BatchNorm (running statistics in training, their use in eval, updates of
// the buffers passed to functional_call), GroupNorm, and the smaller layers
// (Conv1d, AvgPool2d, GELU, Sigmoid).
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "fnx.h"
#include "gtest/gtest.h"
#include "nn/functional_call.h"
#include "nn/layers.h"
#include "nn/norm_layers.h"
#include "tests/testing/transform_test_util.h"

namespace fnx {
namespace {

using testing::close;
using testing::throws_with;

constexpr nn::BatchNormOptions kF64{.dtype = DType::Float64};

TEST(BatchNorm, TrainingUpdatesRunningStatsEvalUsesThem) {
  Generator gen(1);
  nn::BatchNorm1d bn(3, kF64);
  EXPECT_EQ(bn.state_dict().keys(),
            (std::vector<std::string>{"weight", "bias", "running_mean",
                                      "running_var", "num_batches_tracked"}));
  EXPECT_EQ(bn.named_parameters().size(), 2u);
  const Tensor x = randn({8, 3}, DType::Float64, &gen) * 2.0 + 1.0;
  const Tensor mu = x.mean({0});
  const Tensor biased = var(x, {0}, 0), unbiased = var(x, {0}, 1);
  const Tensor y = bn(x);
  EXPECT_TRUE(close(y, (x - mu) / sqrt(biased + 1e-5), 1e-10));
  EXPECT_TRUE(close(bn.buffer("running_mean"), mu * 0.1, 1e-12));
  EXPECT_TRUE(close(bn.buffer("running_var"), unbiased * 0.1 + 0.9, 1e-12));
  EXPECT_EQ(bn.buffer("num_batches_tracked").item<int64_t>(), 1);
  bn(x);
  EXPECT_TRUE(close(bn.buffer("running_mean"), mu * 0.19, 1e-12));
  EXPECT_EQ(bn.buffer("num_batches_tracked").item<int64_t>(), 2);

  bn.eval();
  const Tensor rm = clone(bn.buffer("running_mean"));
  const Tensor rv = clone(bn.buffer("running_var"));
  EXPECT_TRUE(close(bn(x), (x - rm) / sqrt(rv + 1e-5), 1e-10));
  EXPECT_TRUE(equal(bn.buffer("running_mean"), rm));  // eval: no update
  EXPECT_TRUE(throws_with([&] { bn(ones({2, 4}, DType::Float64)); },
                          "[nn.BatchNorm1d]"));
}

TEST(BatchNorm, FunctionalCallUpdatesTheGivenBuffers) {
  Generator gen(2);
  nn::BatchNorm2d bn(2, kF64);
  const ParamDict own = bn.named_buffers();
  const Tensor own_mean = clone(own.at("running_mean"));
  ParamDict buffers;
  for (const auto& [k, t] : bn.named_buffers()) {
    buffers.insert_or_assign(k, clone(t));
  }
  const Tensor x = randn({4, 2, 3, 3}, DType::Float64, &gen) + 2.0;
  nn::functional_call(bn, buffers, x);
  EXPECT_TRUE(close(buffers.at("running_mean"), x.mean({0, 2, 3}) * 0.1,
                    1e-12));
  EXPECT_EQ(buffers.at("num_batches_tracked").item<int64_t>(), 1);
  // The module's own buffers are untouched.
  EXPECT_TRUE(equal(bn.buffer("running_mean"), own_mean));
  EXPECT_EQ(bn.buffer("num_batches_tracked").item<int64_t>(), 0);
}

TEST(BatchNorm, WithoutTrackingOrAffine) {
  nn::BatchNorm1d bn(2, {.affine = false, .track_running_stats = false,
                         .dtype = DType::Float64});
  EXPECT_TRUE(bn.state_dict().empty());
  bn.eval();  // no running stats: batch statistics even in eval
  const Tensor x = from_vector(std::vector<double>{1.0, 2.0, 3.0, 6.0}, Shape{2, 2},
                               DType::Float64);
  EXPECT_TRUE(close(bn(x).abs(), ones({2, 2}, DType::Float64), 1e-4));
}

TEST(BatchNorm, ReplaceAllBatchNormModulesThenVmap) {
  Generator gen(5);
  auto net = std::make_shared<nn::Sequential>(
      std::vector<std::shared_ptr<nn::Module>>{
          std::make_shared<nn::Linear>(
              3, 4, gen, nn::LinearOptions{.dtype = DType::Float64}),
          std::make_shared<nn::BatchNorm1d>(4, kF64),
          std::make_shared<nn::ReLU>()});
  nn::replace_all_batch_norm_modules_(*net);
  EXPECT_TRUE(net->named_buffers().empty());
  EXPECT_EQ(net->named_parameters().size(), 4u);
  // Each group of 6 examples is normalised with its own statistics.
  const Tensor xs = randn({3, 6, 3}, DType::Float64, &gen);
  const ParamDict params = net->named_parameters();
  auto f = [&](const ParamDict& p, const Tensor& x) {
    return nn::functional_call(*net, p, x);
  };
  const Tensor ys = vmap(f, {none, 0})(params, xs);
  for (int64_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(close(ys[i], (*net)(xs[i]), 1e-10)) << "group " << i;
  }
  net->eval();  // still batch statistics: there are no running ones
  EXPECT_TRUE(close((*net)(xs[0]), ys[0], 1e-10));
}

TEST(BatchNorm, EnsembleUnderVmapUpdatesEachModelsStackedBuffers) {
  Generator gen(6);
  std::vector<std::shared_ptr<nn::Module>> models, copies;
  for (int i = 0; i < 3; ++i) {
    Generator a(100 + i), b(100 + i);
    auto make = [](Generator& g) {
      return std::make_shared<nn::Sequential>(
          std::vector<std::shared_ptr<nn::Module>>{
              std::make_shared<nn::Linear>(
                  3, 4, g, nn::LinearOptions{.dtype = DType::Float64}),
              std::make_shared<nn::BatchNorm1d>(4, kF64)});
    };
    models.push_back(make(a));
    copies.push_back(make(b));
  }
  auto [params, buffers] = nn::stack_module_state(models);
  EXPECT_EQ(buffers.at("1.running_mean").shape(), (Shape{3, 4}));
  nn::Module& base = *models[0];
  auto fmodel = [&](const ParamDict& p, const ParamDict& b, const Tensor& x) {
    return nn::functional_call(base, std::pair{p, b}, x);
  };
  const Tensor xs = randn({3, 5, 3}, DType::Float64, &gen);
  const Tensor ys = vmap(fmodel, {0, 0, 0})(params, buffers, xs);
  for (int64_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(close(ys[i], (*copies[i])(xs[i]), 1e-10)) << "model " << i;
    EXPECT_TRUE(close(buffers.at("1.running_mean")[i],
                      copies[i]->named_buffers().at("1.running_mean"), 1e-12))
        << "model " << i;
  }
}

TEST(GroupNorm, MatchesLayerNormWithOneGroupAndANaiveLoop) {
  Generator gen(3);
  const Tensor x = randn({2, 4, 3}, DType::Float64, &gen);
  nn::GroupNorm one(1, 4, {.dtype = DType::Float64});
  EXPECT_TRUE(close(one(x), layer_norm(x, {4, 3}), 1e-10));
  nn::GroupNorm two(2, 4, {.dtype = DType::Float64});
  const Tensor y = two(x);
  for (int64_t g = 0; g < 2; ++g) {
    const Tensor part = x.slice(1, 2 * g, 2 * g + 2);
    EXPECT_TRUE(close(y.slice(1, 2 * g, 2 * g + 2),
                      layer_norm(part, {2, 3}), 1e-10));
  }
  EXPECT_TRUE(throws_with([] { nn::GroupNorm(3, 4); }, "must divide"));
}

TEST(SmallLayers, Conv1dPoolingActivations) {
  Generator gen(4);
  nn::Conv1d conv(2, 3, 3, gen, {.padding = 1});
  EXPECT_EQ(conv.param("weight").shape(), (Shape{3, 2, 3}));
  EXPECT_LE(abs(conv.param("weight")).max().item<double>(),
            1.0 / std::sqrt(6.0));
  EXPECT_EQ(conv(ones({5, 2, 7})).shape(), (Shape{5, 3, 7}));
  EXPECT_EQ(conv(ones({2, 7})).shape(), (Shape{3, 7}));

  nn::AvgPool2d pool({2, 2});
  const Tensor img = arange(0.0, 16.0, 1.0, DType::Float32).reshape({1, 4, 4});
  EXPECT_TRUE(close(pool(img), from_vector(std::vector<double>{2.5, 4.5, 10.5, 12.5},
                                       Shape{1, 2, 2})));

  // Pooling over 1 and 3 spatial dims, batched or not.
  const Tensor seq = randn({2, 3, 9}, DType::Float32, &gen);
  EXPECT_TRUE(close(nn::MaxPool1d({3}, {2}, {1})(seq),
                    max_pool1d(seq, {{3}, {2}, {1}})));
  EXPECT_TRUE(close(nn::AvgPool1d({2})(seq[0]), avg_pool1d(seq[0], {{2}})));
  const Tensor vol = randn({2, 2, 4, 6, 4}, DType::Float32, &gen);
  EXPECT_EQ(nn::MaxPool3d({2, 2, 2})(vol).shape(), (Shape{2, 2, 2, 3, 2}));
  EXPECT_TRUE(close(nn::AvgPool3d({2, 3, 2})(vol[1]),
                    avg_pool3d(vol[1], {{2, 3, 2}})));
  EXPECT_THROW(nn::MaxPool3d({2, 2}), Error);
  try {
    nn::MaxPool1d({2})(ones({1, 1, 4, 4}));
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[nn.MaxPool1d]"), std::string::npos)
        << e.what();
  }

  const Tensor x({-1.0, 0.0, 2.0});
  EXPECT_TRUE(close(nn::GELU()(x), gelu(x)));
  EXPECT_TRUE(close(nn::Sigmoid()(x), sigmoid(x)));
}

}  // namespace
}  // namespace fnx
