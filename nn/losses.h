// Losses with torch's reduction options (mean is the default, as torch).
//
//   Tensor l = nn::cross_entropy(logits, labels);                  // 0-d
//   Tensor per_example = nn::mse_loss(y, t, nn::Reduction::none);
#pragma once

#include "core/tensor.h"

namespace fnx::nn {

enum class Reduction { none, mean, sum };

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

}  // namespace fnx::nn
