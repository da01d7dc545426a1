// The character-level LM demo, short and small: the text loads (or its
// absence is a clear status), both models learn (loss falls, held-out
// perplexity finite and well below the vocabulary size), the run is
// deterministic given the seed, and per-sample clipping bounds every
// example's gradient norm.
#include "tools/demos/charlm_demo.h"

#include <cmath>
#include <sstream>
#include <string>

#include "core/generator.h"
#include "core/ops/ops.h"
#include "core/param_dict.h"
#include "gtest/gtest.h"
#include "tools/demos/dp_sgd.h"

namespace fnx::demos {
namespace {

std::string text() {
  const absl::StatusOr<std::string> t = load_text(kCharLmText);
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  return t.ok() ? *t : std::string();
}

// Few steps of a tiny model: enough to see learning, seconds to run.
CharLmConfig short_config(CharLmModel model) {
  CharLmConfig c;
  c.model = model;
  c.steps = 60;
  c.seq_len = 16;
  c.batch_size = 16;
  c.d_model = 16;
  c.dim_feedforward = 32;
  c.lr = 1e-2;
  c.log_every = 20;
  return c;
}

void expect_learns(const CharLmResult& r, const CharLmConfig& c) {
  ASSERT_EQ(r.losses.size(), 3u);
  EXPECT_LT(r.losses.back(), r.losses.front());
  EXPECT_TRUE(std::isfinite(r.perplexity));
  EXPECT_LT(r.perplexity, static_cast<double>(r.vocab));
  EXPECT_GT(r.unigram_perplexity, 1.0);
  EXPECT_LE(r.max_clipped_norm, c.clip_norm * (1 + 1e-5));
  EXPECT_GT(r.epsilon, 0.0);
}

TEST(CharLm, TheTextShipsWithDebian) {
  const std::string t = text();
  EXPECT_GT(t.size(), 30000u);
  EXPECT_NE(t.find("GNU GENERAL PUBLIC LICENSE"), std::string::npos);
}

TEST(CharLm, AMissingTextIsAClearStatus) {
  const absl::StatusOr<std::string> t = load_text("/no/such/license");
  EXPECT_EQ(t.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(t.status().message().find("/no/such/license"), std::string::npos);
}

TEST(CharLm, TheTransformerLearns) {
  const CharLmConfig c = short_config(CharLmModel::transformer);
  std::ostringstream out;
  const CharLmResult r = run_charlm_demo(c, text(), kCharLmText, out);
  expect_learns(r, c);
  EXPECT_NE(out.str().find("held-out perplexity"), std::string::npos);
  EXPECT_NE(out.str().find("unigram baseline"), std::string::npos);
  EXPECT_NE(out.str().find("epsilon = "), std::string::npos);
  EXPECT_NE(out.str().find(kCharLmText), std::string::npos);
}

TEST(CharLm, TheLstmLearns) {
  CharLmConfig c = short_config(CharLmModel::lstm);
  std::ostringstream out;
  const CharLmResult r = run_charlm_demo(c, text(), kCharLmText, out);
  expect_learns(r, c);
  EXPECT_NE(out.str().find("LSTM"), std::string::npos);
}

TEST(CharLm, DeterministicGivenTheSeed) {
  CharLmConfig c = short_config(CharLmModel::transformer);
  c.steps = 10;
  c.log_every = 5;
  const std::string t = text();
  std::ostringstream a, b;
  const CharLmResult ra = run_charlm_demo(c, t, kCharLmText, a);
  const CharLmResult rb = run_charlm_demo(c, t, kCharLmText, b);
  EXPECT_EQ(ra.losses, rb.losses);
  EXPECT_EQ(ra.perplexity, rb.perplexity);
}

TEST(DpSgd, ClippingBoundsEveryExamplesNorm) {
  Generator gen(3);
  // Five examples' gradients, norms from well below to well above C = 1.
  ParamDict g;
  g.insert_or_assign("w",
                     randn({5, 3, 4}, DType::Float32, &gen) *
                         from_vector({0.01, 0.1, 1.0, 10.0, 100.0}, {5, 1, 1}));
  g.insert_or_assign("b", randn({5, 4}, DType::Float32, &gen));
  const std::vector<double> before = per_sample_norms(g, 5).to_vector();
  const std::vector<double> after =
      per_sample_norms(clip_per_sample(g, 5, 1.0), 5).to_vector();
  for (int i = 0; i < 5; ++i) {
    EXPECT_LE(after[i], 1.0 + 1e-5) << i;
    // Below the bound the gradient is untouched.
    if (before[i] < 1.0) {
      EXPECT_NEAR(after[i], before[i], 1e-5) << i;
    }
  }
  // Without noise, privatize is the mean of the clipped gradients.
  const ParamDict p = privatize(g, 5, 1.0, 0.0, gen);
  const ParamDict c = clip_per_sample(g, 5, 1.0);
  EXPECT_LT((p.at("w") - c.at("w").mean({0})).abs().max().item<double>(), 1e-6);
}

}  // namespace
}  // namespace fnx::demos
