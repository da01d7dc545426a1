// functional_call equals the module call and leaves the module as it was
// (also after an exception); its key and shape errors; grad over it w.r.t.
// a ParamDict against finite differences; stack_module_state + vmap over an
// ensemble against a loop over the models (the seed's examples).
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "fnx.h"
#include "gtest/gtest.h"
#include "nn/functional_call.h"
#include "nn/layers.h"
#include "nn/module.h"
#include "tests/testing/transform_test_util.h"

namespace fnx {
namespace {

using testing::close;
using testing::throws_with;

std::shared_ptr<nn::Sequential> mlp(Generator& gen, DType dtype) {
  auto seq = std::make_shared<nn::Sequential>();
  seq->push_back(std::make_shared<nn::Linear>(3, 5, gen,
                                              nn::LinearOptions{.dtype = dtype}));
  seq->push_back(std::make_shared<nn::Tanh>());
  seq->push_back(std::make_shared<nn::Linear>(5, 2, gen,
                                              nn::LinearOptions{.dtype = dtype}));
  return seq;
}

// A module with a buffer and a throwing forward on demand.
class Shifted : public nn::Module {
 public:
  explicit Shifted(Generator& gen) : Module("Shifted") {
    net_ = register_module("net", mlp(gen, DType::Float64));
    register_buffer("shift", full({2}, 0.25, DType::Float64));
  }
  Tensor forward(const Tensor& x) override {
    return (*net_)(x) + buffer("shift");
  }
  // A two-argument forward, reachable through functional_call.
  Tensor forward(const Tensor& x, bool explode) {
    if (explode) throw std::runtime_error("boom");
    return forward(x);
  }

 private:
  std::shared_ptr<nn::Sequential> net_;
};

bool same_state(const ParamDict& a, const ParamDict& b) {
  if (!a.same_keys(b)) return false;
  for (const auto& [k, t] : a) {
    if (!t.is_same(b.at(k))) return false;
  }
  return true;
}

TEST(FunctionalCall, EqualsTheModuleAndRestoresIt) {
  Generator gen(1);
  Shifted m(gen);
  const ParamDict before = m.state_dict();
  const Tensor x = randn({4, 3}, DType::Float64, &gen);
  EXPECT_TRUE(close(nn::functional_call(m, m.state_dict(), x), m(x), 1e-12));

  // Other parameters: same result as a second model loaded with them.
  Generator gen2(2);
  Shifted other(gen2);
  const Tensor y = nn::functional_call(m, other.named_parameters(), x);
  EXPECT_TRUE(close(y, other(x), 1e-12));
  EXPECT_FALSE(close(y, m(x), 1e-6));
  EXPECT_TRUE(same_state(m.state_dict(), before));

  // A pair of dicts (params, buffers), and a partial dict.
  ParamDict buffers;
  buffers.insert_or_assign("shift", full({2}, 1.25, DType::Float64));
  EXPECT_TRUE(close(nn::functional_call(m, std::pair{m.named_parameters(),
                                                     buffers},
                                        x),
                    m(x) + 1.0, 1e-12));
  EXPECT_TRUE(close(nn::functional_call(m, buffers, x), m(x) + 1.0, 1e-12));
  EXPECT_TRUE(same_state(m.state_dict(), before));
}

TEST(FunctionalCall, RestoresTheModuleAfterAnException) {
  Generator gen(3);
  Shifted m(gen);
  const ParamDict before = m.state_dict();
  const Tensor x = randn({2, 3}, DType::Float64, &gen);
  ParamDict zero = m.state_dict();
  for (auto& [k, t] : zero) t = zeros_like(t);
  EXPECT_THROW(nn::functional_call(m, zero, x, true), std::runtime_error);
  EXPECT_TRUE(same_state(m.state_dict(), before));
  // An error from inside the layers (wrong input) also restores.
  EXPECT_THROW(nn::functional_call(m, zero, randn({2, 4}, DType::Float64)),
               Error);
  EXPECT_TRUE(same_state(m.state_dict(), before));
  EXPECT_TRUE(close(nn::functional_call(m, zero, x, false),
                    zeros({2, 2}, DType::Float64)));
}

TEST(FunctionalCall, KeyAndShapeErrors) {
  Generator gen(4);
  Shifted m(gen);
  const ParamDict before = m.state_dict();
  const Tensor x = randn({2, 3}, DType::Float64, &gen);
  ParamDict unknown = m.state_dict();
  unknown.insert_or_assign("net.7.weight", zeros({1}));
  EXPECT_TRUE(throws_with([&] { nn::functional_call(m, unknown, x); },
                          "unexpected key \"net.7.weight\""));
  ParamDict wrong = m.state_dict();
  wrong.at("net.2.bias") = zeros({3}, DType::Float64);
  EXPECT_TRUE(throws_with([&] { nn::functional_call(m, wrong, x); },
                          "shape mismatch for \"net.2.bias\""));
  ParamDict partial;
  partial.insert_or_assign("shift", zeros({2}, DType::Float64));
  EXPECT_TRUE(throws_with(
      [&] { nn::functional_call(m, partial, {.strict = true}, x); },
      "missing keys {net.0.weight, net.0.bias, net.2.weight, net.2.bias}"));
  EXPECT_TRUE(throws_with(
      [&] {
        nn::functional_call(m, std::pair{partial, partial}, x);
      },
      "in both"));
  EXPECT_TRUE(throws_with(
      [&] {
        nn::functional_call(m, std::pair{m.named_parameters(), ParamDict()},
                            {.strict = true}, x);
      },
      "missing keys {shift}"));
  EXPECT_TRUE(same_state(m.state_dict(), before));
  // strict with every key is fine.
  EXPECT_TRUE(close(nn::functional_call(m, m.state_dict(), {.strict = true}, x),
                    m(x), 1e-12));
}

// An encoder / decoder pair sharing one weight (the same Tensor handle).
class Tied : public nn::Module {
 public:
  explicit Tied(Generator& gen) : Module("Tied") {
    enc_ = register_module(
        "enc", std::make_shared<nn::Linear>(
                   3, 3, gen, nn::LinearOptions{.dtype = DType::Float64}));
    dec_ = register_module("dec", std::make_shared<nn::Module>("Holder"));
    dec_->register_parameter("weight", enc_->param("weight"));
  }
  Tensor forward(const Tensor& x) override {
    return matmul((*enc_)(x), dec_->param("weight"));
  }

