// Demo 3: an ensemble of MLPs trained at once: stack_module_state, the
// loss of every model with vmap over functional_call, one grad and one
// Adam step on the stacked ParamDict per step.
#pragma once

#include <ostream>
#include <vector>

namespace fnx::demos {

struct EnsembleConfig {
  int models = 10;
  int steps = 300;
  int log_every = 50;
  double lr = 0.02;
};

struct EnsembleResult {
  double stacked_vs_loop = 0;        // vmapped forward vs each model's
  std::vector<double> first_losses;  // per model, before training
  std::vector<double> last_losses;   // per model, after training
  double ensemble_mean_loss = 0;     // loss of the averaged prediction
};

EnsembleResult run_ensemble_demo(const EnsembleConfig& config,
                                 std::ostream& out);

}  // namespace fnx::demos
