// Unary elementwise ops: the primitives (neg ... logical_not) and the
// composites (square ... clamp).
#include <cmath>
#include <optional>
#include <set>
#include <utility>

#include "tests/opinfo/opinfo_util.h"

namespace fnx::opinfo {

namespace {

struct UnarySpec {
  std::string name;
  std::function<Tensor(const Tensor&)> fn;
  std::function<double(double)> ref;
  Domain domain = Domain::kAny;
  std::vector<DType> dtypes;
  Impl impl = Impl::kPrimitive;
  bool differentiable = true;
  bool bool_result = false;
  // Exact values where the op has a kink, a jump or a special case; they
  // form one "nondiff-point" sample.
  std::vector<double> special;
  // Integer and bool inputs give float32 (exp, sqrt... as torch).
  bool float_result = false;
};

OpInfo unary_entry(UnarySpec spec) {
  OpInfo info;
  info.name = spec.name;
  info.family = "unary";
  auto fn = spec.fn;
  info.op = [fn](const TensorList& in) { return fn(in.at(0)); };
  auto ref = spec.ref;
  const bool bool_result = spec.bool_result;
  const bool float_result = spec.float_result;
  info.reference = [ref, bool_result, float_result](const TensorList& in) {
    const Nd x = read(in.at(0));
    DType out = x.dtype;
    if (bool_result) out = kBool;
    if (float_result && !is_floating(x.dtype)) out = kF32;
    return map(x, ref, out);
  };
  const Domain domain = spec.domain;
  auto special = spec.special;
  info.samples = [domain, special](DType dtype, Generator& gen) {
    return elementwise_unary_samples(dtype, gen, domain, special);
  };
  info.dtypes = spec.dtypes;
  info.differentiable = spec.differentiable;
  if (spec.differentiable) info.diff_args = {0};
  info.impl = spec.impl;
  return info;
}

double sigmoid_ref(double x) { return 1 / (1 + std::exp(-x)); }

double clamp_ref(double x, std::optional<double> lo, std::optional<double> hi) {
  if (lo && x < *lo) x = *lo;
  if (hi && x > *hi) x = *hi;
  return x;
}

std::string bound_str(std::optional<double> v) {
  return v ? std::to_string(*v) : "none";
}

// clamp's bounds vary per sample.
SampleInput clamp_sample(Tensor x, std::vector<std::string> tags,
                         std::optional<double> lo, std::optional<double> hi) {
  return sample_with(
      {std::move(x)}, std::move(tags),
      "min=" + bound_str(lo) + " max=" + bound_str(hi),
      [lo, hi](const TensorList& in) { return clamp(in.at(0), lo, hi); },
      [lo, hi](const TensorList& in) {
        const Nd x = read(in.at(0));
        return map(
            x, [lo, hi](double v) { return clamp_ref(v, lo, hi); }, x.dtype);
      });
}

OpInfo clamp_entry() {
  OpInfo info =
      unary_entry({"clamp", [](const Tensor& x) { return clamp(x, -0.5, 0.7); },
                   [](double x) { return clamp_ref(x, -0.5, 0.7); },
                   Domain::kAny, floating_dtypes(), Impl::kComposite});
  info.samples = [](DType dtype, Generator& gen) {
    std::vector<SampleInput> s;
    s.push_back(clamp_sample(make({3, 4}, dtype, gen), {"basic"}, -0.5, 0.7));
    s.push_back(
        clamp_sample(make({3, 4}, dtype, gen), {"basic"}, std::nullopt, 0.3));
    s.push_back(
        clamp_sample(make({3, 4}, dtype, gen), {"basic"}, -0.2, std::nullopt));
    s.push_back(clamp_sample(make_noncontig({4, 3}, dtype, gen), {"noncontig"},
                             -1.0, 1.0));
    s.push_back(
        clamp_sample(make({0, 3}, dtype, gen), {"zero-size"}, -1.0, 1.0));
    s.push_back(clamp_sample(make({}, dtype, gen), {"scalar"}, -0.3, 0.3));
    s.push_back(clamp_sample(constant({-0.5, 0.75, 0.0, 2.0}, {4}, dtype),
                             {"nondiff-point"}, -0.5, 0.75));
    return s;
  };
  return info;
}

}  // namespace

void add_unary_ops(std::vector<OpInfo>& db) {
  const auto& fl = floating_dtypes();
  const auto& num = numeric_dtypes();
  const Domain any = Domain::kAny, pos = Domain::kPositive;
  const Impl prim = Impl::kPrimitive, comp = Impl::kComposite;
  const std::vector<UnarySpec> specs = {
      {"neg", neg, [](double x) { return -x; }, any, num, prim},
      {"abs",
       abs,
       [](double x) { return std::abs(x); },
       any,
       num,
       prim,
       true,
       false,
       {0.0, -1.5, 1.5}},
      {"sign",
       sign,
       [](double x) { return (x > 0) - (x < 0) + 0.0; },
       any,
       num,
       prim,
       false,
       false,
       {0.0, -2.0, 3.0}},
      {"exp", exp, [](double x) { return std::exp(x); }, any, fl, prim},
      {"log", log, [](double x) { return std::log(x); }, pos, fl, prim},
      {"log1p", log1p, [](double x) { return std::log1p(x); }, pos, fl, prim},
      {"expm1", expm1, [](double x) { return std::expm1(x); }, any, fl, prim},
      {"sqrt", sqrt, [](double x) { return std::sqrt(x); }, pos, fl, prim},
      {"rsqrt", rsqrt, [](double x) { return 1 / std::sqrt(x); }, pos, fl,
       prim},
      {"sin", sin, [](double x) { return std::sin(x); }, any, fl, prim},
      {"cos", cos, [](double x) { return std::cos(x); }, any, fl, prim},
      {"tanh", tanh, [](double x) { return std::tanh(x); }, any, fl, prim},
      {"sigmoid", sigmoid, sigmoid_ref, any, fl, prim},
      {"erf", erf, [](double x) { return std::erf(x); }, any, fl, prim},
      {"floor",
       floor,
       [](double x) { return std::floor(x); },
       any,
       fl,
       prim,
       false,
       false,
       {-1.5, -1.0, 0.0, 0.5, 2.0}},
      {"ceil",
       ceil,
       [](double x) { return std::ceil(x); },
       any,
       fl,
       prim,
       false,
       false,
       {-1.5, -1.0, 0.0, 0.5, 2.0}},
      {"logical_not",
       logical_not,
       [](double x) { return x == 0 ? 1.0 : 0.0; },
       Domain::kSmallInt,
       all_dtypes(),
       prim,
       false,
       true,
       {0.0, 1.0, -2.0}},
      {"square", square, [](double x) { return x * x; }, any, num, comp},
      {"reciprocal", reciprocal, [](double x) { return 1 / x; },
       Domain::kNonZero, fl, comp},
      {"relu",
       relu,
       [](double x) { return x > 0 ? x : 0.0; },
       any,
       fl,
       comp,
       true,
       false,
       {0.0, -1.0, 1.0}},
      {"gelu", gelu,
       [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); },
       any, fl, comp},
      {"softplus", softplus, [](double x) { return std::log1p(std::exp(x)); },
       any, fl, comp},
      {"silu", silu, [](double x) { return x * sigmoid_ref(x); }, any, fl,
       comp},
  };
  // The transcendental primitives also take integer and bool inputs.
  const std::set<std::string> int_to_float = {
      "exp", "log", "log1p", "expm1",   "sqrt", "rsqrt",
      "sin", "cos", "tanh",  "sigmoid", "erf"};
  for (UnarySpec spec : specs) {
    if (int_to_float.count(spec.name) > 0) {
      spec.float_result = true;
      spec.dtypes = all_dtypes();
    }
    db.push_back(unary_entry(spec));
  }
  db.push_back(clamp_entry());
}

}  // namespace fnx::opinfo
