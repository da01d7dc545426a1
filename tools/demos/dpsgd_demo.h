// Demo 2: differentially private SGD (per-sample gradients via
// vmap(grad), per-sample clipping, Gaussian noise) of a small CNN (or an
// MLP) on the UCI digits, compared with the same training without privacy.
#pragma once

#include <cstdint>
#include <ostream>
#include <vector>

#include "tools/demos/digits.h"

namespace fnx::demos {

struct DpsgdConfig {
  int epochs = 10;
  int64_t batch_size = 64;
  // CNN: conv 3x3 (8 channels) -> ReLU -> max-pool 2 -> linear; else an
  // MLP 64 -> hidden -> 10.
  bool cnn = true;
  int64_t hidden = 32;
  double lr = 0.5;                // plain SGD, both runs
  double clip_norm = 1.0;         // C: per-sample gradient norm bound
  double noise_multiplier = 1.0;  // sigma: noise std is sigma * C
  double delta = 1e-5;            // for the reported (epsilon, delta)
  uint64_t seed = 0;
};

struct TrainingRun {
  std::vector<double> epoch_losses;  // mean training loss per epoch
  double test_accuracy = 0;
};

struct DpsgdResult {
  TrainingRun private_run;
  TrainingRun non_private_run;
  double epsilon = 0;  // of the private run, at config.delta
};

DpsgdResult run_dpsgd_demo(const DpsgdConfig& config, const DigitsSplit& data,
                           std::ostream& out);

}  // namespace fnx::demos
