// Elementwise math composites with their own numerics: clamp with tensor
// bounds, nan_to_num, logaddexp and xlogy. Written only in public ops, so
// every transform supports them with no rule of its own.
#include <limits>
#include <optional>
#include <utility>

#include "core/error.h"
#include "core/ops/ops.h"

namespace fnx {

namespace {

// Both operands in their common floating dtype (integers give float32).
std::pair<Tensor, Tensor> floating_pair(const Tensor& a, const Tensor& b) {
  DType dt = promote_types(a.dtype(), b.dtype());
  if (!is_floating(dt)) dt = DType::Float32;
  return {cast(a, dt), cast(b, dt)};
}

}  // namespace

// As the double overload: where() keeps NaN and passes x's gradient for
// min <= x <= max inclusive; a bound gets the gradient where it is chosen.
// min > max gives max, as torch. The result has the promoted dtype and the
// broadcast shape of x and the bounds.
Tensor clamp_tensor(const Tensor& x, const std::optional<Tensor>& min,
                    const std::optional<Tensor>& max) {
  FNX_CHECK(min.has_value() || max.has_value(), "clamp",
            "at least one of min or max must be given (input shape ",
            shape_str(x.shape()), ")");
  DType dt = x.dtype();
  if (min.has_value()) dt = promote_types(dt, min->dtype());
  if (max.has_value()) dt = promote_types(dt, max->dtype());
  const Tensor xd = cast(x, dt);
  Tensor out = xd;
  if (min.has_value()) {
    const Tensor lo = cast(*min, dt);
    out = where(lt(out, lo), lo, out);
  }
  if (max.has_value()) {
    const Tensor hi = cast(*max, dt);
    out = where(gt(out, hi), hi, out);
  }
  if (is_floating(dt)) out = where(ne(xd, xd), stop_gradient(xd), out);
  return out;
}

// The replaced elements get a zero derivative (they are constants), the
// others x's, as torch.
Tensor nan_to_num(const Tensor& x, double nan, std::optional<double> posinf,
                  std::optional<double> neginf) {
  if (!is_floating(x.dtype())) return x;
  const bool f32 = x.dtype() == DType::Float32;
  const double hi = posinf.value_or(f32 ? std::numeric_limits<float>::max()
                                        : std::numeric_limits<double>::max());
  const double lo =
      neginf.value_or(f32 ? std::numeric_limits<float>::lowest()
                          : std::numeric_limits<double>::lowest());
  const double inf = std::numeric_limits<double>::infinity();
  Tensor out = where(isnan(x), scalar_like(nan, x), x);
  out = where(eq(x, scalar_like(inf, x)), scalar_like(hi, x), out);
  return where(eq(x, scalar_like(-inf, x)), scalar_like(lo, x), out);
}

// max(a, b) + log1p(exp(-|a - b|)): exp never overflows, and at a == b
// maximum's split derivative (1/2 each) is the true one. Equal infinities
// give that infinity (a - b would be NaN), as torch.
Tensor logaddexp(const Tensor& a, const Tensor& b) {
  const auto [af, bf] = floating_pair(a, b);
  const Tensor same_inf = logical_and(isinf(af), eq(af, bf));
  // The difference where it is finite; 0 at equal infinities, so that the
  // unselected branch stays finite and its zero cotangent stays zero.
  const Tensor diff = where(same_inf, scalar_like(0, af), af - bf);
  const Tensor smooth = maximum(af, bf) + log1p(exp(neg(abs(diff))));
  return where(same_inf, af, smooth);
}

// x log y, 0 where x == 0 and y is not NaN. Where x == 0, log reads 1
// instead of y, so y's derivative there is exactly 0 (not 0 * 1/0).
Tensor xlogy(const Tensor& x, const Tensor& y) {
  const auto [xf, yf] = floating_pair(x, y);
  const Tensor zero_x =
      logical_and(eq(xf, scalar_like(0, xf)), logical_not(isnan(yf)));
  const Tensor safe_y = where(zero_x, scalar_like(1, yf), yf);
  return where(zero_x, scalar_like(0, xf), xf * log(safe_y));
}

}  // namespace fnx