 private:
  std::shared_ptr<nn::Linear> enc_;
  std::shared_ptr<nn::Module> dec_;
};

TEST(FunctionalCall, TiedWeights) {
  Generator gen(10);
  Tied m(gen);
  // Listed once by named_parameters, under every name by state_dict.
  EXPECT_EQ(m.named_parameters().keys(),
            (std::vector<std::string>{"enc.weight", "enc.bias"}));
  EXPECT_EQ(m.state_dict().size(), 3u);
  const Tensor x = randn({2, 3}, DType::Float64, &gen);
  const Tensor w = randn({3, 3}, DType::Float64, &gen);
  ParamDict given{{"enc.weight", w}};
  const Tensor bias = m.named_parameters().at("enc.bias");
  const Tensor tied = matmul(linear(x, w, bias), w);
  EXPECT_TRUE(close(nn::functional_call(m, given, x), tied, 1e-12));
  // Without tie_weights only enc.weight is replaced.
  const Tensor untied = matmul(linear(x, w, bias),
                               m.named_parameters().at("enc.weight"));
  EXPECT_TRUE(close(nn::functional_call(m, given, {.tie_weights = false}, x),
                    untied, 1e-12));
  // strict is satisfied through the tie.
  ParamDict full = m.named_parameters();
  EXPECT_TRUE(close(nn::functional_call(m, full, {.strict = true}, x), m(x),
                    1e-12));
  given.insert_or_assign("dec.weight", clone(w));
  EXPECT_TRUE(throws_with([&] { nn::functional_call(m, given, x); },
                          "are tied"));
  // grad w.r.t. the deduplicated parameters sums both uses.
  auto loss = [&](const ParamDict& p) {
    return nn::functional_call(m, p, x).sum();
  };
  const ParamDict g = grad(loss)(m.named_parameters());
  const double h = 1e-6;
  ParamDict plus = m.named_parameters(), minus = m.named_parameters();
  plus.at("enc.weight") = clone(plus.at("enc.weight"));
  minus.at("enc.weight") = clone(minus.at("enc.weight"));
  plus.at("enc.weight").mutable_data<double>()[4] += h;
  minus.at("enc.weight").mutable_data<double>()[4] -= h;
  const double fd =
      (loss(plus).item<double>() - loss(minus).item<double>()) / (2 * h);
  EXPECT_NEAR(g.at("enc.weight").to_vector()[4], fd, 1e-6);
}

TEST(FunctionalCall, GradWrtAParamDictMatchesFiniteDifferences) {
  Generator gen(5);
  auto model = mlp(gen, DType::Float64);
  const Tensor x = randn({6, 3}, DType::Float64, &gen);
  const Tensor t = randn({6, 2}, DType::Float64, &gen);
  auto loss = [&](const ParamDict& p, const Tensor& xs) {
    return mse_loss(nn::functional_call(*model, p, xs), t);
  };
  const ParamDict params = model->named_parameters();
  const ParamDict g = grad(loss)(params, x);
  ASSERT_TRUE(g.same_keys(params));
  const double h = 1e-6;
  for (const auto& [k, p] : params) {
    ASSERT_EQ(g.at(k).shape(), p.shape()) << k;
    const std::vector<double> gv = g.at(k).to_vector();
    for (int64_t i = 0; i < p.numel(); ++i) {
      ParamDict plus = params, minus = params;
      plus.at(k) = clone(p);
      minus.at(k) = clone(p);
      plus.at(k).mutable_data<double>()[i] += h;
      minus.at(k).mutable_data<double>()[i] -= h;
      const double fd = (loss(plus, x).item<double>() -
                         loss(minus, x).item<double>()) /
                        (2 * h);
      EXPECT_NEAR(gv[i], fd, 1e-7) << k << "[" << i << "]";
    }
  }
  // The module's own parameters were not touched.
  EXPECT_TRUE(same_state(model->named_parameters(), params));
}

TEST(FunctionalCall, PerSampleGradientsWithVmapOfGrad) {
  Generator gen(9);
  auto model = mlp(gen, DType::Float64);
  const Tensor xs = randn({5, 3}, DType::Float64, &gen);
  const Tensor ts = randn({5, 2}, DType::Float64, &gen);
  auto loss = [&](const ParamDict& p, const Tensor& x, const Tensor& t) {
    return mse_loss(nn::functional_call(*model, p, x), t);
  };
  const ParamDict params = model->named_parameters();
  const ParamDict per_sample = vmap(grad(loss), {none, 0, 0})(params, xs, ts);
  ASSERT_TRUE(per_sample.same_keys(params));
  for (int64_t i = 0; i < 5; ++i) {
    const ParamDict one = grad(loss)(params, xs[i], ts[i]);
    for (const auto& [k, g] : one) {
      EXPECT_TRUE(close(per_sample.at(k)[i], g, 1e-12)) << k << " " << i;
    }
  }
  EXPECT_EQ(per_sample.at("0.weight").shape(), (Shape{5, 5, 3}));
  EXPECT_TRUE(same_state(model->named_parameters(), params));
}

TEST(FunctionalCall, PerSampleGradientsOfASmallCnn) {
  // What DP-SGD needs: per-example gradients of a conv net.
  Generator gen(11);
  nn::Conv2dOptions conv_opts{.padding = {1, 1}, .dtype = DType::Float64};
  nn::Sequential cnn({std::make_shared<nn::Conv2d>(1, 3, Shape{3, 3}, gen,
                                                   conv_opts),
                      std::make_shared<nn::ReLU>(),
                      std::make_shared<nn::MaxPool2d>(Shape{2, 2}),
                      std::make_shared<nn::Flatten>(0),
                      std::make_shared<nn::Linear>(
                          12, 4, gen, nn::LinearOptions{.dtype = DType::Float64})});
  const Tensor images = randn({3, 1, 4, 4}, DType::Float64, &gen);
  const Tensor labels = from_vector(std::vector<int64_t>{1, 3, 0}, Shape{3});
  auto loss = [&](const ParamDict& p, const Tensor& image, const Tensor& label) {
    return cross_entropy(nn::functional_call(cnn, p, image), label);
  };
  const ParamDict params = cnn.named_parameters();
  const ParamDict per_sample =
      vmap(grad(loss), {none, 0, 0})(params, images, labels);
  EXPECT_EQ(per_sample.at("0.weight").shape(), (Shape{3, 3, 1, 3, 3}));
  for (int64_t i = 0; i < 3; ++i) {
    const ParamDict one = grad(loss)(params, images[i], labels[i]);
    for (const auto& [k, g] : one) {
      EXPECT_TRUE(close(per_sample.at(k)[i], g, 1e-10)) << k << " " << i;
    }
  }
}

TEST(StackModuleState, VmapEnsembleEqualsTheLoop) {
  Generator gen(6);
  std::vector<std::shared_ptr<nn::Module>> models;
  for (int i = 0; i < 3; ++i) models.push_back(mlp(gen, DType::Float64));
  auto [params, buffers] = nn::stack_module_state(models);
  EXPECT_EQ(params.keys(), models[0]->named_parameters().keys());
  EXPECT_EQ(params.at("0.weight").shape(), (Shape{3, 5, 3}));
  EXPECT_TRUE(buffers.empty());
  EXPECT_TRUE(equal(params.at("2.bias")[1],
                    models[1]->named_parameters().at("2.bias")));

  const Tensor x = randn({4, 3}, DType::Float64, &gen);
  nn::Module& base = *models[0];
  auto fmodel = [&](const ParamDict& p, const ParamDict& b, const Tensor& xs) {
    return nn::functional_call(base, std::pair{p, b}, xs);
  };
  const Tensor ys = vmap(fmodel, {0, 0, none})(params, buffers, x);
  ASSERT_EQ(ys.shape(), (Shape{3, 4, 2}));
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(close(ys[i], (*models[i])(x), 1e-12)) << "model " << i;
  }
  // Each model on its own minibatch too.
  const Tensor xs = randn({3, 4, 3}, DType::Float64, &gen);
  const Tensor ys2 = vmap(fmodel, {0, 0, 0})(params, buffers, xs);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(close(ys2[i], (*models[i])(xs[i]), 1e-12)) << "model " << i;
  }
}

