// Elementwise composites, written only in public ops so every transform
// (vmap, grad, jvp) supports them with no rule of their own.
#include <numbers>
#include <optional>

#include "core/error.h"
#include "core/ops/ops.h"

namespace fnx {

namespace {

// Transcendental composites compute in floating point: integer and bool
// inputs are promoted to float32 (as torch's reciprocal, sigmoid... do).
Tensor to_floating(const Tensor& x) {
  return is_floating(x.dtype()) ? x : cast(x, DType::Float32);
}

}  // namespace

Tensor square(const Tensor& x) { return mul(x, x); }

Tensor reciprocal(const Tensor& x) { return 1.0 / to_floating(x); }

// where() rather than maximum(): the derivative at 0 is 0, as in torch.
// where(x <= 0, 0, x): NaN passes through (as torch) and the derivative at
// 0 is 0.
Tensor relu(const Tensor& x) {
  return where(x <= scalar_like(0, x), scalar_like(0, x), x);
}

Tensor gelu(const Tensor& x) {
  Tensor xf = to_floating(x);
  return 0.5 * xf * (1.0 + erf(xf * (1.0 / std::numbers::sqrt2)));
}

// softplus(x) = log(1 + exp(x)), evaluated as
//   max(x, 0) + log1p(exp(-|x|))
// with both the max and the |x| written as where() on the same condition:
// exp never overflows, the unselected branch never sees a large argument
// (so its gradient is finite and masked to 0), and the derivative at 0 is
// sigmoid(0) = 0.5, as torch's.
Tensor softplus(const Tensor& x) {
  Tensor xf = to_floating(x);
  Tensor positive = xf > 0.0;
  Tensor zero = scalar_like(0, xf);
  Tensor max_part = where(positive, xf, zero);
  Tensor neg_abs = where(positive, neg(xf), xf);
  return max_part + log1p(exp(neg_abs));
}

Tensor silu(const Tensor& x) {
  Tensor xf = to_floating(x);
  return xf * sigmoid(xf);
}

// where() keeps NaN (NaN < min is false) and passes the gradient for
// min <= x <= max inclusive, as torch's clamp. With min > max every element
// becomes max, as in torch.
Tensor clamp(const Tensor& x, std::optional<double> min,
             std::optional<double> max) {
  FNX_CHECK(min.has_value() || max.has_value(), "clamp",
            "at least one of min or max must be given (input shape ",
            shape_str(x.shape()), ")");
  Tensor out = x;
  if (min.has_value()) {
    Tensor lo = scalar_like(*min, out);
    out = where(out < *min, lo, out);
  }
  if (max.has_value()) {
    Tensor hi = scalar_like(*max, out);
    out = where(out > *max, hi, out);
  }
  // NaN stays NaN with a zero derivative, as torch's clamp (a NaN is inside
  // no bound).
  if (is_floating(x.dtype())) out = where(x != x, stop_gradient(x), out);
  return out;
}

}  // namespace fnx
