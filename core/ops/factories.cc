// Composite factories: everything here is built from the Full, Iota and
// random primitives and shape ops (through the public op API), so
// transforms see only primitives.
#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"
#include "core/ops/ops.h"

namespace fnx {

namespace {

// Random values are drawn in a floating dtype: the requested one when it is
// floating, float32 otherwise (the result is cast afterwards).
DType sample_dtype(DType dtype) {
  return is_floating(dtype) ? dtype : DType::Float32;
}

}  // namespace

Tensor zeros(const Shape& shape, DType dtype, Device device) {
  return full(shape, 0, dtype, device);
}

Tensor ones(const Shape& shape, DType dtype, Device device) {
  return full(shape, 1, dtype, device);
}

// The *_like factories take the (logical) shape, dtype and device of `t`.
// Under vmap the result is an unbatched constant, as jnp.zeros_like is:
// it broadcasts against batched values in later ops.
Tensor zeros_like(const Tensor& t) {
  return full(t.shape(), 0, t.dtype(), t.device());
}

Tensor ones_like(const Tensor& t) {
  return full(t.shape(), 1, t.dtype(), t.device());
}

Tensor full_like(const Tensor& t, double value) {
  return full(t.shape(), value, t.dtype(), t.device());
}

Tensor arange(double start, double stop, double step, DType dtype,
              Device device) {
  FNX_CHECK(std::isfinite(start) && std::isfinite(stop), "arange", "start ",
            start, " and stop ", stop, " must be finite");
  FNX_CHECK(step != 0 && std::isfinite(step), "arange",
            "step must be a "
            "finite non-zero number, got ",
            step);
  FNX_CHECK((step > 0 && start <= stop) || (step < 0 && start >= stop),
            "arange", "the range [", start, ", ", stop,
            ") is inconsistent "
            "with the sign of step ",
            step,
            "; use a positive step for an increasing range and a negative "
            "one for a decreasing range");
  const double count = std::ceil((stop - start) / step);
  FNX_CHECK(count < 9.0e15, "arange", "the range [", start, ", ", stop,
            ") with step ", step, " has too many elements");
  const int64_t n = static_cast<int64_t>(count);
  // Computed in float64 so start + step * i is exact for every dtype, then
  // cast (a float32 or integer result rounds once).
  Tensor iota = arange(n, DType::Float64, device);
  return cast(start + step * iota, dtype);
}

Tensor linspace(double start, double stop, int64_t steps, DType dtype,
                Device device) {
  FNX_CHECK(steps >= 0, "linspace",
            "number of steps must be non-negative, "
            "got ",
            steps);
  if (steps <= 1) return full({steps}, start, dtype, device);
  // torch's symmetric formula: the first half counts up from start, the
  // second half down from stop, so both endpoints are exact.
  const double step = (stop - start) / static_cast<double>(steps - 1);
  Tensor i = arange(steps, DType::Float64, device);
  Tensor from_start = start + step * i;
  Tensor from_stop = stop - step * (static_cast<double>(steps - 1) - i);
  Tensor first_half = i < static_cast<double>(steps / 2);
  return cast(where(first_half, from_start, from_stop), dtype);
}

Tensor eye(int64_t n, DType dtype, Device device) {
  return eye(n, n, dtype, device);
}

Tensor eye(int64_t n, int64_t m, DType dtype, Device device) {
  FNX_CHECK(n >= 0 && m >= 0, "eye",
            "n and m must be non-negative, got n = ", n, " and m = ", m);
  // Built in `dtype` in one pass: k ones each followed by k zeros (a
  // (k, k + 1) pad) read as k x k is the identity of k = min(n, m), then
  // zero rows or columns (comparing index grids and casting took three).
  const int64_t k = std::min(n, m);
  if (k == 0) return zeros({n, m}, dtype, device);
  const Tensor spaced = pad(full({k, 1}, 1.0, dtype, device), {0, k});
  const Tensor eye_k =
      reshape(slice(reshape(spaced, {k * (k + 1)}), 0, 0, k * k), {k, k});
  return n == m ? eye_k : pad(eye_k, {0, m - k, 0, n - k});
}

Tensor rand(const Shape& shape, DType dtype, Generator* gen, Device device) {
  FNX_CHECK(is_floating(dtype), "rand", "expected a floating dtype, got ",
            std::string(dtype_name(dtype)), "; use randint for integers");
  return uniform(shape, 0, 1, dtype, gen, device);
}

Tensor randn(const Shape& shape, DType dtype, Generator* gen, Device device) {
  FNX_CHECK(is_floating(dtype), "randn", "expected a floating dtype, got ",
            std::string(dtype_name(dtype)));
  return normal(shape, 0, 1, dtype, gen, device);
}

Tensor randint(int64_t low, int64_t high, const Shape& shape, DType dtype,
               Generator* gen, Device device) {
  FNX_CHECK(low < high, "randint", "expected low < high, got low = ", low,
            " and high = ", high);
  // floor of a float64 uniform in [low, high); the clamp guards against the
  // rounding of low + (high - low) * u up to high.
  Tensor u = uniform(shape, static_cast<double>(low), static_cast<double>(high),
                     DType::Float64, gen, device);
  Tensor values =
      minimum(floor(u), scalar_like(static_cast<double>(high - 1), u));
  return cast(values, dtype);
}

Tensor bernoulli(const Tensor& p, Generator* gen) {
  const DType dtype = sample_dtype(p.dtype());
  Tensor u = uniform(p.shape(), 0, 1, dtype, gen, p.device());
  return cast(lt(u, p), p.dtype());
}

Tensor bernoulli(const Shape& shape, double p, DType dtype, Generator* gen,
                 Device device) {
  FNX_CHECK(p >= 0 && p <= 1, "bernoulli",
            "probability p must be in [0, 1], "
            "got ",
            p);
  Tensor u = uniform(shape, 0, 1, sample_dtype(dtype), gen, device);
  return cast(u < p, dtype);
}

}  // namespace fnx