TEST(StackModuleState, BuffersAreStackedToo) {
  Generator gen(7);
  std::vector<std::shared_ptr<nn::Module>> models;
  for (int i = 0; i < 2; ++i) models.push_back(std::make_shared<Shifted>(gen));
  auto [params, buffers] = nn::stack_module_state(models);
  EXPECT_EQ(buffers.keys(), (std::vector<std::string>{"shift"}));
  EXPECT_EQ(buffers.at("shift").shape(), (Shape{2, 2}));
}

TEST(StackModuleState, DifferentStructuresAreAnError) {
  Generator gen(8);
  std::vector<std::shared_ptr<nn::Module>> models = {
      mlp(gen, DType::Float64), std::make_shared<nn::Linear>(3, 2, gen)};
  EXPECT_TRUE(throws_with([&] { nn::stack_module_state(models); },
                          "models differ in their parameters"));
  models[1] = std::make_shared<nn::Sequential>(
      std::vector<std::shared_ptr<nn::Module>>{
          std::make_shared<nn::Linear>(3, 6, gen,
                                       nn::LinearOptions{.dtype = DType::Float64}),
          std::make_shared<nn::Tanh>(),
          std::make_shared<nn::Linear>(6, 2, gen,
                                       nn::LinearOptions{.dtype = DType::Float64})});
  EXPECT_TRUE(throws_with([&] { nn::stack_module_state(models); },
                          "\"0.weight\" differs"));
  EXPECT_TRUE(throws_with([&] { nn::stack_module_state({}); }, "no models"));
}

}  // namespace
}  // namespace fnx
