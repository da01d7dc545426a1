// The DP-SGD demo's model and epoch on the UCI digits across ranks, shared
// by the demo (dpsgd_ranks_main.cc) and its benchmark
// (tests/distributed/dpsgd_epoch_benchmark.cc): an MLP 64 -> hidden -> 10,
// batches of `batch` examples split evenly over the group's ranks, each
// step privatized across ranks (dp_sgd_ranks.h).
#pragma once

#include <cstdint>

#include "core/generator.h"
#include "core/param_dict.h"
#include "transforms/distributed/dist.h"

namespace fnx::dist {

struct DpSgdDigitsConfig {
  int64_t batch = 64;  // whole batch, over every rank
  int64_t hidden = 32;
  double clip = 1.0, noise = 1.0, lr = 0.5;
};

// The same initial parameters on every rank (one seed), float64.
ParamDict digits_mlp(const DpSgdDigitsConfig& config, uint64_t seed = 0);
Tensor digits_logits(const ParamDict& p, const Tensor& x);

// One epoch over (images, labels): batch b's examples
// [b * batch, (b + 1) * batch), rank r taking its share of each. `noise`
// is seeded alike on every rank. Updates p in place.
void dp_sgd_digits_epoch(ParamDict& p, const Tensor& images,
                         const Tensor& labels, const DpSgdDigitsConfig& config,
                         Generator& noise, const Group& group = world());

}  // namespace fnx::dist
