// JVP rules of the Scan and Sort primitives: Cumsum is linear (the same
// running sum of the tangent); Cumprod and Logcumsumexp use the formulas of
// transforms/common/scan_derivatives.h; the integer results (Argsort,
// CummaxIndex, CumminIndex) are constants (sort, cummax, cummin and the ops
// built on them differentiate through gather).
#include "transforms/common/scan_derivatives.h"
#include "transforms/jvp/jvp_rule.h"
#include "transforms/jvp/rule_helpers.h"

namespace fnx::jvp_internal {
namespace {

namespace sd = scan_derivatives;

constexpr JvpRule kCumsum = rule<&linear<kArg0>>();

Tensor cumprod_jvp(const JvpArgs& a) {
  return sd::cumprod_jvp(a.input(0), a.out, a.tangent(0), a.attr<ScanAttrs>());
}

Tensor logcumsumexp_jvp(const JvpArgs& a) {
  return sd::logcumsumexp_jvp(a.input(0), a.out, a.tangent(0),
                              a.attr<ScanAttrs>());
}

constexpr JvpRule kCumprod = rule<&cumprod_jvp>();
constexpr JvpRule kLogcumsumexp = rule<&logcumsumexp_jvp>();

}  // namespace

void register_sort_rules(Registrar& r) {
  add_rule(r, Prim::Cumsum, kCumsum);
  add_rule(r, Prim::Cumprod, kCumprod);
  add_rule(r, Prim::Logcumsumexp, kLogcumsumexp);
  add_rule(r, Prim::CummaxIndex, kConstantRule);
  add_rule(r, Prim::CumminIndex, kConstantRule);
  add_rule(r, Prim::Argsort, kConstantRule);
}

}  // namespace fnx::jvp_internal
