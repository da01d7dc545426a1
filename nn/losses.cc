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
    case Reduction::batchmean:
      FNX_CHECK(loss.dim() > 0, "nn.batchmean",
                "needs a batch dim; the loss is 0-d");
      return sum(loss) / static_cast<double>(loss.shape()[0]);
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

Tensor smooth_l1_loss(const Tensor& input, const Tensor& target,
                      Reduction reduction, double beta) {
  check_same_shape("nn.smooth_l1_loss", input, target);
  FNX_CHECK(beta >= 0, "nn.smooth_l1_loss", "beta must be >= 0, got ", beta);
  const Tensor d = abs(input - target);
  if (beta == 0) return reduce(d, reduction);
  return reduce(where(d < beta, 0.5 * square(d) / beta, d - 0.5 * beta),
                reduction);
}

Tensor huber_loss(const Tensor& input, const Tensor& target,
                  Reduction reduction, double delta) {
  check_same_shape("nn.huber_loss", input, target);
  FNX_CHECK(delta > 0, "nn.huber_loss", "delta must be > 0, got ", delta);
  const Tensor d = abs(input - target);
  return reduce(where(d < delta, 0.5 * square(d), delta * (d - 0.5 * delta)),
                reduction);
}

Tensor kl_div(const Tensor& input, const Tensor& target, Reduction reduction,
              bool log_target) {
  check_same_shape("nn.kl_div", input, target);
  if (log_target) return reduce(exp(target) * (target - input), reduction);
  // 0 log 0 = 0: the log sees 1 where the target is 0 (so no -inf * 0).
  const Tensor safe = where(target > 0.0, target, ones_like(target));
  return reduce(target * (log(safe) - input), reduction);
}

Tensor cosine_embedding_loss(const Tensor& x1, const Tensor& x2,
                             const Tensor& y, Reduction reduction,
                             double margin) {
  constexpr std::string_view kOp = "nn.cosine_embedding_loss";
  check_same_shape(kOp, x1, x2);
  FNX_CHECK(x1.dim() == 1 || x1.dim() == 2, kOp,
            "inputs must be (N, D) or (D), got ", shape_str(x1.shape()));
  Shape expected(x1.shape().begin(), x1.shape().end() - 1);
  FNX_CHECK(y.shape() == expected, kOp, "y has shape ", shape_str(y.shape()),
            ", expected ", shape_str(expected), " (one +-1 per pair)");
  const Tensor cos = cosine_similarity(x1, x2, -1);
  const Tensor positive = cast(y, cos.dtype()) > 0.0;
  return reduce(where(positive, 1.0 - cos, relu(cos - margin)), reduction);
}

Tensor margin_ranking_loss(const Tensor& x1, const Tensor& x2, const Tensor& y,
                           Reduction reduction, double margin) {
  const Tensor d = x1 - x2;
  return reduce(relu(margin - cast(y, d.dtype()) * d), reduction);
}

}  // namespace fnx::nn
