// The DP-SGD step shared by the private demos (dpsgd, charlm): per-sample
// gradients (from vmap(grad(loss))) clipped to a norm C over all parameters
// together, summed, Gaussian noise of std sigma * C added once, divided by
// the batch size (Abadi et al. 2016).
#pragma once

#include <cstdint>

#include "core/generator.h"
#include "core/param_dict.h"
#include "core/tensor.h"

namespace fnx::demos {

// Each example's gradient norm over all parameters: (batch,) from
// per-sample gradients whose leading dim is the batch.
Tensor per_sample_norms(const ParamDict& per_sample, int64_t batch);

// Every example's gradient scaled by min(1, C / (norm + 1e-6)), so that no
// example's norm exceeds C (still per sample: leading dim the batch).
ParamDict clip_per_sample(const ParamDict& per_sample, int64_t batch,
                          double clip_norm);

// The privatized batch gradient: the clipped gradients summed, noise of std
// noise_multiplier * clip_norm drawn from `gen` added, divided by `batch`.
ParamDict privatize(const ParamDict& per_sample, int64_t batch,
                    double clip_norm, double noise_multiplier, Generator& gen);

}  // namespace fnx::demos
