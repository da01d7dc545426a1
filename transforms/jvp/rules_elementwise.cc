// JVP rules of the elementwise families: unary (tangent times the
// derivative), broadcasting binary, compare (constants), where (linear in
// its two values) and cast. The unary, binary and constant primitives come
// from the table grad registers from too
// (transforms/common/elementwise_table.h).
#include <iterator>
#include <utility>

#include "core/ops/ops.h"
#include "transforms/common/elementwise_table.h"
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

template <std::size_t K>
constexpr JvpRule kUnaryRule = rule<&unary<dv::kUnary[K].d>>();
template <std::size_t K>
constexpr JvpRule kBinaryRule =
    rule<&binary<dv::kBinary[K].da, dv::kBinary[K].db>>();

template <std::size_t... K>
void add_unary_rules(Registrar& r, std::index_sequence<K...>) {
  (add_rule(r, dv::kUnary[K].prim, kUnaryRule<K>), ...);
}
template <std::size_t... K>
void add_binary_rules(Registrar& r, std::index_sequence<K...>) {
  (add_rule(r, dv::kBinary[K].prim, kBinaryRule<K>), ...);
}

// where(cond, a, b) is linear in a and b; cond is passed as it is.
constexpr JvpRule kWhere = rule<&linear<kArg1 | kArg2>>();
constexpr JvpRule kCast = rule<&cast_jvp>();

}  // namespace

void register_elementwise_rules(Registrar& r) {
  add_unary_rules(r, std::make_index_sequence<std::size(dv::kUnary)>());
  add_binary_rules(r, std::make_index_sequence<std::size(dv::kBinary)>());
  for (Prim p : dv::kConstant) add_rule(r, p, kConstantRule);
  add_rule(r, Prim::Where, kWhere);
  add_rule(r, Prim::Cast, kCast);
}

}  // namespace fnx::jvp_internal
