// Reduction composites (mean, var, std, logsumexp, norm), written only in
// public ops so every transform supports them. softmax and log_softmax are
// primitives (primitive_ops.cc).
#include <algorithm>
#include <limits>
#include <string_view>

#include "core/error.h"
#include "core/ops/ops.h"

namespace fnx {

namespace {

// Integer and bool inputs are averaged in float32 (NumPy's choice; torch
// refuses them).
Tensor to_floating(const Tensor& x) {
  return is_floating(x.dtype()) ? x : cast(x, DType::Float32);
}

// Number of elements `dims` reduces (empty = all dims).
int64_t reduced_count(const Tensor& x, const Dims& dims, std::string_view op) {
  const Dims normalized = normalize_dims(dims, x.dim(), op, true);
  int64_t count = 1;
  for (int64_t d : normalized) count *= x.shape()[d];
  return count;
}

// An amax that is safe to subtract: +-inf maxima (all -inf, or a +inf
// present) become 0, as torch's logsumexp does, so x - max never forms
// inf - inf.
Tensor finite_max(const Tensor& x, const Dims& dims) {
  Tensor m = amax(x, dims, /*keepdim=*/true);
  const double inf = std::numeric_limits<double>::infinity();
  return where(eq(abs(m), scalar_like(inf, m)), scalar_like(0, m), m);
}

}  // namespace

// sum / count. Over zero elements this is 0 / 0 = NaN, as in torch.
Tensor mean(const Tensor& x, const Dims& dims, bool keepdim) {
  const int64_t count = reduced_count(x, dims, "mean");
  return sum(to_floating(x), dims, keepdim) / static_cast<double>(count);
}

// sum((x - mean)^2) / max(count - correction, 0): a non-positive divisor
// gives inf or NaN, as in torch.
Tensor var(const Tensor& x, const Dims& dims, int64_t correction,
           bool keepdim) {
  FNX_CHECK(correction >= 0, "var", "correction must be non-negative, got ",
            correction);
  const int64_t count = reduced_count(x, dims, "var");
  Tensor xf = to_floating(x);
  Tensor centered = xf - mean(xf, dims, /*keepdim=*/true);
  const double divisor =
      static_cast<double>(std::max<int64_t>(count - correction, 0));
  return sum(square(centered), dims, keepdim) / divisor;
}

Tensor std(const Tensor& x, const Dims& dims, int64_t correction,
           bool keepdim) {
  return sqrt(var(x, dims, correction, keepdim));
}

// log(sum(exp(x - m))) + m with m the (finite) max over dims. The gradient
// through m cancels, so m needs no stop-gradient.
Tensor logsumexp(const Tensor& x, const Dims& dims, bool keepdim) {
  Tensor xf = to_floating(x);
  Tensor m = finite_max(xf, dims);
  Tensor s = sum(exp(xf - m), dims, keepdim);
  Tensor shift = keepdim ? m : reshape(m, s.shape());
  return log(s) + shift;
}

// sqrt(sum(x^2)), with the gradient at x = 0 defined as 0 (torch's choice)
// rather than 0 * inf = NaN: the sqrt only ever sees a positive argument.
Tensor norm(const Tensor& x) {
  Tensor s = sum(square(to_floating(x)));
  Tensor is_zero = eq(s, scalar_like(0, s));
  Tensor safe = where(is_zero, scalar_like(1, s), s);
  return where(is_zero, scalar_like(0, s), sqrt(safe));
}

}  // namespace fnx
