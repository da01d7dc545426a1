// JVP rules of the elementwise families: unary (tangent times the
// derivative), broadcasting binary, compare (constants), where (linear in
// its two values) and cast.
#include "core/ops/ops.h"
#include "transforms/common/elementwise_derivatives.h"
#include "transforms/jvp/jvp_rule.h"
#include "transforms/jvp/rule_helpers.h"

namespace fnx::jvp_internal {
namespace {

namespace dv = derivatives;  // the d_* formulas, shared with grad

// ---- cast: the tangent follows to a floating dtype; an integer or bool
// result is a constant ----
Tensor cast_jvp(const JvpArgs& a) {
  const DType to = a.attr<CastAttrs>().dtype;
  return is_floating(to) ? cast(a.tangent(0), to) : Tensor();
}

constexpr JvpRule kNeg = rule<&unary<&dv::d_neg>>();
constexpr JvpRule kAbs = rule<&unary<&dv::d_abs>>();
constexpr JvpRule kExp = rule<&unary<&dv::d_exp>>();
constexpr JvpRule kLog = rule<&unary<&dv::d_log>>();
constexpr JvpRule kLog1p = rule<&unary<&dv::d_log1p>>();
constexpr JvpRule kExpm1 = rule<&unary<&dv::d_expm1>>();
constexpr JvpRule kSqrt = rule<&unary<&dv::d_sqrt>>();
constexpr JvpRule kRsqrt = rule<&unary<&dv::d_rsqrt>>();
constexpr JvpRule kSin = rule<&unary<&dv::d_sin>>();
constexpr JvpRule kCos = rule<&unary<&dv::d_cos>>();
constexpr JvpRule kTanh = rule<&unary<&dv::d_tanh>>();
constexpr JvpRule kLogistic = rule<&unary<&dv::d_logistic>>();
constexpr JvpRule kErf = rule<&unary<&dv::d_erf>>();

constexpr JvpRule kAdd = rule<&binary<&dv::d_pass, &dv::d_pass>>();
constexpr JvpRule kSub = rule<&binary<&dv::d_pass, &dv::d_negate>>();
constexpr JvpRule kMul = rule<&binary<&dv::d_mul_a, &dv::d_mul_b>>();
constexpr JvpRule kDiv = rule<&binary<&dv::d_div_a, &dv::d_div_b>>();
constexpr JvpRule kPow = rule<&binary<&dv::d_pow_a, &dv::d_pow_b>>();
constexpr JvpRule kMaximum = rule<&binary<&dv::d_max_a, &dv::d_max_b>>();
// minimum(a, b): a wins where a < b, which is maximum's term for b.
constexpr JvpRule kMinimum = rule<&binary<&dv::d_max_b, &dv::d_max_a>>();

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

}  // namespace fnx::jvp_internal
