// JVP rules of the elementwise families: unary (tangent times the
// derivative), broadcasting binary, compare (constants), where (linear in
// its two values) and cast.
#include <numbers>

#include "core/ops/ops.h"
#include "transforms/jvp/jvp_rule.h"
#include "transforms/jvp/rule_helpers.h"

namespace fnx::jvp {
namespace {

// ---- unary: D(t, x, y) with y the primal output ----

Tensor d_neg(const Tensor& t, const Tensor&, const Tensor&) { return neg(t); }
Tensor d_abs(const Tensor& t, const Tensor& x, const Tensor&) {
  return t * sign(x);
}
Tensor d_exp(const Tensor& t, const Tensor&, const Tensor& y) { return t * y; }
Tensor d_log(const Tensor& t, const Tensor& x, const Tensor&) { return t / x; }
Tensor d_log1p(const Tensor& t, const Tensor& x, const Tensor&) {
  return t / (x + 1.0);
}
Tensor d_expm1(const Tensor& t, const Tensor&, const Tensor& y) {
  return t * (y + 1.0);
}
Tensor d_sqrt(const Tensor& t, const Tensor&, const Tensor& y) {
  return t / (y * 2.0);
}
// d/dx x^(-1/2) = -1/2 x^(-3/2) = -1/2 y^3.
Tensor d_rsqrt(const Tensor& t, const Tensor&, const Tensor& y) {
  return (t * -0.5) * (y * y * y);
}
Tensor d_sin(const Tensor& t, const Tensor& x, const Tensor&) {
  return t * cos(x);
}
Tensor d_cos(const Tensor& t, const Tensor& x, const Tensor&) {
  return t * neg(sin(x));
}
Tensor d_tanh(const Tensor& t, const Tensor&, const Tensor& y) {
  return t * (1.0 - y * y);
}
Tensor d_logistic(const Tensor& t, const Tensor&, const Tensor& y) {
  return t * (y * (1.0 - y));
}
// d/dx erf(x) = 2 / sqrt(pi) exp(-x^2).
Tensor d_erf(const Tensor& t, const Tensor& x, const Tensor&) {
  return t * (exp(neg(x * x)) * (2.0 * std::numbers::inv_sqrtpi));
}

// ---- binary: D(t, a, b, y) is one argument's term ----

Tensor d_pass(const Tensor& t, const Tensor&, const Tensor&, const Tensor&) {
  return t;
}
Tensor d_negate(const Tensor& t, const Tensor&, const Tensor&, const Tensor&) {
  return neg(t);
}
Tensor d_mul_a(const Tensor& t, const Tensor&, const Tensor& b, const Tensor&) {
  return t * b;
}
Tensor d_mul_b(const Tensor& t, const Tensor& a, const Tensor&, const Tensor&) {
  return a * t;
}
Tensor d_div_a(const Tensor& t, const Tensor&, const Tensor& b, const Tensor&) {
  return t / b;
}
// d(a/b)/db = -a/b^2 = -y/b.
Tensor d_div_b(const Tensor& t, const Tensor&, const Tensor& b,
               const Tensor& y) {
  return neg(t) * y / b;
}
// As torch: 0 where the exponent is 0 (so 0^0 has derivative 0, not NaN).
Tensor d_pow_a(const Tensor& t, const Tensor& a, const Tensor& b,
               const Tensor&) {
  Tensor d = t * (b * pow(a, b - 1.0));
  return where(eq(b, scalar_like(0, b)), scalar_like(0, d), d);
}
// As torch: 0 where a == 0 and b >= 0 (instead of 0 * log 0 = NaN).
Tensor d_pow_b(const Tensor& t, const Tensor& a, const Tensor& b,
               const Tensor& y) {
  Tensor d = t * (y * log(a));
  Tensor zero_base =
      logical_and(eq(a, scalar_like(0, a)), ge(b, scalar_like(0, b)));
  return where(zero_base, scalar_like(0, d), d);
}
// maximum / minimum: the winner's tangent; ties take the mean of both
// (torch's convention, the transpose of grad's even split).
Tensor share(const Tensor& win, const Tensor& tie, const Tensor& t) {
  return t * (cast(win, t.dtype()) + cast(tie, t.dtype()) * 0.5);
}
Tensor d_max_a(const Tensor& t, const Tensor& a, const Tensor& b,
               const Tensor&) {
  return share(gt(a, b), eq(a, b), t);
}
Tensor d_max_b(const Tensor& t, const Tensor& a, const Tensor& b,
               const Tensor&) {
  return share(lt(a, b), eq(a, b), t);
}

// ---- cast: the tangent follows to a floating dtype; an integer or bool
// result is a constant ----
Tensor cast_jvp(const JvpArgs& a) {
  const DType to = a.attr<CastAttrs>().dtype;
  return is_floating(to) ? cast(a.tangent(0), to) : Tensor();
}

constexpr JvpRule kNeg = rule<&unary<&d_neg>>();
constexpr JvpRule kAbs = rule<&unary<&d_abs>>();
constexpr JvpRule kExp = rule<&unary<&d_exp>>();
constexpr JvpRule kLog = rule<&unary<&d_log>>();
constexpr JvpRule kLog1p = rule<&unary<&d_log1p>>();
constexpr JvpRule kExpm1 = rule<&unary<&d_expm1>>();
constexpr JvpRule kSqrt = rule<&unary<&d_sqrt>>();
constexpr JvpRule kRsqrt = rule<&unary<&d_rsqrt>>();
constexpr JvpRule kSin = rule<&unary<&d_sin>>();
constexpr JvpRule kCos = rule<&unary<&d_cos>>();
constexpr JvpRule kTanh = rule<&unary<&d_tanh>>();
constexpr JvpRule kLogistic = rule<&unary<&d_logistic>>();
constexpr JvpRule kErf = rule<&unary<&d_erf>>();

constexpr JvpRule kAdd = rule<&binary<&d_pass, &d_pass>>();
constexpr JvpRule kSub = rule<&binary<&d_pass, &d_negate>>();
constexpr JvpRule kMul = rule<&binary<&d_mul_a, &d_mul_b>>();
constexpr JvpRule kDiv = rule<&binary<&d_div_a, &d_div_b>>();
constexpr JvpRule kPow = rule<&binary<&d_pow_a, &d_pow_b>>();
constexpr JvpRule kMaximum = rule<&binary<&d_max_a, &d_max_b>>();
// minimum(a, b): a wins where a < b, which is maximum's term for b.
constexpr JvpRule kMinimum = rule<&binary<&d_max_b, &d_max_a>>();

// where(cond, a, b) is linear in a and b; cond is passed as it is.
constexpr JvpRule kWhere = rule<&linear<kArg1 | kArg2>>();
constexpr JvpRule kCast = rule<&cast_jvp>();

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

}  // namespace fnx::jvp
