// Derivatives of the Scan primitives Cumprod and Logcumsumexp, forward
// (tangent in, tangent out) and reverse (cotangent in, cotangent out), side
// by side; grad and jvp register thin rules over them. Everything is public
// ops and scans, so every order of derivative and vmap compose with them.
// "Prefix" below means in the scan's direction (ScanAttrs::reverse).
//
// Cumprod, y_i = prod_{j<=i} x_j, exact with zeros (no division by a zero):
// with z the first zero of a fiber and z2 the second, positions before z
// ("before") have dy_i/dx_k = y_i / x_k, which is 0 for i >= z as it must
// be; at z, dy_i/dx_z = prod_{j<=i, j!=z} x_j = y1_i, the cumprod of x with
// x_z := 1; after z, dy_i/dx_k = x_z * y1_i / x_k up to z2 ("between");
// at z2, x_z * y2_i (y2: x_z, x_z2 := 1); past z2, 0. Hence (torch's
// approach, O(n)):
//   jvp = y * cumsum(before ? t / x : 0) + y1 * cumsum(at z ? t : 0)
//         + x_z * y1 * cumsum(between ? t / x : 0)
//         + x_z * y2 * cumsum(at z2 ? t : 0)
//   vjp = before ? rcumsum(g y) / x : at z ? rcumsum(g y1)
//         : between ? x_z * rcumsum(g y1) / x : at z2 ? x_z * rcumsum(g y2)
//         : 0
// with rcumsum the opposite-direction sum. The x_z terms are 0 in value;
// they carry the derivatives with respect to x_z, so that second
// derivatives are exact (and the Hessian symmetric) with any number of
// zeros. (Third derivatives take the pattern past z2 as fixed.)
//
// Logcumsumexp, y_i = log sum_{j<=i} exp(x_j): dy_i/dx_k = exp(x_k - y_i).
// With v = v+ - v- split by sign and log(0) = -inf, every sum stays a
// log-sum-exp scan, so nothing overflows (torch's approach):
//   jvp = sum_± ±exp(logcumsumexp(x + log t±) - y)
//   vjp = sum_± ±exp(x + rlogcumsumexp(log g± - y))
// A prefix of -inf only (y = -inf) gets a zero derivative instead of NaN.
//
// Header-only: each plugin (static or shared object) compiles its own copy.
#pragma once

#include <cmath>

#include "core/dispatch.h"
#include "core/ops/ops.h"

namespace fnx::scan_derivatives {

// The scan primitive `prim` of x along attrs.dim, in attrs' direction or
// the opposite one.
inline Tensor scan(Prim prim, const Tensor& x, ScanAttrs attrs,
                   bool opposite = false) {
  if (opposite) attrs.reverse = !attrs.reverse;
  const Tensor inputs[] = {x};
  return dispatch(prim, attrs, inputs);
}

// Where each fiber's zeros are, relative to its first zero (in the scan's
// direction), and the product with that zero taken as 1.
struct ZeroSplit {
  Tensor before;     // bool: no zero at or before this position
  Tensor first;      // bool: this is the first zero
  Tensor between;    // bool: past the first zero, before the second
  Tensor second;     // bool: this is the second zero
  Tensor x_before;   // x where `before`, 1 elsewhere (a safe divisor)
  Tensor x_between;  // x where `between`, 1 elsewhere
  Tensor zero;       // x_z from the first zero on, 0 before it (value 0)
  Tensor y1;         // cumprod of x with the first zero set to 1
  Tensor y2;         // cumprod of x with the first two zeros set to 1
};

inline ZeroSplit split_at_first_zero(const Tensor& x, const ScanAttrs& a) {
  const Tensor is_zero = x == scalar_like(0, x);
  const Tensor zeros_so_far = scan(Prim::Cumsum, cast(is_zero, x.dtype()), a);
  const Tensor one_so_far = zeros_so_far == scalar_like(1, x);
  ZeroSplit s;
  s.before = zeros_so_far == scalar_like(0, x);
  s.first = logical_and(is_zero, one_so_far);
  s.between = logical_and(logical_not(is_zero), one_so_far);
  s.second = logical_and(is_zero, zeros_so_far == scalar_like(2, x));
  s.x_before = where(s.before, x, 1.0);
  s.x_between = where(s.between, x, 1.0);
  s.zero = scan(Prim::Cumsum, where(s.first, x, 0.0), a);
  s.y1 = scan(Prim::Cumprod, where(s.first, 1.0, x), a);
  s.y2 = scan(Prim::Cumprod, where(logical_or(s.first, s.second), 1.0, x), a);
  return s;
}

inline Tensor cumprod_jvp(const Tensor& x, const Tensor& y, const Tensor& t,
                          const ScanAttrs& a) {
  const ZeroSplit s = split_at_first_zero(x, a);
  auto prefix = [&](const Tensor& v) { return scan(Prim::Cumsum, v, a); };
  return y * prefix(where(s.before, t / s.x_before, 0.0)) +
         s.y1 * prefix(where(s.first, t, 0.0)) +
         s.zero * s.y1 * prefix(where(s.between, t / s.x_between, 0.0)) +
         s.zero * s.y2 * prefix(where(s.second, t, 0.0));
}

inline Tensor cumprod_vjp(const Tensor& x, const Tensor& y, const Tensor& g,
                          const ScanAttrs& a) {
  const ZeroSplit s = split_at_first_zero(x, a);
  const Tensor before = scan(Prim::Cumsum, g * y, a, /*opposite=*/true);
  const Tensor at_zero = scan(Prim::Cumsum, g * s.y1, a, /*opposite=*/true);
  const Tensor at_second = scan(Prim::Cumsum, g * s.y2, a, /*opposite=*/true);
  return where(s.before, before / s.x_before,
               where(s.first, at_zero,
                     where(s.between, s.zero * at_zero / s.x_between,
                           where(s.second, s.zero * at_second, 0.0))));
}

// log(v) where v > 0, -inf elsewhere (no log of a non-positive number is
// taken, so no NaN reaches a derivative of this either).
inline Tensor log_positive(const Tensor& v) {
  const Tensor positive = v > 0.0;
  return where(positive, log(where(positive, v, 1.0)), -HUGE_VAL);
}

// y with -inf replaced by 0: a prefix of -inf contributes exp(-inf) = 0.
inline Tensor finite_below(const Tensor& y) {
  return where(y == scalar_like(-HUGE_VAL, y), 0.0, y);
}

inline Tensor logcumsumexp_jvp(const Tensor& x, const Tensor& y,
                               const Tensor& t, const ScanAttrs& a) {
  const Tensor shift = finite_below(y);
  auto part = [&](const Tensor& v) {
    return exp(scan(Prim::Logcumsumexp, x + log_positive(v), a) - shift);
  };
  return part(t) - part(-t);
}

inline Tensor logcumsumexp_vjp(const Tensor& x, const Tensor& y,
                               const Tensor& g, const ScanAttrs& a) {
  const Tensor shift = finite_below(y);
  auto part = [&](const Tensor& v) {
    return exp(x + scan(Prim::Logcumsumexp, log_positive(v) - shift, a,
                        /*opposite=*/true));
  };
  return part(g) - part(-g);
}

}  // namespace fnx::scan_derivatives
