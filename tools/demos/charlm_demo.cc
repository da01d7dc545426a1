#include "tools/demos/charlm_demo.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <iterator>
#include <memory>
#include <numeric>
#include <random>
#include <sstream>
#include <tuple>
#include <vector>

#include "absl/status/status.h"
#include "core/generator.h"
#include "core/ops/ops.h"
#include "core/param_dict.h"
#include "core/str_cat.h"
#include "core/tensor.h"
#include "nn/functional_call.h"
#include "nn/layers.h"
#include "nn/losses.h"
#include "nn/optim.h"
#include "nn/recurrent.h"
#include "nn/transformer.h"
#include "tools/demos/demo_util.h"
#include "tools/demos/dp_sgd.h"
#include "tools/demos/privacy.h"
#include "transforms/grad/grad.h"
#include "transforms/vmap/vmap.h"

namespace fnx::demos {
namespace {

// Token and learned position embeddings, pre-norm causal encoder layers
// (pre-norm trains without warm-up, which matters with DP noise), a final
// LayerNorm and a linear head. (N, S) byte ids -> (N, S, vocab) logits.
class CharTransformer : public nn::Module {
 public:
  CharTransformer(int64_t vocab, const CharLmConfig& c, Generator& gen)
      : Module("CharTransformer") {
    tok_ = register_module(
        "tok", std::make_shared<nn::Embedding>(vocab, c.d_model, gen));
    pos_ = register_module(
        "pos", std::make_shared<nn::Embedding>(c.seq_len, c.d_model, gen));
    // No dropout: the DP noise regularizes, and runs stay deterministic.
    const nn::TransformerLayerOptions options{
        .dim_feedforward = c.dim_feedforward,
        .dropout = 0,
        .batch_first = true,
        .norm_first = true};
    for (int64_t i = 0; i < c.layers; ++i) {
      layers_.push_back(register_module(
          str_cat("layer", i), std::make_shared<nn::TransformerEncoderLayer>(
                                   c.d_model, c.heads, gen, options)));
    }
    norm_ = register_module("norm",
                            std::make_shared<nn::LayerNorm>(Shape{c.d_model}));
    head_ = register_module(
        "head", std::make_shared<nn::Linear>(c.d_model, vocab, gen));
  }
  Tensor forward(const Tensor& x) override {
    Tensor h = (*tok_)(x) + (*pos_)(arange(x.size(-1)));
    for (const auto& layer : layers_) h = layer->forward(h, {}, {}, true);
    return (*head_)((*norm_)(h));
  }

 private:
  std::shared_ptr<nn::Embedding> tok_, pos_;
  std::vector<std::shared_ptr<nn::TransformerEncoderLayer>> layers_;
  std::shared_ptr<nn::LayerNorm> norm_;
  std::shared_ptr<nn::Linear> head_;
};

// Embedding, a one-layer LSTM (causal by construction), a linear head.
class CharLstm : public nn::Module {
 public:
  CharLstm(int64_t vocab, const CharLmConfig& c, Generator& gen)
      : Module("CharLstm") {
    tok_ = register_module(
        "tok", std::make_shared<nn::Embedding>(vocab, c.d_model, gen));
    lstm_ = register_module(
        "lstm",
        std::make_shared<nn::LSTM>(c.d_model, c.d_model, gen,
                                   nn::RecurrentOptions{.batch_first = true}));
    head_ = register_module(
        "head", std::make_shared<nn::Linear>(c.d_model, vocab, gen));
  }
  Tensor forward(const Tensor& x) override {
    return (*head_)(lstm_->forward((*tok_)(x)));
  }

