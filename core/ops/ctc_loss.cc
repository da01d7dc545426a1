// ctc_loss (core/ops/ops.h): the CTC forward recursion over the extended
// label sequence l' = (blank, l_1, blank, l_2, ..., blank) of length
// 2S + 1, in log space, one step of public ops per time step (T static):
//   alpha_t(s) = lse(alpha_{t-1}(s), alpha_{t-1}(s-1),
//                    alpha_{t-1}(s-2) where l'_s != blank, l'_{s-2})
//                + log_probs[t, l'_s],
// frozen once t reaches an example's input length. The log-sum-exp is
// safe for all -inf arguments (impossible prefixes) in value and gradient.
#include <cmath>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/ops/ops.h"

namespace fnx {
namespace {

// log(sum(exp(x), 0)) over dim 0 of x, -inf where every term is -inf,
// without NaN in value or gradient there.
Tensor safe_logsumexp0(const Tensor& x) {
  const Tensor m = stop_gradient(amax(x, {0}));
  const Tensor shift = where(m == scalar_like(-HUGE_VAL, m), 0.0, m);
  const Tensor s = sum(exp(x - shift), {0});
  const Tensor positive = s > 0.0;
  return where(positive, log(where(positive, s, 1.0)) + shift, -HUGE_VAL);
}

// x shifted right by k along the last dim, -inf coming in.
Tensor shift_right(const Tensor& x, int64_t k) {
  return pad(x, {k, -k}, -HUGE_VAL);
}

}  // namespace

Tensor ctc_loss(const Tensor& log_probs, const Tensor& targets,
                const Tensor& input_lengths, const Tensor& target_lengths,
                int64_t blank, std::string_view reduction) {
  constexpr std::string_view op = "ctc_loss";
  FNX_CHECK(log_probs.dim() == 3 && is_floating(log_probs.dtype()), op,
            "log_probs must be floating (T, N, C), got ",
            dtype_name(log_probs.dtype()), " ", shape_str(log_probs.shape()));
  const int64_t t_max = log_probs.shape()[0], n = log_probs.shape()[1],
                c = log_probs.shape()[2];
  FNX_CHECK(targets.dim() == 2 && targets.shape()[0] == n &&
                !is_floating(targets.dtype()),
            op, "targets must be integer (N, S) with N = ", n, ", got ",
            dtype_name(targets.dtype()), " ", shape_str(targets.shape()));
  FNX_CHECK(
      input_lengths.shape() == Shape{n} && target_lengths.shape() == Shape{n},
      op, "input_lengths and target_lengths must have shape (", n, "), got ",
      shape_str(input_lengths.shape()), " and ",
      shape_str(target_lengths.shape()));
  FNX_CHECK(blank >= 0 && blank < c, op, "blank ", blank,
            " is not a class of C = ", c);
  FNX_CHECK(reduction == "mean" || reduction == "sum" || reduction == "none",
            op, "unknown reduction '", reduction, "'; use mean, sum or none");
  FNX_CHECK(t_max > 0, op, "needs at least one time step");
  const int64_t s_max = targets.shape()[1], len = 2 * s_max + 1;
  const Device dev = log_probs.device();

  // Extended labels (N, 2S + 1): blank at even positions.
  const Tensor tg = cast(targets, DType::Int64);
  const Tensor blanks =
      full({n, s_max}, static_cast<double>(blank), DType::Int64, dev);
  const Tensor ext = pad(reshape(stack({blanks, tg}, 2), {n, 2 * s_max}),
                         {0, 1}, static_cast<double>(blank));
  // Emissions (T, N, 2S + 1).
  const Tensor emit =
      gather(log_probs, 2, expand(unsqueeze(ext, 0), {t_max, n, len}));
  // The skip from s - 2 is allowed onto a label that differs from l'_{s-2}.
  const Tensor skip =
      logical_and(ext != scalar_like(static_cast<double>(blank), ext),
                  ext != pad(slice(ext, 1, 0, len - 2), {2, 0},
                             static_cast<double>(blank)));
  const Tensor position = arange(len, DType::Int64, dev);
  Tensor alpha =
      where(position < scalar_like(2, position), select(emit, 0, 0), -HUGE_VAL);
  const Tensor lengths = cast(input_lengths, DType::Int64);
  for (int64_t t = 1; t < t_max; ++t) {
    const Tensor from_skip = where(skip, shift_right(alpha, 2), -HUGE_VAL);
    const Tensor step =
        safe_logsumexp0(stack({alpha, shift_right(alpha, 1), from_skip}, 0)) +
        select(emit, 0, t);
    const Tensor running =
        unsqueeze(lengths > scalar_like(static_cast<double>(t), lengths), 1);
    alpha = where(running, step, alpha);
  }
  // -lse(alpha(2L), alpha(2L - 1)); for L = 0 only alpha(0) counts.
  const Tensor tl = cast(target_lengths, DType::Int64);
  const Tensor last = unsqueeze(tl * 2.0, 1);
  const Tensor before =
      unsqueeze(where(tl > 0.0, tl * 2.0 - 1.0, 2 * s_max + 1.0), 1);
  const Tensor ends =
      gather(pad(alpha, {0, 1}, -HUGE_VAL), 1, cat({last, before}, 1));
  const Tensor loss = -safe_logsumexp0(transpose(ends, 0, 1));
  if (reduction == "none") return loss;
  if (reduction == "sum") return sum(loss);
  const Tensor divisor = cast(tl, log_probs.dtype());
  return mean(loss / maximum(divisor, scalar_like(1, divisor)));
}

}  // namespace fnx
