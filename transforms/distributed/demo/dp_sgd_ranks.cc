#include "transforms/distributed/demo/dp_sgd_ranks.h"

#include "core/ops/ops.h"
#include "tools/demos/dp_sgd.h"

namespace fnx::dist {

ParamDict privatize_across_ranks(const ParamDict& per_sample, int64_t shard,
                                 int64_t batch, double clip_norm,
                                 double noise_multiplier, Generator& gen,
                                 const Group& group) {
  const ParamDict clipped =
      demos::clip_per_sample(per_sample, shard, clip_norm);
  ParamDict sums;
  for (const auto& [name, g] : clipped) sums.insert_or_assign(name, g.sum({0}));
  const ParamDict total = all_reduce_gradients(sums, group, ReduceOp::Sum);
  ParamDict out;
  for (const auto& [name, s] : total) {  // the same noise on every rank
    const Tensor noise =
        normal(s.shape(), 0.0, noise_multiplier * clip_norm, s.dtype(), &gen);
    out.insert_or_assign(name, (s + noise) / static_cast<double>(batch));
  }
  return out;
}

}  // namespace fnx::dist
