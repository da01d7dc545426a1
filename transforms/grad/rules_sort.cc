// VJP rules of the Scan and Sort primitives. Cumsum is linear and its
// transpose is the running sum from the other end: x_bar = cumsum(g,
// reverse = !reverse), one primitive call (not total - cumsum(g) + g, which
// cancels large totals). Cumprod and Logcumsumexp: the formulas of
// transforms/common/scan_derivatives.h (exact with zeros; stable). The
// integer results (Argsort, CummaxIndex, CumminIndex) are constants; sort,
// cummax, cummin and the ops built on them get their gradients through
// gather.
#include "core/dispatch.h"
#include "transforms/common/scan_derivatives.h"
#include "transforms/grad/rule_helpers.h"
#include "transforms/grad/vjp_rule.h"

namespace fnx::grad_internal {
namespace {

namespace sd = scan_derivatives;

void cumsum_vjp(const VjpArgs& v, const Tensor& g, std::span<Tensor> grads) {
  if (!v.needs(0)) return;
  grads[0] = sd::scan(Prim::Cumsum, g, v.attr<ScanAttrs>(), /*opposite=*/true);
}
constexpr VjpRule kCumsum{&cumsum_vjp, kSaveNone, false, true};

void cumprod_vjp(const VjpArgs& v, const Tensor& g, std::span<Tensor> grads) {
  if (!v.needs(0)) return;
  grads[0] = sd::cumprod_vjp(v.input(0), v.output, g, v.attr<ScanAttrs>());
}
constexpr VjpRule kCumprod{&cumprod_vjp, kSave0, true, true};

void logcumsumexp_vjp(const VjpArgs& v, const Tensor& g,
                      std::span<Tensor> grads) {
  if (!v.needs(0)) return;
  grads[0] = sd::logcumsumexp_vjp(v.input(0), v.output, g, v.attr<ScanAttrs>());
}
constexpr VjpRule kLogcumsumexp{&logcumsumexp_vjp, kSave0, true, true};

}  // namespace

void register_sort_rules(Registrar& r) {
  add_rule(r, Prim::Cumsum, kCumsum);
  add_rule(r, Prim::Cumprod, kCumprod);
  add_rule(r, Prim::Logcumsumexp, kLogcumsumexp);
  add_rule(r, Prim::CummaxIndex, kConstantRule);
  add_rule(r, Prim::CumminIndex, kConstantRule);
  add_rule(r, Prim::Argsort, kConstantRule);
}

}  // namespace fnx::grad_internal
