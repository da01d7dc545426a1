// nn::Module bookkeeping (dotted names, registration order, train/eval),
// state_dict round trips and load_state_dict's errors, and the layers'
// shapes and default initialisation.
#include "nn/module.h"

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "fnx.h"
#include "gtest/gtest.h"
#include "nn/layers.h"
#include "tests/testing/transform_test_util.h"

namespace fnx {
namespace {

using testing::close;
using testing::throws_with;

std::shared_ptr<nn::Sequential> mlp(Generator& gen) {
  auto seq = std::make_shared<nn::Sequential>();
  seq->push_back(std::make_shared<nn::Linear>(4, 8, gen));
  seq->push_back(std::make_shared<nn::ReLU>());
  seq->push_back(std::make_shared<nn::Linear>(8, 2, gen));
  return seq;
}

class WithBuffer : public nn::Module {
 public:
  explicit WithBuffer(Generator& gen) : Module("WithBuffer") {
    register_parameter("scale", ones({2}));
    register_buffer("offset", zeros({2}));
    layers_ = register_module("layers", mlp(gen));
  }
  Tensor forward(const Tensor& x) override {
    return (*layers_)(x)*param("scale") + buffer("offset");
  }

 private:
  std::shared_ptr<nn::Sequential> layers_;
};

std::vector<std::string> keys(const ParamDict& d) { return d.keys(); }

TEST(Module, DottedNamesInTorchOrder) {
  Generator gen(1);
  WithBuffer m(gen);
  EXPECT_EQ(
      keys(m.named_parameters()),
      (std::vector<std::string>{"scale", "layers.0.weight", "layers.0.bias",
                                "layers.2.weight", "layers.2.bias"}));
  EXPECT_EQ(keys(m.named_buffers()), (std::vector<std::string>{"offset"}));
  EXPECT_EQ(keys(m.state_dict()),
            (std::vector<std::string>{"scale", "offset", "layers.0.weight",
                                      "layers.0.bias", "layers.2.weight",
                                      "layers.2.bias"}));
  EXPECT_EQ(m.named_parameters().at("layers.2.weight").shape(), (Shape{2, 8}));
  std::vector<std::string> mods;
  for (const auto& [n, ptr] : m.named_modules()) mods.push_back(n);
  EXPECT_EQ(mods, (std::vector<std::string>{"", "layers", "layers.0",
                                            "layers.1", "layers.2"}));
  EXPECT_TRUE(m.is_parameter("layers.0.bias"));
  EXPECT_FALSE(m.is_parameter("offset"));
  EXPECT_EQ(m.find_tensor("layers.3.weight"), nullptr);
  EXPECT_EQ(m(ones({3, 4})).shape(), (Shape{3, 2}));
}

TEST(Module, RegistrationErrors) {
  Generator gen(1);
  nn::Linear lin(2, 3, gen);
  EXPECT_TRUE(throws_with([&] { lin.register_buffer("weight", zeros({1})); },
                          "already registered"));
  EXPECT_TRUE(throws_with([&] { lin.register_parameter("a.b", zeros({1})); },
                          "contains a dot"));
  EXPECT_TRUE(throws_with([&] { lin(ones({2, 5})); }, "[nn.Linear]"));
  EXPECT_TRUE(throws_with([&] { lin.param("nope"); }, "no parameter \"nope\""));
}

TEST(Module, TrainEvalIsRecursiveAndDropoutFollowsIt) {
  Generator gen(3);
  auto seq = std::make_shared<nn::Sequential>();
  auto drop = std::make_shared<nn::Dropout>(0.5, gen);
  seq->push_back(drop);
  EXPECT_TRUE(drop->is_training());
  seq->eval();
  EXPECT_FALSE(drop->is_training());
  const Tensor x = ones({1000});
  EXPECT_TRUE(equal((*seq)(x), x));
  seq->train();
  const Tensor y = (*seq)(x);
  const double kept = (y > 0.0).to(DType::Float64).sum().item<double>();
  EXPECT_GT(kept, 400);
  EXPECT_LT(kept, 600);
  EXPECT_NEAR(y.max().item<double>(), 2.0, 1e-6);
}

TEST(StateDict, RoundTripAndReproducibleInit) {
  Generator g1(11), g2(11), g3(12);
  WithBuffer a(g1), b(g2), c(g3);
  // Same seed, same weights; another seed, other weights.
  EXPECT_TRUE(equal(a.named_parameters().at("layers.0.weight"),
                    b.named_parameters().at("layers.0.weight")));
  EXPECT_FALSE(equal(a.named_parameters().at("layers.0.weight"),
                     c.named_parameters().at("layers.0.weight")));
  ParamDict state = a.state_dict();
  state.at("offset") = full({2}, 0.5);
  c.load_state_dict(state);
  for (const auto& [k, t] : state) {
    EXPECT_TRUE(equal(c.state_dict().at(k), t)) << k;
  }
  const Tensor x = randn({5, 4}, DType::Float32, &g1);
  EXPECT_TRUE(close(c(x), a(x) + 0.5));
  // Loaded values are copies: changing c does not change a.
  c.find_tensor("scale")->copy_(zeros({2}));
  EXPECT_TRUE(equal(a.param("scale"), ones({2})));
}

TEST(StateDict, StrictErrorsNameTheKeys) {
  Generator gen(5);
  WithBuffer m(gen);
  const ParamDict good = m.state_dict();
  ParamDict missing = good;
  missing.erase("layers.2.bias");
  EXPECT_TRUE(throws_with([&] { m.load_state_dict(missing); },
                          "missing keys: {layers.2.bias}"));
  ParamDict extra = good;
  extra.insert_or_assign("layers.9.weight", zeros({1}));
  EXPECT_TRUE(throws_with([&] { m.load_state_dict(extra); },
                          "unexpected keys: {layers.9.weight}"));
  ParamDict wrong = good;
  wrong.at("layers.0.weight") = zeros({8, 5});
  EXPECT_TRUE(throws_with([&] { m.load_state_dict(wrong); },
                          "shape mismatch for \"layers.0.weight\""));
  // A shape mismatch is an error even when not strict, and nothing changed.
  wrong.at("scale") = full({2}, 7.0);
  EXPECT_THROW(m.load_state_dict(wrong, /*strict=*/false), Error);
  EXPECT_TRUE(equal(m.param("scale"), ones({2})));
  // Not strict: missing and unexpected keys are skipped.
  ParamDict partial;
  partial.insert_or_assign("scale", full({2}, 3.0));
  partial.insert_or_assign("other", zeros({1}));
  m.load_state_dict(partial, /*strict=*/false);
  EXPECT_TRUE(equal(m.param("scale"), full({2}, 3.0)));
}

TEST(Layers, LinearAndConvInitBounds) {
  Generator gen(2);
  nn::Linear lin(16, 32, gen);
  const double lb = 1.0 / std::sqrt(16.0);
  EXPECT_LE(abs(lin.param("weight")).max().item<double>(), lb);
  EXPECT_GT(abs(lin.param("weight")).max().item<double>(), 0.8 * lb);
  EXPECT_LE(abs(lin.param("bias")).max().item<double>(), lb);
  nn::Linear nobias(3, 2, gen, {.bias = false});
  EXPECT_FALSE(nobias.has_param("bias"));
  EXPECT_EQ(nobias.named_parameters().size(), 1u);

  nn::Conv2d conv(3, 4, {3, 3}, gen, {.padding = {1, 1}});
  const double cb = 1.0 / std::sqrt(27.0);
  EXPECT_EQ(conv.param("weight").shape(), (Shape{4, 3, 3, 3}));
  EXPECT_LE(abs(conv.param("weight")).max().item<double>(), cb);
  EXPECT_EQ(conv(ones({2, 3, 5, 5})).shape(), (Shape{2, 4, 5, 5}));
  EXPECT_EQ(conv(ones({3, 5, 5})).shape(), (Shape{4, 5, 5}));
  EXPECT_TRUE(throws_with([&] { conv(ones({2, 2, 5, 5})); }, "[nn.Conv2d]"));
}

TEST(Layers, SmallCnnShapes) {
  Generator gen(4);
  nn::Sequential net({std::make_shared<nn::Conv2d>(1, 4, Shape{3, 3}, gen),
                      std::make_shared<nn::ReLU>(),
                      std::make_shared<nn::MaxPool2d>(Shape{2, 2}),
                      std::make_shared<nn::Flatten>(),
                      std::make_shared<nn::Linear>(36, 10, gen),
                      std::make_shared<nn::Tanh>()});
  const Tensor y = net(randn({5, 1, 8, 8}, DType::Float32, &gen));
  EXPECT_EQ(y.shape(), (Shape{5, 10}));
  EXPECT_LE(abs(y).max().item<double>(), 1.0);
  EXPECT_EQ(net.size(), 6u);
  EXPECT_EQ(net[4].type_name(), "Linear");
  EXPECT_TRUE(throws_with([&] { net[6]; }, "out of range"));
}

TEST(Layers, LayerNormAndEmbedding) {
  Generator gen(6);
  nn::LayerNorm ln({4});
  EXPECT_TRUE(equal(ln.param("weight"), ones({4})));
  const Tensor x = randn({3, 4}, DType::Float32, &gen);
  const Tensor y = ln(x);
  EXPECT_TRUE(close(y.mean({1}), zeros({3}), 1e-5));
  EXPECT_TRUE(close(layer_norm(x, {4}), y));
  EXPECT_TRUE(throws_with([&] { ln(ones({3, 5})); }, "[nn.LayerNorm]"));

  nn::Embedding emb(10, 3, gen);
  const Tensor idx = from_vector(std::vector<int64_t>{2, 7, 2}, Shape{3});
  const Tensor e = emb(idx);
  EXPECT_EQ(e.shape(), (Shape{3, 3}));
  EXPECT_TRUE(equal(e[0], emb.param("weight")[2]));
  EXPECT_TRUE(equal(e[2], e[0]));
  EXPECT_TRUE(throws_with([&] { emb(ones({2})); }, "integers"));
}

}  // namespace
}  // namespace fnx

