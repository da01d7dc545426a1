#include "tools/demos/demos.h"

#include <iostream>

#include "absl/status/statusor.h"
#include "tools/demos/charlm_demo.h"
#include "tools/demos/digits.h"
#include "tools/demos/dpsgd_demo.h"
#include "tools/demos/ensemble_demo.h"
#include "tools/demos/maml_demo.h"
#include "tools/demos/seed_demo.h"

namespace fnx::demos {
namespace {

int seed(const std::string&, std::ostream& out) {
  run_seed_demo(out);
  return 0;
}

int dpsgd(const std::string& argv0, std::ostream& out) {
  const std::string path = find_data_file(argv0, "digits.csv.gz");
  absl::StatusOr<Digits> digits = load_digits(path);
  if (!digits.ok()) {
    std::cerr << "fnx demo dpsgd: " << digits.status().ToString() << "\n";
    return 1;
  }
  run_dpsgd_demo(DpsgdConfig{}, split_digits(*digits, 0.2), out);
  return 0;
}

int ensemble(const std::string&, std::ostream& out) {
  run_ensemble_demo(EnsembleConfig{}, out);
  return 0;
}

int maml(const std::string&, std::ostream& out) {
  run_maml_demo(MamlConfig{}, out);
  return 0;
}

// The text is a system file rather than one of tools/data: nothing to
// ship, nothing to download.
int charlm_with(CharLmModel model, std::ostream& out) {
  absl::StatusOr<std::string> text = load_text(kCharLmText);
  if (!text.ok()) {
    std::cerr << "fnx demo charlm: " << text.status().ToString() << "\n";
    return 1;
  }
  run_charlm_demo(CharLmConfig{.model = model}, *text, kCharLmText, out);
  return 0;
}

int charlm(const std::string&, std::ostream& out) {
  return charlm_with(CharLmModel::transformer, out);
}

int charlm_lstm(const std::string&, std::ostream& out) {
  return charlm_with(CharLmModel::lstm, out);
}

}  // namespace

const std::vector<Demo>& all_demos() {
  static const std::vector<Demo> demos = {
      {"seed",
       "the seed talk's examples: vmap(dot), grad, per-sample "
       "gradients, functional_call, ensembles, no_grad",
       seed},
      {"dpsgd", "differentially private SGD on the UCI digits vs plain SGD",
       dpsgd},
      {"ensemble", "10 MLPs trained at once with vmap over stacked state",
       ensemble},
      {"maml", "MAML on sine-wave regression, vmap over tasks", maml},
      {"charlm",
       "a character-level transformer language model trained with DP-SGD "
       "on the GPL-3 text (run by name only)",
       charlm, false},
      {"charlm-lstm", "the same with an LSTM (run by name only)", charlm_lstm,
       false},
  };
  return demos;
}

}  // namespace fnx::demos
