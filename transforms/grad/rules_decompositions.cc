// VJP rules of the matrix decompositions (cholesky, triangular_solve, lu,
// qr, eigh, svd; the formulas are in transforms/common/linalg_derivatives.h,
// next to their forward-mode twins) and of assert, whose result is a
// constant.
#include "transforms/common/linalg_derivatives.h"
#include "transforms/grad/vjp_rule.h"

namespace fnx::grad_internal {
namespace {

namespace ld = linalg_derivatives;

const LinalgAttrs& attrs_of(const VjpArgs& v) { return v.attr<LinalgAttrs>(); }

void cholesky_vjp(const VjpArgs& v, const Tensor& g, std::span<Tensor> grads) {
  if (v.needs(0)) grads[0] = ld::cholesky_vjp(attrs_of(v), g, v.output);
}

void triangular_solve_vjp(const VjpArgs& v, const Tensor& g,
                          std::span<Tensor> grads) {
  const ld::SolveCotangents c = ld::triangular_solve_vjp(
      attrs_of(v), v.input(0), g, v.output, v.needs(0));
  if (v.needs(0)) grads[0] = c.a;
  if (v.needs(1)) grads[1] = c.b;
}

void lu_vjp(const VjpArgs& v, const Tensor& g, std::span<Tensor> grads) {
  if (v.needs(0)) grads[0] = ld::lu_vjp(g, v.meta[0].shape, v.output);
}

void qr_vjp(const VjpArgs& v, const Tensor& g, std::span<Tensor> grads) {
  if (v.needs(0)) grads[0] = ld::qr_vjp(attrs_of(v), g, v.input(0), v.output);
}

void eigh_vjp(const VjpArgs& v, const Tensor& g, std::span<Tensor> grads) {
  if (v.needs(0))
    grads[0] = ld::eigh_vjp(attrs_of(v), g, v.meta[0].shape, v.output);
}

void svd_vjp(const VjpArgs& v, const Tensor& g, std::span<Tensor> grads) {
  if (v.needs(0))
    grads[0] = ld::svd_vjp(attrs_of(v), g, v.meta[0].shape, v.output);
}

// The decompositions keep their result; triangular_solve and qr (whose
// wide case reads the trailing columns) keep the matrix too.
constexpr VjpRule kCholesky{&cholesky_vjp, kSaveNone, true, true};
constexpr VjpRule kTriangularSolve{&triangular_solve_vjp, kSave0, true, true};
constexpr VjpRule kLu{&lu_vjp, kSaveNone, true, true};
constexpr VjpRule kQr{&qr_vjp, kSave0, true, true};
constexpr VjpRule kEigh{&eigh_vjp, kSaveNone, true, true};
constexpr VjpRule kSvd{&svd_vjp, kSaveNone, true, true};

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

}  // namespace fnx::grad_internal
