// Demo 5: a character-level language model trained with DP-SGD on a text
// that ships with Debian (a license text of base-files, so nothing is
// downloaded): per-sample gradients via vmap(grad(loss)) through
// functional_call, each clipped to a norm C, averaged, Gaussian noise
// added once. A small causal transformer, or an LSTM; the held-out
// perplexity is compared with the unigram model's.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace fnx::demos {

// GPL-3, English prose of about 35 KB; base-files installs it on every
// Debian system.
inline constexpr char kCharLmText[] = "/usr/share/common-licenses/GPL-3";

enum class CharLmModel { transformer, lstm };

struct CharLmConfig {
  CharLmModel model = CharLmModel::transformer;
  int steps = 1000;
  int64_t seq_len = 32;
  int64_t batch_size = 32;
  // Embedding width; the transformer's d_model, the LSTM's hidden size.
  int64_t d_model = 32;
  int64_t heads = 2;   // transformer only
  int64_t layers = 1;  // transformer only
  int64_t dim_feedforward = 64;
  double lr = 1e-2;  // AdamW
  double weight_decay = 0;
  double clip_norm = 1.0;         // C: per-sample gradient norm bound
  double noise_multiplier = 1.0;  // sigma: noise std is sigma * C
  double delta = 1e-5;            // for the reported (epsilon, delta)
  int log_every = 100;            // a progress line every this many steps
  uint64_t seed = 0;
};

struct CharLmResult {
  std::vector<double> losses;  // mean training loss of each logged span
  double perplexity = 0;       // on the held-out last 10% of the text
  double unigram_perplexity = 0;
  int64_t vocab = 0;
  // The largest per-sample gradient norm after clipping, over all steps
  // (at most clip_norm, what DP-SGD's guarantee rests on).
  double max_clipped_norm = 0;
  double epsilon = 0;  // at config.delta
};

// The file's bytes; a NotFound status naming the file and its package if
// it is missing.
absl::StatusOr<std::string> load_text(const std::string& path);

// Trains on the first 90% of `text` and evaluates on the rest; `source`
// names the text in the output.
CharLmResult run_charlm_demo(const CharLmConfig& config,
                             const std::string& text, const std::string& source,
                             std::ostream& out);

}  // namespace fnx::demos
