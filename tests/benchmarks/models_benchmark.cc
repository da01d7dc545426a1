// Per-sample gradients of the small sequence models of issue 22, the
// workload of DP fine-tuning: vmap(grad(loss)) over a batch of 32 token
// sequences of length 64 (next-token cross-entropy), through
// functional_call. peers_compare.py runs the same models in torch.func,
// functorch and JAX (psg_transformer_* and psg_lstm_* rows).
//
//   transformer: token + position embeddings (vocab 64, d_model 64), one
//     pre-norm causal TransformerEncoderLayer (4 heads, feed-forward 256,
//     relu, no dropout), a final LayerNorm and a linear head;
//   lstm: token embedding (64 -> 64), a one-layer LSTM (64 -> 64), a
//     linear head.
#include <memory>
#include <tuple>

#include "benchmark/benchmark.h"
#include "core/generator.h"
#include "core/ops/ops.h"
#include "core/param_dict.h"
#include "nn/functional_call.h"
#include "nn/layers.h"
#include "nn/losses.h"
#include "nn/recurrent.h"
#include "nn/transformer.h"
#include "transforms/grad/grad.h"
#include "transforms/vmap/vmap.h"

namespace fnx {
namespace {

constexpr int64_t kVocab = 64, kModel = 64, kHeads = 4, kFeedForward = 256,
                  kSeq = 64, kBatch = 32;

class TinyTransformer : public nn::Module {
 public:
  explicit TinyTransformer(Generator& gen) : Module("TinyTransformer") {
    tok_ = register_module("tok",
                           std::make_shared<nn::Embedding>(kVocab, kModel, gen));
    pos_ = register_module("pos",
                           std::make_shared<nn::Embedding>(kSeq, kModel, gen));
    layer_ = register_module(
        "layer",
        std::make_shared<nn::TransformerEncoderLayer>(
            kModel, kHeads, gen,
            nn::TransformerLayerOptions{.dim_feedforward = kFeedForward,
                                        .dropout = 0,
                                        .batch_first = true,
                                        .norm_first = true}));
    norm_ = register_module("norm",
                            std::make_shared<nn::LayerNorm>(Shape{kModel}));
    head_ = register_module("head",
                            std::make_shared<nn::Linear>(kModel, kVocab, gen));
  }
  Tensor forward(const Tensor& x) override {
    Tensor h = (*tok_)(x) + (*pos_)(arange(x.size(-1)));
    h = layer_->forward(h, {}, {}, /*is_causal=*/true);
    return (*head_)((*norm_)(h));
  }

 private:
  std::shared_ptr<nn::Embedding> tok_, pos_;
  std::shared_ptr<nn::TransformerEncoderLayer> layer_;
  std::shared_ptr<nn::LayerNorm> norm_;
  std::shared_ptr<nn::Linear> head_;
};

class TinyLstm : public nn::Module {
 public:
  explicit TinyLstm(Generator& gen) : Module("TinyLstm") {
    tok_ = register_module("tok",
                           std::make_shared<nn::Embedding>(kVocab, kModel, gen));
    lstm_ = register_module(
        "lstm", std::make_shared<nn::LSTM>(
                    kModel, kModel, gen,
                    nn::RecurrentOptions{.batch_first = true}));
    head_ = register_module("head",
                            std::make_shared<nn::Linear>(kModel, kVocab, gen));
  }
  Tensor forward(const Tensor& x) override {
    return (*head_)(lstm_->forward((*tok_)(x)));
  }

 private:
  std::shared_ptr<nn::Embedding> tok_;
  std::shared_ptr<nn::LSTM> lstm_;
  std::shared_ptr<nn::Linear> head_;
};

// Times vmap(grad(loss), {none, 0, 0}) over the batch; `sum` is a checksum
// of the per-sample gradients.
void run_per_sample_grads(benchmark::State& state, nn::Module& net) {
  Generator gen(3);
  const ParamDict params = net.named_parameters();
  const Tensor x = randint(0, kVocab, {kBatch, kSeq}, DType::Int64, &gen);
  const Tensor y = randint(0, kVocab, {kBatch, kSeq}, DType::Int64, &gen);
  auto loss = [&](const ParamDict& p, const Tensor& xi, const Tensor& yi) {
    const Tensor logits = nn::functional_call(net, p, xi.unsqueeze(0));
    return nn::cross_entropy(logits.reshape({-1, kVocab}), yi.reshape({-1}));
  };
  auto per_sample = vmap(grad(loss), {none, 0, 0});
  for (auto _ : state) {
    const ParamDict g = per_sample(params, x, y);
    benchmark::DoNotOptimize(g.begin()->second.raw_data());
  }
  double sum = 0;
  for (const auto& [name, t] : per_sample(params, x, y)) {
    sum += t.sum().item<double>();
  }
  state.counters["sum"] = sum;
}

void BM_PerSampleGradTransformer(benchmark::State& state) {
  Generator gen(1);
  TinyTransformer net(gen);
  run_per_sample_grads(state, net);
}
BENCHMARK(BM_PerSampleGradTransformer)->Unit(benchmark::kMillisecond);

void BM_PerSampleGradLstm(benchmark::State& state) {
  Generator gen(2);
  TinyLstm net(gen);
  run_per_sample_grads(state, net);
}
BENCHMARK(BM_PerSampleGradLstm)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace fnx