namespace fnx::nn {
namespace {

// Layers without a Generator draw from the default generator, which
// fnx::manual_seed makes reproducible; ensembles of a derived module type
// stack without casting to Module.
class TwoLayer : public Module {
 public:
  TwoLayer() : Module("TwoLayer") {
    fc1_ = register_module("fc1", std::make_shared<Linear>(4, 8));
    fc2_ = register_module("fc2", std::make_shared<Linear>(8, 2));
  }
  Tensor forward(const Tensor& x) override {
    return fc2_->forward(relu(fc1_->forward(x)));
  }

 private:
  std::shared_ptr<Linear> fc1_, fc2_;
};

TEST(DefaultGenerator, LayersNeedNoGeneratorAndManualSeedRepeats) {
  manual_seed(7);
  Linear a(3, 2);
  Conv2d c(1, 2, {3, 3});
  Conv1d c1(1, 2, 3);
  Embedding e(5, 3);
  Dropout d(0.5);
  manual_seed(7);
  Linear b(3, 2);
  EXPECT_EQ(a.param("weight").to_vector(), b.param("weight").to_vector());
  Linear other(3, 2);
  EXPECT_NE(b.param("weight").to_vector(), other.param("weight").to_vector());
  EXPECT_EQ(c.param("weight").shape(), Shape({2, 1, 3, 3}));
  EXPECT_EQ(e.param("weight").shape(), Shape({5, 3}));
}

TEST(DefaultGenerator, StackModuleStateOfADerivedType) {
  manual_seed(1);
  std::vector<std::shared_ptr<TwoLayer>> models;
  for (int i = 0; i < 3; ++i) models.push_back(std::make_shared<TwoLayer>());
  auto [ps, bs] = stack_module_state(models);
  EXPECT_EQ(ps.at("fc1.weight").shape(), Shape({3, 8, 4}));
  EXPECT_TRUE(bs.empty());
}

}  // namespace
}  // namespace fnx::nn
