// BatchNorm in training mode under per-example vmap, with no change to the
// model: each per-example computation normalises with the statistics of
// the batch it sees (its own input), so outputs and per-example gradients
// equal a per-example loop; the running statistics are updated once per
// call with the statistics of every example's input to the layer (for a
// first BatchNorm: what one plain training forward over the whole batch
// gives). Also: BatchNorm1d, micro-batches, two BatchNorms, per-sample
// Jacobians (functorch#867), a stacked ensemble of per-sample gradients,
// eval mode, and the errors.
#include <memory>
#include <string>
#include <vector>

#include "fnx.h"
#include "gtest/gtest.h"
#include "nn/functional_call.h"
#include "nn/layers.h"
#include "nn/losses.h"
#include "nn/norm_layers.h"
#include "tests/testing/transform_test_util.h"

namespace fnx {
namespace {

using testing::close;
using testing::throws_with;

constexpr nn::BatchNormOptions kBn64{.dtype = DType::Float64};
constexpr nn::LinearOptions kLin64{.dtype = DType::Float64};
const std::vector<std::string> kStats = {"running_mean", "running_var",
                                         "num_batches_tracked"};

// conv 3x3 -> BatchNorm2d -> ReLU -> Linear: (N, 1, 4, 4) -> (N, 2). The
// same seed gives the same model.
std::shared_ptr<nn::Sequential> make_cnn(uint64_t seed) {
  Generator gen(seed);
  return std::make_shared<nn::Sequential>(
      std::vector<std::shared_ptr<nn::Module>>{
          std::make_shared<nn::Conv2d>(
              1, 3, Shape{3, 3}, gen,
              nn::Conv2dOptions{.padding = {1, 1}, .dtype = DType::Float64}),
          std::make_shared<nn::BatchNorm2d>(3, kBn64),
          std::make_shared<nn::ReLU>(), std::make_shared<nn::Flatten>(),
          std::make_shared<nn::Linear>(48, 2, gen, kLin64)});
}

// Every buffer of `got` against `expected` (float64, tight tolerance).
::testing::AssertionResult same_buffers(const ParamDict& got,
                                        const ParamDict& expected) {
  if (got.keys() != expected.keys()) {
    return ::testing::AssertionFailure() << "different buffer names";
  }
  for (const auto& [name, t] : expected) {
    const auto result = close(got.at(name), t, 1e-12, 1e-12);
    if (!result) {
      return ::testing::AssertionFailure() << name << ": " << result.message();
    }
  }
  return ::testing::AssertionSuccess();
}

ParamDict clone_all(const ParamDict& d) {
  ParamDict out;
  for (const auto& [k, t] : d) out.insert_or_assign(k, clone(t));
  return out;
}

TEST(BatchNormVmap, PerSampleGradsOfACnnKeepTheRunningStatistics) {
  Generator gen(1);
  const Tensor xs = randn({6, 1, 4, 4}, DType::Float64, &gen) * 2.0 + 0.5;
  const Tensor ys =
      from_vector(std::vector<int64_t>{0, 1, 1, 0, 1, 0}, {6}, DType::Int64);
  auto net = make_cnn(7);
  auto loss_of = [](nn::Module& model) {
    return [&model](const ParamDict& p, const Tensor& x, const Tensor& y) {
      return nn::cross_entropy(nn::functional_call(model, p, unsqueeze(x, 0)),
                               unsqueeze(y, 0));
    };
  };
  const ParamDict params = net->named_parameters();
  // The module's own buffers are the ones updated: nothing is patched.
  const ParamDict grads =
      vmap(grad(loss_of(*net)), {none, 0, 0})(params, xs, ys);

  auto plain = make_cnn(7);
  (*plain)(xs);  // one training forward over the whole batch
  EXPECT_TRUE(same_buffers(net->named_buffers(), plain->named_buffers()));
  EXPECT_EQ(net->named_buffers().at("1.num_batches_tracked").item<int64_t>(),
            1);
  EXPECT_FALSE(equal(net->named_buffers().at("1.running_mean"),
                     make_cnn(7)->named_buffers().at("1.running_mean")));

  // The gradients torch.func's patched model gives.
  auto patched = make_cnn(7);
  nn::replace_all_batch_norm_modules_(*patched);
  const ParamDict patched_grads =
      vmap(grad(loss_of(*patched)), {none, 0, 0})(params, xs, ys);
  for (const auto& [name, t] : patched_grads) {
    EXPECT_TRUE(close(grads.at(name), t, 1e-12)) << name;
  }

  // Each example normalised with its own statistics: the loop of grad on a
  // batch of one, in training mode.
  auto loop = make_cnn(7);
  for (int64_t i = 0; i < 6; ++i) {
    const ParamDict g = grad(loss_of(*loop))(params, xs[i], ys[i]);
    for (const auto& [name, t] : g) {
      EXPECT_TRUE(close(grads.at(name)[i], t, 1e-10)) << name << " " << i;
    }
  }
}

TEST(BatchNormVmap, PerSampleJacobiansOfTheInput) {  // functorch#867
  Generator gen(2);
  const Tensor xs = randn({5, 1, 4, 4}, DType::Float64, &gen);
  auto net = make_cnn(8);
  const ParamDict params = net->named_parameters();
  auto logits_of = [](nn::Module& model, const ParamDict& p) {
    return [&model, p](const Tensor& x) {
      return squeeze(nn::functional_call(model, p, unsqueeze(x, 0)), 0);
    };
  };
  const Tensor jac = vmap(jacrev(logits_of(*net, params)))(xs);
  EXPECT_EQ(jac.shape(), (Shape{5, 2, 1, 4, 4}));
  auto plain = make_cnn(8);
  (*plain)(xs);
  EXPECT_TRUE(same_buffers(net->named_buffers(), plain->named_buffers()));
  auto loop = make_cnn(8);
  for (int64_t i = 0; i < 5; ++i) {
    EXPECT_TRUE(close(jac[i], jacrev(logits_of(*loop, params))(xs[i]), 1e-10))
        << "example " << i;
  }
  // Forward mode: jacfwd's own vmap batches only the tangents, so the
  // statistics still come from the per-example level.
  auto fwd = make_cnn(8);
  EXPECT_TRUE(close(vmap(jacfwd(logits_of(*fwd, params)))(xs), jac, 1e-10));
  EXPECT_TRUE(same_buffers(fwd->named_buffers(), plain->named_buffers()));
}

TEST(BatchNormVmap, TwoNestedPerExampleLevelsAreOneBatch) {
  // A (2, 3) grid of examples mapped by two vmaps: both levels are reduced.
  Generator gen(8);
  const Tensor xs = randn({2, 3, 1, 4, 4}, DType::Float64, &gen);
  auto net = make_cnn(15);
  auto one = [&](const Tensor& x) { return (*net)(unsqueeze(x, 0)); };
  vmap(vmap(one))(xs);
  auto plain = make_cnn(15);
  (*plain)(xs.reshape({6, 1, 4, 4}));
  EXPECT_TRUE(same_buffers(net->named_buffers(), plain->named_buffers()));
}

TEST(BatchNormVmap, BatchNorm1dPerSampleWithBuffersPassedToFunctionalCall) {
  Generator gen(3);
  auto make = [] {
    Generator g(9);
    return std::make_shared<nn::Sequential>(
        std::vector<std::shared_ptr<nn::Module>>{
            std::make_shared<nn::Conv1d>(
                2, 4, 3, g,
                nn::Conv1dOptions{.padding = 1, .dtype = DType::Float64}),
            std::make_shared<nn::BatchNorm1d>(4, kBn64),
            std::make_shared<nn::Tanh>(), std::make_shared<nn::Flatten>(),
            std::make_shared<nn::Linear>(20, 1, g, kLin64)});
  };
  auto net = make();
  const Tensor xs = randn({7, 2, 5}, DType::Float64, &gen) - 1.0;
  const Tensor ts = randn({7, 1}, DType::Float64, &gen);
  auto loss = [&](const ParamDict& p, const ParamDict& b, const Tensor& x,
                  const Tensor& t) {
    return nn::mse_loss(
        nn::functional_call(*net, std::pair{p, b}, unsqueeze(x, 0)),
        unsqueeze(t, 0));
  };
  const ParamDict params = net->named_parameters();
  const ParamDict own = clone_all(net->named_buffers());
  ParamDict buffers = clone_all(net->named_buffers());
  const ParamDict grads =
      vmap(grad(loss), {none, none, 0, 0})(params, buffers, xs, ts);

  auto plain = make();
  (*plain)(xs);
  EXPECT_TRUE(same_buffers(buffers, plain->named_buffers()));
  EXPECT_TRUE(same_buffers(net->named_buffers(), own));  // untouched
  for (int64_t i = 0; i < 7; ++i) {
    ParamDict scratch = clone_all(own);
    const ParamDict g = grad(loss)(params, scratch, xs[i], ts[i]);
    for (const auto& [name, t] : g) {
      EXPECT_TRUE(close(grads.at(name)[i], t, 1e-10)) << name << " " << i;
    }
  }
}

TEST(BatchNormVmap, MicroBatchesAndASecondBatchNormSeeTheirOwnInputs) {
  // vmap over 3 groups of 4 rows: each group is normalised with its own
  // statistics; each BatchNorm's running statistics are those of all 12
  // rows of its input. The first BatchNorm's input is the same as in a
  // plain forward; the second's is what the groups computed.
  Generator gen(4);
  auto make = [] {
    Generator g(10);
    return std::make_shared<nn::Sequential>(
        std::vector<std::shared_ptr<nn::Module>>{
            std::make_shared<nn::Linear>(3, 4, g, kLin64),
            std::make_shared<nn::BatchNorm1d>(4, kBn64),
            std::make_shared<nn::Tanh>(),
            std::make_shared<nn::Linear>(4, 4, g, kLin64),
            std::make_shared<nn::BatchNorm1d>(4, kBn64)});
  };
  auto net = make();
  const Tensor xs = randn({3, 4, 3}, DType::Float64, &gen) + 1.0;
  const Tensor ys = vmap([&](const Tensor& x) { return (*net)(x); })(xs);
  for (int64_t g = 0; g < 3; ++g) {
    EXPECT_TRUE(close(ys[g], (*make())(xs[g]), 1e-10)) << "group " << g;
  }
  // The expected statistics: fresh BatchNorms run on each layer's whole
  // 12-row input.
  const ParamDict p = net->named_parameters();
  nn::BatchNorm1d first(4, kBn64), second(4, kBn64);
  first(linear(xs.reshape({12, 3}), p.at("0.weight"), p.at("0.bias")));
  std::vector<Tensor> hidden;
  for (int64_t g = 0; g < 3; ++g) {
    const Tensor a = linear(xs[g], p.at("0.weight"), p.at("0.bias"));
    const Tensor normed =
        batch_norm(a, Tensor(), Tensor(), p.at("1.weight"), p.at("1.bias"),
                   /*training=*/true, 1e-5);
    hidden.push_back(linear(tanh(normed), p.at("3.weight"), p.at("3.bias")));
  }
  second(cat(hidden, 0));
  const ParamDict got = net->named_buffers();
  for (const std::string& stat : kStats) {
    EXPECT_TRUE(close(got.at("1." + stat), first.named_buffers().at(stat),
                      1e-12, 1e-12))
        << stat;
    EXPECT_TRUE(close(got.at("4." + stat), second.named_buffers().at(stat),
                      1e-12, 1e-12))
        << stat;
  }
}

TEST(BatchNormVmap, EnsembleOfPerSampleGradsKeepsPerModelStatistics) {
  // vmap over 2 stacked models of per-sample grads over 4 examples each:
  // the collective averages over a model's examples, never across models.
  Generator gen(5);
  std::vector<std::shared_ptr<nn::Module>> models = {make_cnn(11),
                                                     make_cnn(12)};
  auto [params, buffers] = nn::stack_module_state(models);
  nn::Module& base = *models[0];
  const Tensor xs = randn({2, 4, 1, 4, 4}, DType::Float64, &gen);
  const Tensor ys = from_vector(std::vector<int64_t>{0, 1, 1, 0, 1, 1, 0, 0},
                                {2, 4}, DType::Int64);
  auto loss = [&](const ParamDict& p, const ParamDict& b, const Tensor& x,
                  const Tensor& y) {
    return nn::cross_entropy(
        nn::functional_call(base, std::pair{p, b}, unsqueeze(x, 0)),
        unsqueeze(y, 0));
  };
  auto per_model = [&](const ParamDict& p, const ParamDict& b,
                       const Tensor& model_xs, const Tensor& model_ys) {
    return vmap(grad(loss), {none, none, 0, 0})(p, b, model_xs, model_ys);
  };
  const ParamDict grads = vmap(per_model)(params, buffers, xs, ys);
  for (int64_t m = 0; m < 2; ++m) {
    auto plain = make_cnn(11 + m);
    (*plain)(xs[m]);
    for (const auto& [name, t] : plain->named_buffers()) {
      EXPECT_TRUE(close(buffers.at(name)[m], t, 1e-12, 1e-12))
          << name << " model " << m;
    }
    auto loop = make_cnn(11 + m);
    const ParamDict own = loop->named_parameters();
    for (int64_t i = 0; i < 4; ++i) {
      const ParamDict g = grad([&](const ParamDict& p) {
        return nn::cross_entropy(
            nn::functional_call(*loop, p, unsqueeze(xs[m][i], 0)),
            unsqueeze(ys[m][i], 0));
      })(own);
      for (const auto& [name, t] : g) {
        EXPECT_TRUE(close(grads.at(name)[m][i], t, 1e-10))
            << name << " model " << m << " example " << i;
      }
    }
  }
}

TEST(BatchNormVmap, EvalModeUsesAndKeepsTheRunningStatistics) {
  Generator gen(6);
  auto net = make_cnn(13);
  (*net)(randn({8, 1, 4, 4}, DType::Float64, &gen));  // some statistics
  net->eval();
  const ParamDict before = clone_all(net->named_buffers());
  const Tensor xs = randn({5, 1, 4, 4}, DType::Float64, &gen);
  const Tensor ys = vmap(
      [&](const Tensor& x) { return squeeze((*net)(unsqueeze(x, 0)), 0); })(xs);
  EXPECT_TRUE(close(ys, (*net)(xs), 1e-10));
  EXPECT_TRUE(same_buffers(net->named_buffers(), before));
}

TEST(BatchNormVmap, Errors) {
  Generator gen(7);
  auto net = make_cnn(14);
  const ParamDict params = net->named_parameters();
  const Tensor xs = randn({4, 1, 4, 4}, DType::Float64, &gen);
  auto logits = [&](const ParamDict& p, const Tensor& x) {
    return nn::functional_call(*net, p, unsqueeze(x, 0)).sum();
  };
  // A chunk sees only its examples: the statistics would be wrong.
  EXPECT_TRUE(throws_with(
      [&] {
        vmap(grad(logits), {none, 0}, 0, {.chunk_size = 2})(params, xs);
      },
      {"[nn.BatchNorm2d]", "chunk_size", "leave chunk_size unset"}));
  EXPECT_EQ(net->named_buffers().at("1.num_batches_tracked").item<int64_t>(),
            0);
  // One value per channel per example cannot be normalised (as torch).
  nn::BatchNorm1d bn(3, kBn64);
  EXPECT_TRUE(throws_with(
      [&] {
        vmap([&](const Tensor& x) { return bn(unsqueeze(x, 0)); })(
            randn({4, 3}, DType::Float64, &gen));
      },
      {"[batch_norm]", "more than 1 value"}));
}

}  // namespace
}  // namespace fnx
