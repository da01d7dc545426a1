// VJP rules of Cumsum and Argsort. Cumsum is linear and its transpose is
// the running sum from the other end: x_bar = cumsum(g, reverse = !reverse),
// one primitive call (not total - cumsum(g) + g, which cancels large
// totals). Argsort's integer result is a constant; sort and the ops built
// on it get their gradients through gather.
#include "core/dispatch.h"
#include "transforms/grad/rule_helpers.h"
#include "transforms/grad/vjp_rule.h"

namespace fnx::grad_internal {
namespace {

void cumsum_vjp(const VjpArgs& v, const Tensor& g, std::span<Tensor> grads) {
  if (!v.needs(0)) return;
  ScanAttrs transposed = v.attr<ScanAttrs>();
  transposed.reverse = !transposed.reverse;
  const Tensor inputs[] = {g};
  grads[0] = dispatch(Prim::Cumsum, transposed, inputs);
}
constexpr VjpRule kCumsum{&cumsum_vjp, kSaveNone, false, true};

}  // namespace

void register_sort_rules(Registrar& r) {
  add_rule(r, Prim::Cumsum, kCumsum);
  add_rule(r, Prim::Argsort, kConstantRule);
}

}  // namespace fnx::grad_internal
