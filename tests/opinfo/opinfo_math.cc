// The elementwise math ops beyond the basic ones: trigonometric and
// hyperbolic functions and their inverses, log2/log10/exp2, the gamma
// family (lgamma, digamma, polygamma), erfinv, round/trunc, the binary
// atan2/hypot/fmod/remainder, and the composites clamp with tensor bounds,
// nan_to_num, logaddexp and xlogy. The references are plain C++ (the
// special functions by algorithms other than the kernels').
#include <cmath>
#include <limits>
#include <numbers>
#include <optional>
#include <utility>

#include "tests/opinfo/opinfo_util.h"

namespace fnx::opinfo {

namespace {

using Fn1 = std::function<Tensor(const Tensor&)>;
using Fn2 = std::function<Tensor(const Tensor&, const Tensor&)>;
using Ref1 = std::function<double(double)>;
using Ref2 = std::function<double(double, double)>;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// ---- references of the special functions ----

// digamma: reflection for x < 0, the recurrence up to x >= 30, then the
// asymptotic series (the kernel stops at 10 with more terms).
double digamma_ref(double x) {
  double acc = 0;
  if (x < 0) {
    acc = -std::numbers::pi / std::tan(std::numbers::pi * x);
    x = 1 - x;
  }
  for (; x < 30; x += 1) acc -= 1 / x;
  const double f = 1 / (x * x);
  return acc + std::log(x) - 0.5 / x -
         f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f / 240)));
}

// polygamma(n, x), n >= 1: (-1)^(n+1) n! sum_k (x + k)^-(n+1), summed
// directly for k < 40 and the rest by its Euler-Maclaurin integral.
double polygamma_ref(int n, double x) {
  if (n == 0) return digamma_ref(x);
  const double s = n + 1;
  double sum = 0;
  constexpr int kTerms = 40;
  for (int k = 0; k < kTerms; ++k) sum += std::pow(x + k, -s);
  const double a = x + kTerms;
  sum +=
      std::pow(a, 1 - s) / (s - 1) + 0.5 * std::pow(a, -s) +
      s / 12 * std::pow(a, -s - 1) -
      s * (s + 1) * (s + 2) / 720 * std::pow(a, -s - 3) +
      s * (s + 1) * (s + 2) * (s + 3) * (s + 4) / 30240 * std::pow(a, -s - 5);
  double factorial = 1;
  for (int k = 2; k <= n; ++k) factorial *= k;
  return (n % 2 == 1 ? 1 : -1) * factorial * sum;
}

