// Losses with torch's reduction options (mean is the default, as torch).
//
//   Tensor l = nn::cross_entropy(logits, labels);                  // 0-d
//   Tensor per_example = nn::mse_loss(y, t, nn::Reduction::none);
#pragma once

#include "core/tensor.h"

namespace fnx::nn {

// batchmean: the sum divided by the first dim (kl_div's mathematically
// right mean, as torch).
enum class Reduction { none, mean, sum, batchmean };

// (input - target)^2; input and target of the same shape.
Tensor mse_loss(const Tensor& input, const Tensor& target,
                Reduction reduction = Reduction::mean);
// -log_probs[target]: log_probs (N, C, *d) with integer target (N, *d), or
// (C) with a 0-d target. none keeps the target's shape.
Tensor nll_loss(const Tensor& log_probs, const Tensor& target,
                Reduction reduction = Reduction::mean);
// nll_loss of log_softmax over the class dim (integer class targets), or,
// with a floating target of the logits' shape (class probabilities),
// -sum(target * log_softmax) over the class dim.
Tensor cross_entropy(const Tensor& logits, const Tensor& target,
                     Reduction reduction = Reduction::mean);
// -(t log p + (1 - t) log(1 - p)), the logs clamped at -100 as torch;
// probs and target of the same shape.
Tensor binary_cross_entropy(const Tensor& probs, const Tensor& target,
                            Reduction reduction = Reduction::mean);
// binary_cross_entropy(sigmoid(logits), target), computed stably.
Tensor binary_cross_entropy_with_logits(const Tensor& logits,
                                        const Tensor& target,
                                        Reduction reduction = Reduction::mean);

// 0.5 (x - t)^2 / beta where |x - t| < beta, else |x - t| - beta / 2
// (beta = 0: the L1 loss).
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target,
                      Reduction reduction = Reduction::mean, double beta = 1.0);
// 0.5 (x - t)^2 where |x - t| < delta, else delta (|x - t| - delta / 2).
Tensor huber_loss(const Tensor& input, const Tensor& target,
                  Reduction reduction = Reduction::mean, double delta = 1.0);
// Pointwise target (log target - input), input being log-probabilities
// (0 where target is 0); with log_target the target is given as logs.
// Use Reduction::batchmean for the KL divergence per example.
Tensor kl_div(const Tensor& input, const Tensor& target,
              Reduction reduction = Reduction::mean, bool log_target = false);
// 1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1;
// x1, x2 (N, D) or (D), y (N) or 0-d of +-1.
Tensor cosine_embedding_loss(const Tensor& x1, const Tensor& x2,
                             const Tensor& y,
                             Reduction reduction = Reduction::mean,
                             double margin = 0);
// max(0, -y (x1 - x2) + margin), y of +-1.
Tensor margin_ranking_loss(const Tensor& x1, const Tensor& x2, const Tensor& y,
                           Reduction reduction = Reduction::mean,
                           double margin = 0);

}  // namespace fnx::nn
