// VJP rules of the elementwise families: unary, broadcasting binary (with
// sum-to-shape for broadcast operands), compare, where and cast.
#include <numbers>

#include "core/ops/ops.h"
#include "transforms/grad/rule_helpers.h"
#include "transforms/grad/vjp_rule.h"

namespace fnx::grad {
namespace {

// ---- unary: grads[0] = D(g, x, y) ----

using UnaryD = Tensor (*)(const Tensor& g, const Tensor& x, const Tensor& y);

template <UnaryD D>
void unary_vjp(const VjpArgs& a, const Tensor& g, std::span<Tensor> grads) {
  if (a.needs(0)) grads[0] = D(g, a.input(0), a.output);
}

// The rule of a unary primitive whose derivative reads x (kSave0) and/or
// y (save_output).
template <UnaryD D>
constexpr VjpRule unary_rule(uint32_t save_inputs, bool save_output) {
  return VjpRule{&unary_vjp<D>, save_inputs, save_output, true};
}

Tensor d_neg(const Tensor& g, const Tensor&, const Tensor&) { return neg(g); }
Tensor d_abs(const Tensor& g, const Tensor& x, const Tensor&) {
  return g * sign(x);
}
Tensor d_exp(const Tensor& g, const Tensor&, const Tensor& y) { return g * y; }
Tensor d_log(const Tensor& g, const Tensor& x, const Tensor&) { return g / x; }
Tensor d_log1p(const Tensor& g, const Tensor& x, const Tensor&) {
  return g / (x + 1.0);
}
Tensor d_expm1(const Tensor& g, const Tensor&, const Tensor& y) {
  return g * (y + 1.0);
}
Tensor d_sqrt(const Tensor& g, const Tensor&, const Tensor& y) {
  return g / (y * 2.0);
}
// d/dx x^(-1/2) = -1/2 x^(-3/2) = -1/2 y^3.
Tensor d_rsqrt(const Tensor& g, const Tensor&, const Tensor& y) {
  return (g * -0.5) * (y * y * y);
}
Tensor d_sin(const Tensor& g, const Tensor& x, const Tensor&) {
  return g * cos(x);
}
Tensor d_cos(const Tensor& g, const Tensor& x, const Tensor&) {
  return g * neg(sin(x));
}
Tensor d_tanh(const Tensor& g, const Tensor&, const Tensor& y) {
  return g * (1.0 - y * y);
}
Tensor d_logistic(const Tensor& g, const Tensor&, const Tensor& y) {
  return g * (y * (1.0 - y));
}
// d/dx erf(x) = 2 / sqrt(pi) exp(-x^2).
Tensor d_erf(const Tensor& g, const Tensor& x, const Tensor&) {
  return g * (exp(neg(x * x)) * (2.0 * std::numbers::inv_sqrtpi));
}

constexpr VjpRule kNeg = unary_rule<&d_neg>(kSaveNone, false);
constexpr VjpRule kAbs = unary_rule<&d_abs>(kSave0, false);
constexpr VjpRule kExp = unary_rule<&d_exp>(kSaveNone, true);
constexpr VjpRule kLog = unary_rule<&d_log>(kSave0, false);
constexpr VjpRule kLog1p = unary_rule<&d_log1p>(kSave0, false);
constexpr VjpRule kExpm1 = unary_rule<&d_expm1>(kSaveNone, true);
constexpr VjpRule kSqrt = unary_rule<&d_sqrt>(kSaveNone, true);
constexpr VjpRule kRsqrt = unary_rule<&d_rsqrt>(kSaveNone, true);
constexpr VjpRule kSin = unary_rule<&d_sin>(kSave0, false);
constexpr VjpRule kCos = unary_rule<&d_cos>(kSave0, false);
constexpr VjpRule kTanh = unary_rule<&d_tanh>(kSaveNone, true);
constexpr VjpRule kLogistic = unary_rule<&d_logistic>(kSaveNone, true);
constexpr VjpRule kErf = unary_rule<&d_erf>(kSave0, false);

// ---- broadcasting binary: grads[i] = sum_to(Di(g, a, b, y), shape_i) ----

using BinaryD = Tensor (*)(const Tensor& g, const Tensor& a, const Tensor& b,
                           const Tensor& y);

template <BinaryD DA, BinaryD DB>
void binary_vjp(const VjpArgs& v, const Tensor& g, std::span<Tensor> grads) {
  const Tensor& a = v.input(0);
  const Tensor& b = v.input(1);
  if (v.needs(0)) grads[0] = sum_to(DA(g, a, b, v.output), v.meta[0].shape);
  if (v.needs(1)) grads[1] = sum_to(DB(g, a, b, v.output), v.meta[1].shape);
}

template <BinaryD DA, BinaryD DB>
constexpr VjpRule binary_rule(uint32_t save_inputs, bool save_output) {
  return VjpRule{&binary_vjp<DA, DB>, save_inputs, save_output, true};
}

Tensor d_pass(const Tensor& g, const Tensor&, const Tensor&, const Tensor&) {
  return g;
}
Tensor d_negate(const Tensor& g, const Tensor&, const Tensor&, const Tensor&) {
  return neg(g);
}
Tensor d_mul_a(const Tensor& g, const Tensor&, const Tensor& b, const Tensor&) {
  return g * b;
}
Tensor d_mul_b(const Tensor& g, const Tensor& a, const Tensor&, const Tensor&) {
  return g * a;
}
Tensor d_div_a(const Tensor& g, const Tensor&, const Tensor& b, const Tensor&) {
  return g / b;
}
Tensor d_div_b(const Tensor& g, const Tensor& a, const Tensor& b,
               const Tensor&) {
  return neg(g) * a / (b * b);
}
// As torch: 0 where the exponent is 0 (so 0^0 has derivative 0, not NaN).
Tensor d_pow_a(const Tensor& g, const Tensor& a, const Tensor& b,
               const Tensor&) {
  Tensor d = g * (b * pow(a, b - 1.0));
  return where(eq(b, scalar_like(0, b)), scalar_like(0, d), d);
}
// As torch: 0 where a == 0 and b >= 0 (instead of 0 * log 0 = NaN).
Tensor d_pow_b(const Tensor& g, const Tensor& a, const Tensor& b,
               const Tensor& y) {
  Tensor d = g * (y * log(a));
  Tensor zero_base =
      logical_and(eq(a, scalar_like(0, a)), ge(b, scalar_like(0, b)));
  return where(zero_base, scalar_like(0, d), d);
}
// maximum / minimum: the winner takes the cotangent, ties split it in
// halves (torch's convention).
Tensor share(const Tensor& win, const Tensor& tie, const Tensor& g) {
  return g * (cast(win, g.dtype()) + cast(tie, g.dtype()) * 0.5);
}
Tensor d_max_a(const Tensor& g, const Tensor& a, const Tensor& b,
               const Tensor&) {
  return share(gt(a, b), eq(a, b), g);
}
Tensor d_max_b(const Tensor& g, const Tensor& a, const Tensor& b,
               const Tensor&) {
  return share(lt(a, b), eq(a, b), g);
}

constexpr VjpRule kAdd = binary_rule<&d_pass, &d_pass>(kSaveNone, false);
constexpr VjpRule kSub = binary_rule<&d_pass, &d_negate>(kSaveNone, false);
constexpr VjpRule kMul =
    binary_rule<&d_mul_a, &d_mul_b>(kSave0 | kSave1, false);
constexpr VjpRule kDiv =
    binary_rule<&d_div_a, &d_div_b>(kSave0 | kSave1, false);
constexpr VjpRule kPow = binary_rule<&d_pow_a, &d_pow_b>(kSave0 | kSave1, true);
constexpr VjpRule kMaximum =
    binary_rule<&d_max_a, &d_max_b>(kSave0 | kSave1, false);
// minimum(a, b): a wins where a < b, which is maximum's rule for b.
constexpr VjpRule kMinimum =
    binary_rule<&d_max_b, &d_max_a>(kSave0 | kSave1, false);

// ---- where(cond, a, b) ----

void where_vjp(const VjpArgs& v, const Tensor& g, std::span<Tensor> grads) {
  const Tensor& cond = v.input(0);
  const Tensor zero = scalar_like(0, g);
  if (v.needs(1)) grads[1] = sum_to(where(cond, g, zero), v.meta[1].shape);
  if (v.needs(2)) grads[2] = sum_to(where(cond, zero, g), v.meta[2].shape);
}
constexpr VjpRule kWhere{&where_vjp, kSave0, false, true};

// ---- cast: the cotangent goes back to the input's dtype ----

void cast_vjp(const VjpArgs& v, const Tensor& g, std::span<Tensor> grads) {
  if (v.needs(0)) grads[0] = cast(g, v.meta[0].dtype);
}
constexpr VjpRule kCast{&cast_vjp, kSaveNone, false, true};

}  // namespace

void register_elementwise_rules(Registrar& r) {
  add_rule(r, Prim::Neg, kNeg);
  add_rule(r, Prim::Abs, kAbs);
  add_rule(r, Prim::Exp, kExp);
  add_rule(r, Prim::Log, kLog);
  add_rule(r, Prim::Log1p, kLog1p);
  add_rule(r, Prim::Expm1, kExpm1);
  add_rule(r, Prim::Sqrt, kSqrt);
  add_rule(r, Prim::Rsqrt, kRsqrt);
  add_rule(r, Prim::Sin, kSin);
  add_rule(r, Prim::Cos, kCos);
  add_rule(r, Prim::Tanh, kTanh);
  add_rule(r, Prim::Logistic, kLogistic);
  add_rule(r, Prim::Erf, kErf);
  // Piecewise constant or boolean: zero derivative, results are constants.
  for (Prim p : {Prim::Sign, Prim::Floor, Prim::Ceil, Prim::LogicalNot}) {
    add_rule(r, p, kConstantRule);
  }
  add_rule(r, Prim::Add, kAdd);
  add_rule(r, Prim::Sub, kSub);
  add_rule(r, Prim::Mul, kMul);
  add_rule(r, Prim::Div, kDiv);
  add_rule(r, Prim::Pow, kPow);
  add_rule(r, Prim::Maximum, kMaximum);
  add_rule(r, Prim::Minimum, kMinimum);
  for (Prim p : {Prim::Eq, Prim::Ne, Prim::Lt, Prim::Le, Prim::Gt, Prim::Ge,
                 Prim::LogicalAnd, Prim::LogicalOr}) {
    add_rule(r, p, kConstantRule);
  }
  add_rule(r, Prim::Where, kWhere);
  add_rule(r, Prim::Cast, kCast);
}

}  // namespace fnx::grad