 private:
  std::shared_ptr<nn::Embedding> tok_;
  std::shared_ptr<nn::LSTM> lstm_;
  std::shared_ptr<nn::Linear> head_;
};

// Inputs and next-character targets, (n, seq_len) each.
struct Windows {
  Tensor x, y;
  int64_t count = 0;
};

// Windows of ids[begin, end) starting every `stride` characters.
Windows make_windows(const std::vector<int64_t>& ids, int64_t begin,
                     int64_t end, int64_t seq_len, int64_t stride) {
  std::vector<int64_t> xs, ys;
  Windows w;
  for (int64_t s = begin; s + seq_len + 1 <= end; s += stride) {
    xs.insert(xs.end(), ids.begin() + s, ids.begin() + s + seq_len);
    ys.insert(ys.end(), ids.begin() + s + 1, ids.begin() + s + seq_len + 1);
    ++w.count;
  }
  w.x = from_vector(xs, {w.count, seq_len});
  w.y = from_vector(ys, {w.count, seq_len});
  return w;
}

// exp of the mean cross-entropy of add-one-smoothed training character
// frequencies on the held-out targets: what "learned nothing but the
// letter frequencies" scores.
double unigram_perplexity(const std::vector<int64_t>& ids, int64_t train_end,
                          const Tensor& targets, int64_t vocab) {
  std::vector<double> counts(vocab, 1.0);
  for (int64_t i = 0; i < train_end; ++i) counts[ids[i]] += 1;
  const double total = std::accumulate(counts.begin(), counts.end(), 0.0);
  double nll = 0;
  const std::vector<double> ys = targets.to_vector();
  for (double y : ys) nll -= std::log(counts[static_cast<int64_t>(y)] / total);
  return std::exp(nll / static_cast<double>(ys.size()));
}

std::string describe(const CharLmConfig& c, int64_t vocab) {
  if (c.model == CharLmModel::lstm) {
    return str_cat("LSTM: embedding ", vocab, " -> ", c.d_model, ", LSTM ",
                   c.d_model, " -> ", c.d_model, ", linear -> ", vocab);
  }
  return str_cat("transformer: embedding ", vocab, " -> ", c.d_model,
                 " + learned positions, ", c.layers, " causal pre-norm encoder",
                 c.layers == 1 ? "" : "s", " (", c.heads,
                 " heads, feed-forward ", c.dim_feedforward, "), linear -> ",
                 vocab);
}

}  // namespace

absl::StatusOr<std::string> load_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(str_cat(
        "cannot read ", path,
        " (Debian's base-files package installs the license texts under "
        "/usr/share/common-licenses/)"));
  }
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  if (text.size() < 4096) {
    return absl::FailedPreconditionError(
        str_cat(path, " has ", text.size(), " bytes; the demo needs 4 KB"));
  }
  return text;
}

