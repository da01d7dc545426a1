// The derivatives of the elementwise primitives, shared by grad's VJP rules
// and jvp's JVP rules. For an elementwise op the two are the same product:
// the seed s (a cotangent under grad, a tangent under jvp) times the
// op's derivative, so each formula is written once. Grad sums a broadcast
// operand's term back to its shape; jvp adds the operands' terms.
//
// Unary: D(s, x, y) with y = f(x). Binary: D(s, a, b, y) is operand a's (or
// b's) term, y = f(a, b). Each says which of x / a, b / y it reads, which
// is what grad must save for the backward pass.
#pragma once

#include <numbers>

#include "core/ops/ops.h"

namespace fnx::derivatives {

// ---- unary ----

inline Tensor d_neg(const Tensor& s, const Tensor&, const Tensor&) {
  return neg(s);
}
inline Tensor d_abs(const Tensor& s, const Tensor& x, const Tensor&) {
  return s * sign(x);
}
inline Tensor d_exp(const Tensor& s, const Tensor&, const Tensor& y) {
  return s * y;
}
inline Tensor d_log(const Tensor& s, const Tensor& x, const Tensor&) {
  return s / x;
}
inline Tensor d_log1p(const Tensor& s, const Tensor& x, const Tensor&) {
  return s / (x + 1.0);
}
inline Tensor d_expm1(const Tensor& s, const Tensor&, const Tensor& y) {
  return s * (y + 1.0);
}
inline Tensor d_sqrt(const Tensor& s, const Tensor&, const Tensor& y) {
  return s / (y * 2.0);
}
// d/dx x^(-1/2) = -1/2 x^(-3/2) = -1/2 y^3.
inline Tensor d_rsqrt(const Tensor& s, const Tensor&, const Tensor& y) {
  return (s * -0.5) * (y * y * y);
}
inline Tensor d_sin(const Tensor& s, const Tensor& x, const Tensor&) {
  return s * cos(x);
}
inline Tensor d_cos(const Tensor& s, const Tensor& x, const Tensor&) {
  return s * neg(sin(x));
}
inline Tensor d_tanh(const Tensor& s, const Tensor&, const Tensor& y) {
  return s * (1.0 - y * y);
}
inline Tensor d_logistic(const Tensor& s, const Tensor&, const Tensor& y) {
  return s * (y * (1.0 - y));
}
// d/dx erf(x) = 2 / sqrt(pi) exp(-x^2).
inline Tensor d_erf(const Tensor& s, const Tensor& x, const Tensor&) {
  return s * (exp(neg(x * x)) * (2.0 * std::numbers::inv_sqrtpi));
}

// d/dx tan(x) = 1 + tan(x)^2.
inline Tensor d_tan(const Tensor& s, const Tensor&, const Tensor& y) {
  return s * (1.0 + y * y);
}
// asin' = 1 / sqrt(1 - x^2), acos' = -asin'.
inline Tensor d_asin(const Tensor& s, const Tensor& x, const Tensor&) {
  return s * rsqrt(1.0 - x * x);
}
inline Tensor d_acos(const Tensor& s, const Tensor& x, const Tensor&) {
  return neg(s) * rsqrt(1.0 - x * x);
}
inline Tensor d_atan(const Tensor& s, const Tensor& x, const Tensor&) {
  return s / (1.0 + x * x);
}
inline Tensor d_sinh(const Tensor& s, const Tensor& x, const Tensor&) {
  return s * cosh(x);
}
inline Tensor d_cosh(const Tensor& s, const Tensor& x, const Tensor&) {
  return s * sinh(x);
}
inline Tensor d_asinh(const Tensor& s, const Tensor& x, const Tensor&) {
  return s * rsqrt(x * x + 1.0);
}
// acosh' = 1 / sqrt(x^2 - 1), with x^2 - 1 as (x - 1)(x + 1): no
// cancellation near 1.
inline Tensor d_acosh(const Tensor& s, const Tensor& x, const Tensor&) {
  return s * rsqrt((x - 1.0) * (x + 1.0));
}
inline Tensor d_atanh(const Tensor& s, const Tensor& x, const Tensor&) {
  return s / (1.0 - x * x);
}
inline Tensor d_log2(const Tensor& s, const Tensor& x, const Tensor&) {
  return s / (x * std::numbers::ln2);
}
inline Tensor d_log10(const Tensor& s, const Tensor& x, const Tensor&) {
  return s / (x * std::numbers::ln10);
}
inline Tensor d_exp2(const Tensor& s, const Tensor&, const Tensor& y) {
  return s * (y * std::numbers::ln2);
}
inline Tensor d_lgamma(const Tensor& s, const Tensor& x, const Tensor&) {
  return s * digamma(x);
}
// digamma' = polygamma(1, x), whose derivative is polygamma(2, x)...: every
// order exists.
inline Tensor d_digamma(const Tensor& s, const Tensor& x, const Tensor&) {
  return s * polygamma(1, x);
}
// erfinv' = sqrt(pi) / 2 exp(erfinv(x)^2).
inline Tensor d_erfinv(const Tensor& s, const Tensor&, const Tensor& y) {
  return s * (exp(y * y) * (0.5 / std::numbers::inv_sqrtpi));
}

// ---- binary ----

inline Tensor d_pass(const Tensor& s, const Tensor&, const Tensor&,
                     const Tensor&) {
  return s;
}
inline Tensor d_negate(const Tensor& s, const Tensor&, const Tensor&,
                       const Tensor&) {
  return neg(s);
}
inline Tensor d_mul_a(const Tensor& s, const Tensor&, const Tensor& b,
                      const Tensor&) {
  return s * b;
}
inline Tensor d_mul_b(const Tensor& s, const Tensor& a, const Tensor&,
                      const Tensor&) {
  return s * a;
}
inline Tensor d_div_a(const Tensor& s, const Tensor&, const Tensor& b,
                      const Tensor&) {
  return s / b;
}
// d(a/b)/db = -a / b^2 (from a and b, so grad need not keep the output).
inline Tensor d_div_b(const Tensor& s, const Tensor& a, const Tensor& b,
                      const Tensor&) {
  return neg(s) * a / (b * b);
}
// As torch: 0 where the exponent is 0 (so 0^0 has derivative 0, not NaN).
inline Tensor d_pow_a(const Tensor& s, const Tensor& a, const Tensor& b,
                      const Tensor&) {
  Tensor d = s * (b * pow(a, b - 1.0));
  return where(eq(b, scalar_like(0, b)), scalar_like(0, d), d);
}
// As torch: 0 where a == 0 and b >= 0 (instead of 0 * log 0 = NaN).
inline Tensor d_pow_b(const Tensor& s, const Tensor& a, const Tensor& b,
                      const Tensor& y) {
  Tensor d = s * (y * log(a));
  Tensor zero_base =
      logical_and(eq(a, scalar_like(0, a)), ge(b, scalar_like(0, b)));
  return where(zero_base, scalar_like(0, d), d);
}
// atan2(a, b) = angle of (b, a): d/da = b / (a^2 + b^2), d/db = -a / (...).
inline Tensor d_atan2_a(const Tensor& s, const Tensor& a, const Tensor& b,
                        const Tensor&) {
  return s * (b / (a * a + b * b));
}
inline Tensor d_atan2_b(const Tensor& s, const Tensor& a, const Tensor& b,
                        const Tensor&) {
  return s * (neg(a) / (a * a + b * b));
}
// hypot(a, b) = y: d/da = a / y, d/db = b / y.
inline Tensor d_hypot_a(const Tensor& s, const Tensor& a, const Tensor&,
                        const Tensor& y) {
  return s * (a / y);
}
inline Tensor d_hypot_b(const Tensor& s, const Tensor&, const Tensor& b,
                        const Tensor& y) {
  return s * (b / y);
}
// fmod(a, b) = a - b trunc(a / b), remainder(a, b) = a - b floor(a / b):
// d/da = 1 (d_pass), d/db = -trunc(a / b) / -floor(a / b) (the quotient is
// piecewise constant).
inline Tensor d_fmod_b(const Tensor& s, const Tensor& a, const Tensor& b,
                       const Tensor&) {
  return neg(s) * trunc(a / b);
}
inline Tensor d_remainder_b(const Tensor& s, const Tensor& a, const Tensor& b,
                            const Tensor&) {
  return neg(s) * floor(a / b);
}
// polygamma(n, x): n is a whole-number order, through which nothing is
// differentiated (torch takes it as an int); d/dx = polygamma(n + 1, x).
inline Tensor d_polygamma_n(const Tensor& s, const Tensor&, const Tensor&,
                            const Tensor&) {
  return zeros_like(s);
}
inline Tensor d_polygamma_x(const Tensor& s, const Tensor& n, const Tensor& x,
                            const Tensor&) {
  return s * polygamma(n + 1.0, x);
}
// maximum / minimum: the winner takes the seed, ties split it in halves
// (torch's convention for the gradient; for the tangent it is the mean of
// both, the transpose of that split).
inline Tensor share(const Tensor& win, const Tensor& tie, const Tensor& s) {
  return s * (cast(win, s.dtype()) + cast(tie, s.dtype()) * 0.5);
}
inline Tensor d_max_a(const Tensor& s, const Tensor& a, const Tensor& b,
                      const Tensor&) {
  return share(gt(a, b), eq(a, b), s);
}
inline Tensor d_max_b(const Tensor& s, const Tensor& a, const Tensor& b,
                      const Tensor&) {
  return share(lt(a, b), eq(a, b), s);
}

}  // namespace fnx::derivatives
