#include "nn/losses.h"

#include <string_view>

#include "core/dtype.h"
#include "core/error.h"
#include "core/ops/ops.h"
#include "core/shape.h"

namespace fnx::nn {
namespace {

Tensor reduce(const Tensor& loss, Reduction reduction) {
  switch (reduction) {
    case Reduction::none:
      return loss;
    case Reduction::sum:
      return sum(loss);
    case Reduction::mean:
      break;
  }
  return mean(loss);
}

void check_same_shape(std::string_view op, const Tensor& input,
                      const Tensor& target) {
  FNX_CHECK(input.shape() == target.shape(), op, "input shape ",
            shape_str(input.shape()), " and target shape ",
            shape_str(target.shape()), " differ");
}

// Per-element -log_probs[target] over the class dim.
Tensor picked_nll(std::string_view op, const Tensor& log_probs,
                  const Tensor& target) {
  FNX_CHECK(log_probs.dim() >= 1, op,
            "scores must be (C) or (N, C, ...), got shape ",
            shape_str(log_probs.shape()));
  FNX_CHECK(!is_floating(target.dtype()) && target.dtype() != DType::Bool, op,
            "class targets must be integers, got ",
            dtype_name(target.dtype()));
  const int64_t class_dim = log_probs.dim() == 1 ? 0 : 1;
  Shape expected = log_probs.shape();
  expected.erase(expected.begin() + class_dim);
  FNX_CHECK(target.shape() == expected, op, "target shape ",
            shape_str(target.shape()), " does not match scores shape ",
            shape_str(log_probs.shape()), " (expected ", shape_str(expected),
            ")");
  const Tensor index = unsqueeze(target.to(DType::Int64), class_dim);
  return neg(squeeze(gather(log_probs, class_dim, index), class_dim));
}

}  // namespace

Tensor mse_loss(const Tensor& input, const Tensor& target,
                Reduction reduction) {
  check_same_shape("nn.mse_loss", input, target);
  return reduce(square(input - target), reduction);
}

Tensor nll_loss(const Tensor& log_probs, const Tensor& target,
                Reduction reduction) {
  return reduce(picked_nll("nn.nll_loss", log_probs, target), reduction);
}

Tensor cross_entropy(const Tensor& logits, const Tensor& target,
                     Reduction reduction) {
  constexpr std::string_view kOp = "nn.cross_entropy";
  FNX_CHECK(logits.dim() >= 1, kOp,
            "logits must be (C) or (N, C, ...), got shape ",
            shape_str(logits.shape()));
  const int64_t class_dim = logits.dim() == 1 ? 0 : 1;
  const Tensor log_probs = log_softmax(logits, class_dim);
  if (!is_floating(target.dtype())) {
    return reduce(picked_nll(kOp, log_probs, target), reduction);
  }
  FNX_CHECK(target.shape() == logits.shape(), kOp,
            "probability target shape ", shape_str(target.shape()),
            " must equal logits shape ", shape_str(logits.shape()),
            " (or pass integer class ids)");
  return reduce(neg(sum(target * log_probs, {class_dim})), reduction);
}

Tensor binary_cross_entropy(const Tensor& probs, const Tensor& target,
                            Reduction reduction) {
  check_same_shape("nn.binary_cross_entropy", probs, target);
  const Tensor log_p = clamp(log(probs), -100.0, std::nullopt);
  const Tensor log_1mp = clamp(log(1.0 - probs), -100.0, std::nullopt);
  return reduce(neg(target * log_p + (1.0 - target) * log_1mp), reduction);
}

Tensor binary_cross_entropy_with_logits(const Tensor& logits,
                                        const Tensor& target,
                                        Reduction reduction) {
  check_same_shape("nn.binary_cross_entropy_with_logits", logits, target);
  // (1 - t) x + softplus(-x): stable, and its derivative is sigmoid(x) - t
  // everywhere (also at x = 0, where a max(x, 0) form would be one-sided).
  return reduce((1.0 - target) * logits + softplus(neg(logits)), reduction);
}

}  // namespace fnx::nn