// erfinv by bisection on std::erf.
double erfinv_ref(double y) {
  double lo = -6, hi = 6;
  for (int i = 0; i < 200 && hi - lo > 0; ++i) {
    const double mid = 0.5 * (lo + hi);
    if (mid == lo || mid == hi) break;
    (std::erf(mid) < y ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

// Halves to even, written out (not through the rounding mode).
double round_half_even_ref(double x) {
  const double down = std::floor(x), frac = x - down;
  if (frac > 0.5) return down + 1;
  if (frac < 0.5) return down;
  return std::fmod(down, 2.0) == 0 ? down : down + 1;
}

double remainder_ref(double a, double b) { return a - b * std::floor(a / b); }

double clamp_ref(double x, std::optional<double> lo, std::optional<double> hi) {
  if (std::isnan(x)) return x;
  if (lo && x < *lo) x = *lo;
  if (hi && x > *hi) x = *hi;
  return x;
}

double nan_to_num_ref(double x, double nan, double posinf, double neginf) {
  if (std::isnan(x)) return nan;
  if (x == kInf) return posinf;
  if (x == -kInf) return neginf;
  return x;
}

// ---- entries ----

OpInfo unary(std::string name, Fn1 fn, Ref1 ref, Domain domain,
             Impl impl = Impl::kPrimitive, bool differentiable = true,
             std::vector<double> special = {}) {
  OpInfo info;
  info.name = std::move(name);
  info.family = "unary";
  info.op = [fn](const TensorList& in) { return fn(in.at(0)); };
  info.reference = [ref](const TensorList& in) {
    const Nd x = read(in.at(0));
    return map(x, ref, x.dtype);
  };
  info.samples = [domain, special](DType dtype, Generator& gen) {
    return elementwise_unary_samples(dtype, gen, domain, special);
  };
  info.dtypes = floating_dtypes();
  info.differentiable = differentiable;
  if (differentiable) info.diff_args = {0};
  info.impl = impl;
  return info;
}

// Binary samples; `special` (a, b pairs) forms one nondiff-point sample.
std::vector<SampleInput> binary_samples(
    DType dtype, Generator& gen, Domain da, Domain db,
    const std::vector<std::pair<double, double>>& special) {
  auto a = [&](const Shape& s) { return make(s, dtype, gen, da); };
  auto b = [&](const Shape& s) { return make(s, dtype, gen, db); };
  const DType other = dtype == kF32 ? kF64 : kF32;
  std::vector<SampleInput> v;
  v.push_back(sample({a({3, 4}), b({3, 4})}, {"basic"}));
  v.push_back(sample({a({3, 4}), b({4})}, {"broadcast"}, "{3,4} op {4}"));
  v.push_back(sample({a({3, 1}), b({1, 4})}, {"broadcast"}, "{3,1} op {1,4}"));
  v.push_back(sample({a({}), b({3, 4})}, {"scalar", "broadcast"}, "0-d lhs"));
  v.push_back(sample({a({}), b({})}, {"scalar"}, "both 0-d"));
  v.push_back(sample({make_noncontig({4, 3}, dtype, gen, da),
                      make_strided({4, 3}, dtype, gen, db)},
                     {"noncontig"}, "transposed op step-sliced"));
  v.push_back(
      sample({make_expanded({3, 4}, dtype, gen, da), b({3, 4})}, {"expanded"}));
  v.push_back(sample({a({0, 3}), b({3})}, {"zero-size", "broadcast"}));
  v.push_back(sample({a({3, 4}), make({3, 4}, other, gen, db)}, {"promote"},
                     std::string("rhs ") + std::string(dtype_name(other))));
  if (!special.empty()) {
    std::vector<double> va, vb;
    for (const auto& [x, y] : special) {
      va.push_back(x);
      vb.push_back(y);
    }
    const Shape shape{static_cast<int64_t>(special.size())};
    v.push_back(sample({constant(va, shape, dtype), constant(vb, shape, dtype)},
                       {"nondiff-point"}, "special values"));
  }
  return v;
}

OpInfo binary(std::string name, Fn2 fn, Ref2 ref, Domain da, Domain db,
              Impl impl = Impl::kPrimitive,
              std::vector<std::pair<double, double>> special = {}) {
  OpInfo info;
  info.name = std::move(name);
  info.family = "binary";
  info.op = [fn](const TensorList& in) { return fn(in.at(0), in.at(1)); };
  info.reference = [ref](const TensorList& in) {
    const Nd a = read(in.at(0)), b = read(in.at(1));
    return zip(a, b, ref, promote(a.dtype, b.dtype));
  };
  info.samples = [da, db, special](DType dtype, Generator& gen) {
    return binary_samples(dtype, gen, da, db, special);
  };
  info.dtypes = floating_dtypes();
  info.diff_args = {0, 1};
  info.impl = impl;
  return info;
}

// clamp(x, lo, hi) with tensor bounds: lo in [-3, 1], hi in [-1, 3], so
// that every case (below, inside, above, lo > hi) occurs.
OpInfo clamp_tensor_entry() {
  OpInfo info;
  info.name = "clamp.tensor_bounds";
  info.family = "unary";
  info.op = [](const TensorList& in) {
    return clamp(in.at(0), in.at(1), in.at(2));
  };
  info.reference = [](const TensorList& in) {
    const Nd x = read(in.at(0)), lo = read(in.at(1)), hi = read(in.at(2));
    return zip3(
        x, lo, hi,
        [](double v, double l, double h) { return clamp_ref(v, l, h); },
        promote(promote(x.dtype, lo.dtype), hi.dtype));
  };
  info.samples = [](DType dtype, Generator& gen) {
    auto x = [&](const Shape& s) { return make(s, dtype, gen); };
    auto lo = [&](const Shape& s) { return make(s, dtype, gen) - 1.0; };
    auto hi = [&](const Shape& s) { return make(s, dtype, gen) + 1.0; };
    return std::vector<SampleInput>{
        sample({x({3, 4}), lo({3, 4}), hi({3, 4})}, {"basic"}),
        sample({x({3, 4}), lo({4}), hi({3, 1})}, {"broadcast"}),
        sample({x({}), lo({}), hi({})}, {"scalar"}),
        sample({make_noncontig({4, 3}, dtype, gen), lo({4, 3}), hi({3})},
               {"noncontig", "broadcast"}),
        sample({x({0, 3}), lo({3}), hi({3})}, {"zero-size", "broadcast"}),
        sample({constant({-0.5, 0.75, kNaN, 2.0}, {4}, dtype),
                constant({-0.5, 0.0, 0.0, 3.0}, {4}, dtype),
                constant({1.0, 0.75, 1.0, 1.0}, {4}, dtype)},
               {"nondiff-point"}, "at the bounds, NaN, lo > hi"),
    };
  };
  info.dtypes = floating_dtypes();
  info.diff_args = {0, 1, 2};
  info.impl = Impl::kComposite;
  return info;
}

// One bound only, given at run time.
OpInfo clamp_one_bound_entry() {
  OpInfo info = clamp_tensor_entry();
  info.name = "clamp_tensor.max_only";
  info.op = [](const TensorList& in) {
    return clamp_tensor(in.at(0), std::nullopt, in.at(2));
  };
  info.reference = [](const TensorList& in) {
    const Nd x = read(in.at(0)), hi = read(in.at(2));
    // in[1] (the lower bound of clamp.tensor's samples) is unused here.
    return zip(
        x, hi, [](double v, double h) { return clamp_ref(v, std::nullopt, h); },
        promote(x.dtype, hi.dtype));
  };
  info.diff_args = {0, 2};
  return info;
}

// The defaults depend on the dtype: its largest and lowest finite values.
OpInfo nan_to_num_defaults_entry() {
  OpInfo info = unary(
      "nan_to_num.defaults", [](const Tensor& x) { return nan_to_num(x); },
      [](double x) { return x; }, Domain::kAny, Impl::kComposite, true,
      {kNaN, kInf, -kInf, 1.5});
  info.reference = [](const TensorList& in) {
    const Nd x = read(in.at(0));
    const bool f32 = x.dtype == kF32;
    const double hi = f32 ? std::numeric_limits<float>::max()
                          : std::numeric_limits<double>::max();
    return map(
        x, [hi](double v) { return nan_to_num_ref(v, 0, hi, -hi); }, x.dtype);
  };
  return info;
}

}  // namespace

void add_math_ops(std::vector<OpInfo>& db) {
  const Domain any = Domain::kAny, pos = Domain::kPositive,
               unit = Domain::kUnit;
  const Impl prim = Impl::kPrimitive, comp = Impl::kComposite;
  db.push_back(unary(
      "tan", tan, [](double x) { return std::tan(x); }, unit));
  db.push_back(unary(
      "asin", asin, [](double x) { return std::asin(x); }, unit));
  db.push_back(unary(
      "acos", acos, [](double x) { return std::acos(x); }, unit));
  db.push_back(unary(
      "atan", atan, [](double x) { return std::atan(x); }, any));
  db.push_back(unary(
      "sinh", sinh, [](double x) { return std::sinh(x); }, any));
  db.push_back(unary(
      "cosh", cosh, [](double x) { return std::cosh(x); }, any));
  db.push_back(unary(
      "asinh", asinh, [](double x) { return std::asinh(x); }, any));
  db.push_back(unary(
      "acosh", acosh, [](double x) { return std::acosh(x); },
      Domain::kAboveOne));
  db.push_back(unary(
      "atanh", atanh, [](double x) { return std::atanh(x); }, unit));
  db.push_back(unary("log2", log2, [](double x) { return std::log2(x); }, pos,
                     prim, true, {0.25, 1.0, 8.0, 1024.0}));
  db.push_back(unary("log10", log10, [](double x) { return std::log10(x); },
                     pos, prim, true, {0.01, 1.0, 1000.0}));
  db.push_back(unary("exp2", exp2, [](double x) { return std::exp2(x); }, any,
                     prim, true, {-2.0, 0.0, 10.0}));
  db.push_back(unary("lgamma", lgamma, [](double x) { return std::lgamma(x); },
                     pos, prim, true, {-2.5, -0.5, 1.0, 2.0, 30.5}));
  db.push_back(unary("digamma", digamma, digamma_ref, pos, prim, true,
                     {-2.5, -0.5, 0.25, 1.0, 12.0}));
  for (int n = 1; n <= 3; ++n) {
    db.push_back(unary(
        "polygamma.n" + std::to_string(n),
        [n](const Tensor& x) { return polygamma(n, x); },
        [n](double x) { return polygamma_ref(n, x); }, pos, prim, true,
        {0.25, 1.0, 12.0}));
  }
  db.push_back(unary(
      "polygamma.n0", [](const Tensor& x) { return polygamma(0, x); },
      digamma_ref, pos));
  db.push_back(unary("erfinv", erfinv, erfinv_ref, unit, prim, true,
                     {-0.999, -0.5, 0.0, 0.3, 0.99}));
  db.push_back(unary("round", round, round_half_even_ref, any, prim, false,
                     {-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49, -0.51}));
  db.push_back(unary("trunc", trunc, [](double x) { return std::trunc(x); },
                     any, prim, false, {-1.5, -1.0, -0.5, 0.0, 0.5, 2.0}));
  db.push_back(binary(
      "atan2", atan2, [](double a, double b) { return std::atan2(a, b); }, any,
      any));
  db.push_back(binary(
      "hypot", hypot, [](double a, double b) { return std::hypot(a, b); }, any,
      any));
  // The signs and exact multiples: fmod takes a's sign, remainder b's.
  const std::vector<std::pair<double, double>> quotients = {
      {-3.0, 2.0}, {3.0, -2.0}, {-2.5, -2.0},
      {2.5, 2.0},  {4.0, 2.0},  {-4.0, 2.0}};
  db.push_back(binary(
      "fmod", fmod, [](double a, double b) { return std::fmod(a, b); }, any,
      Domain::kNonZero, prim, quotients));
  db.push_back(binary("remainder", remainder, remainder_ref, any,
                      Domain::kNonZero, prim, quotients));
  db.push_back(binary("logaddexp", logaddexp,
                      [](double a, double b) {
                        if (std::isinf(a) && a == b) return a;
                        return std::log(std::exp(a) + std::exp(b));
                      },
                      any, any, comp,
                      {{1.5, 1.5}, {-0.5, -0.5}, {3.0, -40.0}}));
  db.push_back(binary(
      "logaddexp.large", logaddexp,
      [](double a, double b) {
        const double m = std::max(a, b);
        return m + std::log(std::exp(a - m) + std::exp(b - m));
      },
      any, any, comp));
  // Operands up to 1000 in size, where exp(a) + exp(b) would overflow.
  db.back().samples = [](DType dtype, Generator& gen) {
    auto big = [&](const Shape& s) { return make(s, dtype, gen) * 500.0; };
    return std::vector<SampleInput>{
        sample({big({3, 4}), big({3, 4})}, {"basic"}),
        sample({big({}), big({3, 4})}, {"scalar", "broadcast"}),
        sample({big({0, 3}), big({3})}, {"zero-size", "broadcast"}),
        sample({big({3, 4}).transpose(0, 1), big({4, 3})}, {"noncontig"}),
    };
  };
  db.push_back(
      binary("xlogy", xlogy,
             [](double x, double y) { return x == 0 ? 0.0 : x * std::log(y); },
             any, pos, comp, {{0.0, 2.0}, {0.0, 0.0}, {1.5, 0.5}}));
  db.push_back(clamp_tensor_entry());
  db.push_back(clamp_one_bound_entry());
  db.push_back(unary(
      "nan_to_num",
      [](const Tensor& x) { return nan_to_num(x, 0.5, 100.0, -100.0); },
      [](double x) { return nan_to_num_ref(x, 0.5, 100.0, -100.0); }, any, comp,
      true, {kNaN, kInf, -kInf, 1.5}));
  db.push_back(nan_to_num_defaults_entry());
}

}  // namespace fnx::opinfo
