#include "transforms/distributed/demo/dp_sgd_digits.h"

#include "core/error.h"
#include "core/ops/ops.h"
#include "transforms/distributed/demo/dp_sgd_ranks.h"
#include "transforms/grad/grad.h"
#include "transforms/vmap/vmap.h"

namespace fnx::dist {
namespace {

Tensor example_loss(const ParamDict& p, const Tensor& x, const Tensor& y) {
  return cross_entropy(digits_logits(p, x.unsqueeze(0)), y.unsqueeze(0));
}

}  // namespace

ParamDict digits_mlp(const DpSgdDigitsConfig& config, uint64_t seed) {
  Generator init(seed);
  return ParamDict{
      {"w1", randn({64, config.hidden}, DType::Float64, &init) * 0.1},
      {"b1", zeros({config.hidden}, DType::Float64)},
      {"w2", randn({config.hidden, 10}, DType::Float64, &init) * 0.1},
      {"b2", zeros({10}, DType::Float64)}};
}

Tensor digits_logits(const ParamDict& p, const Tensor& x) {
  const Tensor h = tanh(matmul(x, p.at("w1")) + p.at("b1"));
  return matmul(h, p.at("w2")) + p.at("b2");
}

void dp_sgd_digits_epoch(ParamDict& p, const Tensor& images,
                         const Tensor& labels, const DpSgdDigitsConfig& config,
                         Generator& noise, const Group& group) {
  const int64_t n = group->size();
  FNX_CHECK(config.batch % n == 0, "dp_sgd_digits_epoch", "a batch of ",
            config.batch, " does not split evenly over ", n, " ranks");
  const int64_t share = config.batch / n;
  const int64_t batches = images.shape()[0] / config.batch;
  for (int64_t b = 0; b < batches; ++b) {
    const int64_t start = b * config.batch + group->rank() * share;
    const ParamDict per_sample = vmap(grad(example_loss), {none, 0, 0})(
        p, narrow(images, 0, start, share), narrow(labels, 0, start, share));
    const ParamDict g =
        privatize_across_ranks(per_sample, share, config.batch, config.clip,
                               config.noise, noise, group);
    for (auto& [name, value] : p) value = value - g.at(name) * config.lr;
  }
}

}  // namespace fnx::dist
