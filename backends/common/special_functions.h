// Special functions that neither libm nor CUDA provide on both the host and
// the device: digamma, polygamma (through the Hurwitz zeta function),
// erfinv, and lgamma without libm's global signgam (a data race when the
// CPU kernels run it on several threads). All compute in double: the
// float kernels round the double result, which is what accuracy-first
// libraries do for these (they are rarely bandwidth-bound).
#pragma once

#include <cmath>
#include <limits>

#include "backends/common/host_device.h"

namespace fnx::special {

inline constexpr double kPi = 3.14159265358979323846;
inline constexpr double kMachEps = 1.11022302462515654042e-16;

// lgamma: libm's lgamma writes the global signgam on the host; lgamma_r
// returns the sign through an argument instead.
FNX_HD double lgamma_of(double x) {
#if defined(__CUDA_ARCH__)
  return ::lgamma(x);
#else
  int sign = 0;
  return ::lgamma_r(x, &sign);
#endif
}

// digamma(x) = d/dx lgamma(x). Poles at 0, -1, -2, ...: +-inf at zero (the
// sign opposite to zero's, as torch), NaN at the negative integers.
// Negative x reflect: psi(x) = psi(1 - x) - pi / tan(pi x). Then the
// recurrence psi(x) = psi(x + 1) - 1/x up to x >= 10, where the asymptotic
// series (7 Bernoulli terms) is below double rounding.
FNX_HD double digamma(double x) {
  if (x != x) return x;
  if (x == 0) {
    return ::copysign(1.0, x) < 0 ? std::numeric_limits<double>::infinity()
                                : -std::numeric_limits<double>::infinity();
  }
  double result = 0;
  if (x < 0) {
    if (x == ::floor(x)) return std::numeric_limits<double>::quiet_NaN();
    result = -kPi / ::tan(kPi * x);
    x = 1 - x;
  }
  while (x < 10) {
    result -= 1 / x;
    x += 1;
  }
  if (x == std::numeric_limits<double>::infinity()) return x;
  const double f = 1 / (x * x);
  const double series =
      f * (-1.0 / 12 +
           f * (1.0 / 120 +
                f * (-1.0 / 252 +
                     f * (1.0 / 240 +
                          f * (-1.0 / 132 +
                               f * (691.0 / 32760 + f * (-1.0 / 12)))))));
  return result + ::log(x) - 0.5 / x + series;
}

// The Hurwitz zeta function zeta(s, q) = sum_k (q + k)^-s for s > 1
// (Cephes' zeta: direct sum up to q + k > 9, then Euler-Maclaurin). Poles
// at q = 0, -1, ...: +inf.
FNX_HD double hurwitz_zeta(double s, double q) {
  if (s == 1) return std::numeric_limits<double>::infinity();
  if (s < 1 || s != s || q != q) return std::numeric_limits<double>::quiet_NaN();
  if (q <= 0) {
    if (q == ::floor(q)) return std::numeric_limits<double>::infinity();
    if (s != ::floor(s)) return std::numeric_limits<double>::quiet_NaN();
  }
  // (2k)! / B_2k, the Euler-Maclaurin coefficients.
  const double kA[12] = {12.0,
                         -720.0,
                         30240.0,
                         -1209600.0,
                         47900160.0,
                         -1.8924375803183791606e9,
                         7.47242496e10,
                         -2.950130727918164224e12,
                         1.1646782814350067249e14,
                         -4.5979787224074726105e15,
                         1.8152105401943546773e17,
                         -7.1661652561756670113e18};
  double sum = ::pow(q, -s);
  double a = q;
  double b = 0;
  int i = 0;
  while (i < 9 || a <= 9.0) {
    i += 1;
    a += 1.0;
    b = ::pow(a, -s);
    sum += b;
    if (::fabs(b / sum) < kMachEps) return sum;
  }
  const double w = a;
  sum += b * w / (s - 1);
  sum -= 0.5 * b;
  double factor = 1.0;
  double k = 0.0;
  for (int j = 0; j < 12; ++j) {
    factor *= s + k;
    b /= w;
    const double term = factor * b / kA[j];
    sum += term;
    if (::fabs(term / sum) < kMachEps) break;
    k += 1.0;
    factor *= s + k;
    b /= w;
    k += 1.0;
  }
  return sum;
}

// polygamma(n, x), the n-th derivative of digamma: digamma for n = 0,
// (-1)^(n+1) n! zeta(n + 1, x) above. n must be a whole number >= 0 (NaN
// otherwise).
FNX_HD double polygamma(double n, double x) {
  if (n != n || n < 0 || n != ::floor(n)) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  if (n == 0) return digamma(x);
  double factorial = 1;
  for (double k = 2; k <= n; k += 1) factorial *= k;
  const double sign = ::fmod(n, 2.0) == 1.0 ? 1.0 : -1.0;
  return sign * factorial * hurwitz_zeta(n + 1, x);
}

// erfinv(y), the inverse of erf on (-1, 1): +-inf at +-1, NaN outside.
// Giles' single-precision approximation ("Approximating the erfinv
// function", GPU Computing Gems, 2011) starts three Newton steps in double;
// for |y| > 0.5 the steps solve erfc(x) = 1 - |y| (exact by Sterbenz), so
// the tail keeps its relative accuracy where erf(x) - y would cancel.
FNX_HD double erfinv(double y) {
  if (y != y || y < -1 || y > 1) return std::numeric_limits<double>::quiet_NaN();
  const double a = ::fabs(y);
  if (a == 1) return ::copysign(std::numeric_limits<double>::infinity(), y);
  if (a == 0) return y;
  double w = -::log((1 - a) * (1 + a));
  double p;
  if (w < 5) {
    w -= 2.5;
    p = 2.81022636e-08;
    p = 3.43273939e-07 + p * w;
    p = -3.5233877e-06 + p * w;
    p = -4.39150654e-06 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
  } else {
    w = ::sqrt(w) - 3;
    p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
  }
  double x = p * a;
  const double two_over_sqrt_pi = 1.12837916709551257390;
  for (int step = 0; step < 3; ++step) {
    const double slope = two_over_sqrt_pi * ::exp(-x * x);
    const double residual = a <= 0.5 ? ::erf(x) - a : (1 - a) - ::erfc(x);
    x -= residual / slope;
  }
  return ::copysign(x, y);
}

}  // namespace fnx::special
