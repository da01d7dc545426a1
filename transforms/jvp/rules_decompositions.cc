// JVP rules of the matrix decompositions (cholesky, triangular_solve, lu,
// qr, eigh, svd; the formulas are in transforms/common/linalg_derivatives.h,
// next to their reverse-mode twins). assert's result is a constant.
#include "transforms/common/linalg_derivatives.h"
#include "transforms/jvp/jvp_rule.h"
#include "transforms/jvp/rule_helpers.h"

namespace fnx::jvp_internal {
namespace {

namespace ld = linalg_derivatives;

const LinalgAttrs& attrs_of(const JvpArgs& a) { return a.attr<LinalgAttrs>(); }

Tensor cholesky_jvp(const JvpArgs& a) {
  return ld::cholesky_jvp(attrs_of(a), a.tangent(0), a.out);
}

Tensor triangular_solve_jvp(const JvpArgs& a) {
  return ld::triangular_solve_jvp(attrs_of(a), a.input(0),
                                  a.has(0) ? a.tangent(0) : Tensor(),
                                  a.has(1) ? a.tangent(1) : Tensor(), a.out);
}

Tensor lu_jvp(const JvpArgs& a) {
  return ld::lu_jvp(a.tangent(0), a.input(0), a.out);
}

Tensor qr_jvp(const JvpArgs& a) {
  return ld::qr_jvp(attrs_of(a), a.tangent(0), a.input(0), a.out);
}

Tensor eigh_jvp(const JvpArgs& a) {
  return ld::eigh_jvp(attrs_of(a), a.tangent(0), a.input(0), a.out);
}

Tensor svd_jvp(const JvpArgs& a) {
  return ld::svd_jvp(attrs_of(a), a.tangent(0), a.input(0), a.out);
}

constexpr JvpRule kCholesky = rule<&cholesky_jvp>();
constexpr JvpRule kTriangularSolve = rule<&triangular_solve_jvp>();
constexpr JvpRule kLu = rule<&lu_jvp>();
constexpr JvpRule kQr = rule<&qr_jvp>();
constexpr JvpRule kEigh = rule<&eigh_jvp>();
constexpr JvpRule kSvd = rule<&svd_jvp>();

}  // namespace

void register_decomposition_rules(Registrar& r) {
  add_rule(r, Prim::Cholesky, kCholesky);
  add_rule(r, Prim::TriangularSolve, kTriangularSolve);
  add_rule(r, Prim::Lu, kLu);
  add_rule(r, Prim::Qr, kQr);
  add_rule(r, Prim::Eigh, kEigh);
  add_rule(r, Prim::Svd, kSvd);
  add_rule(r, Prim::Assert, kConstantRule);
}

}  // namespace fnx::jvp_internal