CharLmResult run_charlm_demo(const CharLmConfig& config,
                             const std::string& text, const std::string& source,
                             std::ostream& out) {
  // The vocabulary: the bytes that occur, in byte order.
  std::array<int64_t, 256> id_of;
  id_of.fill(-1);
  for (unsigned char ch : text) id_of[ch] = 0;
  int64_t vocab = 0;
  for (int64_t& id : id_of) id = id < 0 ? -1 : vocab++;
  std::vector<int64_t> ids;
  ids.reserve(text.size());
  for (unsigned char ch : text) ids.push_back(id_of[ch]);

  const int64_t n = static_cast<int64_t>(ids.size());
  const int64_t train_end = n - n / 10;
  const int64_t s = config.seq_len;
  // Training examples are disjoint chunks, so each character belongs to
  // one example and the per-example guarantee covers it; the held-out
  // windows predict every held-out character but the first once.
  const Windows train = make_windows(ids, 0, train_end, s, s + 1);
  const Windows held = make_windows(ids, train_end, n, s, s);

  CharLmResult result;
  result.vocab = vocab;
  result.unigram_perplexity = unigram_perplexity(ids, train_end, held.y, vocab);

  Generator gen(config.seed);
  std::unique_ptr<nn::Module> net;
  if (config.model == CharLmModel::lstm) {
    net = std::make_unique<CharLstm>(vocab, config, gen);
  } else {
    net = std::make_unique<CharTransformer>(vocab, config, gen);
  }
  ParamDict params = net->named_parameters();
  int64_t num_params = 0;
  for (const auto& [name, p] : params) num_params += p.numel();

  out << "# charlm" << (config.model == CharLmModel::lstm ? "-lstm" : "")
      << ": a character-level language model trained with DP-SGD\n"
      << "text: " << source << " (" << n << " bytes, " << vocab
      << " distinct), first 90% for training (" << train.count
      << " disjoint chunks of " << s << " + 1), last 10% held out\n"
      << describe(config, vocab) << "; " << num_params << " parameters\n"
      << "DP-SGD: per-sample gradients with vmap(grad(loss), {none, 0, 0}) "
         "through functional_call, each clipped to norm C = "
      << config.clip_norm << ", averaged over the batch of "
      << config.batch_size << ", Gaussian noise of std sigma * C / batch "
      << "(sigma = " << config.noise_multiplier << ") added; AdamW lr "
      << config.lr << ", " << config.steps << " steps, seed " << config.seed
      << ".\n\n";

  auto batch_loss = [&](const ParamDict& p, const Tensor& x, const Tensor& y) {
    const Tensor logits = nn::functional_call(*net, p, x);
    return nn::cross_entropy(logits.reshape({-1, vocab}), y.reshape({-1}));
  };
  auto sample_loss = [&](const ParamDict& p, const Tensor& x, const Tensor& y) {
    return batch_loss(p, x.unsqueeze(0), y.unsqueeze(0));
  };
  // Each example's gradient and loss in one pass (the loss for the
  // progress lines, at no extra cost).
  auto per_sample = vmap(
      [&](const ParamDict& p, const Tensor& x, const Tensor& y) {
        auto [g, value] = grad_and_value(sample_loss)(p, x, y);
        return std::make_tuple(g, value);
      },
      {none, 0, 0});

  nn::AdamW opt({.lr = config.lr, .weight_decay = config.weight_decay});
  std::vector<int64_t> order(train.count);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937 rng(static_cast<unsigned>(config.seed));
  std::size_t cursor = order.size();  // reshuffle before the first batch
  const int64_t b = std::min(config.batch_size, train.count);
  Stopwatch watch;
  double span_loss = 0;
  int span_steps = 0;
  for (int step = 1; step <= config.steps; ++step) {
    if (cursor + b > order.size()) {
      std::shuffle(order.begin(), order.end(), rng);
      cursor = 0;
    }
    const Tensor index =
        from_vector(std::vector<int64_t>(order.begin() + cursor,
                                         order.begin() + cursor + b),
                    {b});
    cursor += b;
    const Tensor x = index_select(train.x, 0, index);
    const Tensor y = index_select(train.y, 0, index);
    const auto [g, losses] = per_sample(params, x, y);
    const double clipped =
        per_sample_norms(clip_per_sample(g, b, config.clip_norm), b)
            .max()
            .item<double>();
    result.max_clipped_norm = std::max(result.max_clipped_norm, clipped);
    params = opt.step(params, privatize(g, b, config.clip_norm,
                                        config.noise_multiplier, gen));
    span_loss += losses.mean().item<double>();
    ++span_steps;
    if (step % config.log_every == 0 || step == config.steps) {
      result.losses.push_back(span_loss / span_steps);
      out << "  step " << step << "/" << config.steps << "  train loss "
          << fixed(result.losses.back()) << "  ("
          << format_seconds(watch.seconds()) << ")\n"
          << std::flush;  // progress shows while it trains
      span_loss = 0;
      span_steps = 0;
    }
  }

  result.perplexity =
      std::exp(batch_loss(params, held.x, held.y).item<double>());
  result.epsilon =
      dp_epsilon(static_cast<double>(b) / static_cast<double>(train.count),
                 config.noise_multiplier, config.steps, config.delta);
  out << "\nheld-out perplexity " << fixed(result.perplexity, 2)
      << " (unigram baseline " << fixed(result.unigram_perplexity, 2)
      << ", uniform " << vocab << ") after " << config.steps << " steps in "
      << format_seconds(watch.seconds()) << "\n"
      << "privacy spent: epsilon = " << fixed(result.epsilon, 2)
      << " at delta = " << config.delta
      << " per training chunk (RDP accountant, sampling rate batch / chunks; "
         "shuffled rather than Poisson-sampled batches, the usual "
         "approximation)\n";
  return result;
}

}  // namespace fnx::demos
