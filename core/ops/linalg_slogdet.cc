// slogdet as one custom function (core/custom_function.h) with its own
// derivative rules, so det and logdet (composites over it) have them too.
//
// Through the LU's reverse rule (triangles, permutation, two solves and
// their own derivatives) a gradient of log|det A| costs some forty small
// ops; the closed form is one solve against the forward's factors:
//   d log|det A| = trace(A^-1 dA),  so  A's cotangent is g A^-T,
// and sign is piecewise constant (no derivative). bwd reads the saved LU
// factors; jvp is JAX's trace(solve(A, dA)) over one factorization. Both
// are written in public ops, so they are differentiated again (hessian,
// grad of grad: through the LU's rules one level out) and batched. The
// vmap rule moves the batch dim to the front and calls slogdet one level
// down: the LU primitive takes leading batch dims.
//
// A singular A has a zero pivot: logabsdet is -inf and the solves divide by
// it, so the gradient is not finite, as torch's (which solves with the same
// factors).
#include <limits>
#include <memory>
#include <utility>
#include <vector>

#include "core/custom_function.h"
#include "core/ops/linalg_internal.h"
#include "core/ops/ops.h"

namespace fnx::linalg {
using namespace linalg_internal;
namespace {

// sign and log|det A| from P A = L U: det A = det(P) prod(diag U), det(P)
// = (-1)^(row swaps), so the sign is (-1)^(swaps + negative pivots), or 0
// with a zero pivot. The parity is counted once, over both; a zero pivot
// is read off log|det A| = -inf (log 0; finite pivots' logs never sum to
// it), and a 0x0 matrix has sign 1 and log|det| 0 (sums, not products, so
// empty reductions have their identity).
SlogdetResult from_factors(const LuFactorResult& f, DType dtype) {
  const Tensor d = diagonal(f.LU);
  const int64_t n = f.pivots.shape().back();
  const Tensor swapped =
      ne(f.pivots, arange(1, n + 1, 1, DType::Int32, f.pivots.device()));
  const Tensor flips = cast(sum(cast(d < 0.0, DType::Int32), {-1}) +
                                sum(cast(swapped, DType::Int32), {-1}),
                            dtype);
  const Tensor parity = flips - 2.0 * floor(flips * 0.5);
  const Tensor logabsdet = sum(log(abs(d)), {-1});
  const Tensor minus_inf = scalar_tensor(
      -std::numeric_limits<double>::infinity(), dtype, logabsdet.device());
  const Tensor nonsingular = cast(ne(logabsdet, minus_inf), dtype);
  return {(1.0 - 2.0 * parity) * nonsingular, logabsdet};
}

TensorList outputs_of(const SlogdetResult& r) { return {r.sign, r.logabsdet}; }

std::shared_ptr<const CustomFunction> make_slogdet() {
  auto fn = std::make_shared<CustomFunction>();
  fn->name = "linalg.slogdet";
  // compile records the LU and the sign's ops, as for any composite: the
  // graph can be saved, and is differentiated through the LU's rules.
  fn->compile_inline = true;
  fn->fwd = [](std::span<const Tensor> in) {
    return outputs_of(from_factors(lu_factor(in[0]), in[0].dtype()));
  };
  // Residuals: LU and the permutation (what a solve with them reads).
  fn->fwd_with_residuals = [](std::span<const Tensor> in) {
    const LuFactorResult f = lu_factor(in[0]);
    return std::make_pair(outputs_of(from_factors(f, in[0].dtype())),
                          TensorList{f.LU, f.permutation});
  };
  fn->bwd = [](std::span<const Tensor> residuals,
               std::span<const Tensor> cts) -> TensorList {
    const Tensor& g = cts[1];  // sign's cotangent meets a zero derivative
    if (!g.defined()) return {Tensor()};
    // g A^-T = (g A^-1)^T, and A^-1 = U^-1 L^-1 P: the two triangular
    // solves of g P, whose row i holds g at column perm[i] (one scatter
    // into zeros: no identity to gather or compare against, no product
    // after), and the transpose is a view.
    const Tensor index = unsqueeze(residuals[1], -1);
    const Tensor gp =
        scatter_add(zeros_like(residuals[0]), -1, index,
                    expand(unsqueeze(unsqueeze(g, -1), -1), index.shape()));
    return {transpose(solve_pivoted(residuals[0], gp), -1, -2)};
  };
  fn->jvp = [](std::span<const Tensor> primals,
               std::span<const Tensor> tangents) {
    const LuFactorResult f = lu_factor(primals[0]);
    // An undefined tangent is sign's zero.
    return std::make_pair(
        outputs_of(from_factors(f, primals[0].dtype())),
        TensorList{Tensor(), trace(lu_solve(f, tangents[0]))});
  };
  fn->vmap = [](int64_t, std::span<const int64_t> in_dims,
                std::span<const Tensor> in) {
    const bool batched = in_dims[0] >= 0;
    const SlogdetResult r =
        slogdet(batched ? movedim(in[0], in_dims[0], 0) : in[0]);
    const int64_t out = batched ? 0 : -1;
    return std::make_pair(outputs_of(r), std::vector<int64_t>{out, out});
  };
  return fn;
}

}  // namespace

SlogdetResult slogdet(const Tensor& a) {
  check_input("slogdet", a, true);
  static const std::shared_ptr<const CustomFunction> fn = make_slogdet();
  const TensorList out = custom_call(fn, {&a, 1});
  return {out[0], out[1]};
}

}  // namespace fnx::linalg
