#include "tools/demos/dp_sgd.h"

#include <optional>

#include "core/ops/ops.h"
#include "core/shape.h"

namespace fnx::demos {
namespace {

// min(1, C / (norm + 1e-6)) per example; the 1e-6 keeps a zero gradient
// finite, as torch's clip_grad_norm_.
Tensor clip_scale(const ParamDict& per_sample, int64_t batch,
                  double clip_norm) {
  return clamp(clip_norm / (per_sample_norms(per_sample, batch) + 1e-6),
               std::nullopt, 1.0);
}

// `scale` (batch,) shaped to broadcast against g (batch, ...).
Tensor broadcastable(const Tensor& scale, const Tensor& g, int64_t batch) {
  Shape shape(g.dim(), 1);
  shape[0] = batch;
  return scale.reshape(shape);
}

}  // namespace

Tensor per_sample_norms(const ParamDict& per_sample, int64_t batch) {
  Tensor squared = zeros({batch});
  for (const auto& [name, g] : per_sample) {
    squared = squared + square(g).flatten(1).sum({1});
  }
  return sqrt(squared);
}

ParamDict clip_per_sample(const ParamDict& per_sample, int64_t batch,
                          double clip_norm) {
  const Tensor scale = clip_scale(per_sample, batch, clip_norm);
  ParamDict out;
  for (const auto& [name, g] : per_sample) {
    out.insert_or_assign(name, g * broadcastable(scale, g, batch));
  }
  return out;
}

ParamDict privatize(const ParamDict& per_sample, int64_t batch,
                    double clip_norm, double noise_multiplier, Generator& gen) {
  const Tensor scale = clip_scale(per_sample, batch, clip_norm);
  ParamDict out;
  for (const auto& [name, g] : per_sample) {
    const Tensor clipped_sum = (g * broadcastable(scale, g, batch)).sum({0});
    const Tensor noise = normal(clipped_sum.shape(), 0.0,
                                noise_multiplier * clip_norm, g.dtype(), &gen);
    out.insert_or_assign(name,
                         (clipped_sum + noise) / static_cast<double>(batch));
  }
  return out;
}

}  // namespace fnx::demos
