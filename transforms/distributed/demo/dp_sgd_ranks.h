// DP-SGD's privatized gradient across ranks: each rank clips the
// per-sample gradients of its shard of the batch and sums them, the sums
// are all-reduced, and every rank adds the same noise (the same generator
// seed on every rank) before dividing by the whole batch's size. The
// result equals the one-process step (tools/demos/dp_sgd.h, privatize) on
// the whole batch, as the demo and tests/distributed check.
#pragma once

#include <cstdint>

#include "core/generator.h"
#include "core/param_dict.h"
#include "transforms/distributed/dist.h"

namespace fnx::dist {

// per_sample: (shard, ...) per parameter; batch: the whole batch's size
// over every rank of `group`.
ParamDict privatize_across_ranks(const ParamDict& per_sample, int64_t shard,
                                 int64_t batch, double clip_norm,
                                 double noise_multiplier, Generator& gen,
                                 const Group& group = world());

}  // namespace fnx::dist
