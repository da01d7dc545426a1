// VJP rules of the elementwise families: unary, broadcasting binary (with
// sum-to-shape for broadcast operands), compare, where and cast.
#include "core/ops/ops.h"
#include "transforms/common/elementwise_derivatives.h"
#include "transforms/grad/rule_helpers.h"
#include "transforms/grad/vjp_rule.h"

namespace fnx::grad_internal {
namespace {

namespace dv = derivatives;  // the d_* formulas, shared with jvp

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

constexpr VjpRule kNeg = unary_rule<&dv::d_neg>(kSaveNone, false);
constexpr VjpRule kAbs = unary_rule<&dv::d_abs>(kSave0, false);
constexpr VjpRule kExp = unary_rule<&dv::d_exp>(kSaveNone, true);
constexpr VjpRule kLog = unary_rule<&dv::d_log>(kSave0, false);
constexpr VjpRule kLog1p = unary_rule<&dv::d_log1p>(kSave0, false);
constexpr VjpRule kExpm1 = unary_rule<&dv::d_expm1>(kSaveNone, true);
constexpr VjpRule kSqrt = unary_rule<&dv::d_sqrt>(kSaveNone, true);
constexpr VjpRule kRsqrt = unary_rule<&dv::d_rsqrt>(kSaveNone, true);
constexpr VjpRule kSin = unary_rule<&dv::d_sin>(kSave0, false);
constexpr VjpRule kCos = unary_rule<&dv::d_cos>(kSave0, false);
constexpr VjpRule kTanh = unary_rule<&dv::d_tanh>(kSaveNone, true);
constexpr VjpRule kLogistic = unary_rule<&dv::d_logistic>(kSaveNone, true);
constexpr VjpRule kErf = unary_rule<&dv::d_erf>(kSave0, false);

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

constexpr VjpRule kAdd = binary_rule<&dv::d_pass, &dv::d_pass>(kSaveNone, false);
constexpr VjpRule kSub = binary_rule<&dv::d_pass, &dv::d_negate>(kSaveNone, false);
constexpr VjpRule kMul =
    binary_rule<&dv::d_mul_a, &dv::d_mul_b>(kSave0 | kSave1, false);
constexpr VjpRule kDiv =
    binary_rule<&dv::d_div_a, &dv::d_div_b>(kSave0 | kSave1, false);
constexpr VjpRule kPow = binary_rule<&dv::d_pow_a, &dv::d_pow_b>(kSave0 | kSave1, true);
constexpr VjpRule kMaximum =
    binary_rule<&dv::d_max_a, &dv::d_max_b>(kSave0 | kSave1, false);
// minimum(a, b): a wins where a < b, which is maximum's rule for b.
constexpr VjpRule kMinimum =
    binary_rule<&dv::d_max_b, &dv::d_max_a>(kSave0 | kSave1, false);

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

}  // namespace fnx::grad_internal
