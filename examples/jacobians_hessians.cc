// Jacobians, Hessians, hvp, vhp and batch Jacobians, in C++.
//
// Mirrors the torch.func tutorial "Jacobians, Hessians, hvp, vhp, and more:
// composing function transforms"
// (https://pytorch.org/tutorials/intermediate/jacobians_hessians.html):
//   1. the Jacobian of predict(weight, bias, x) = tanh(linear(x, W, b))
//      w.r.t. x, row by row with vjp, with vmap(vjp_fn), jacrev and jacfwd,
//      all checked against central finite differences;
//   2. Jacobians w.r.t. several arguments (argnums);
//   3. the Hessian: hessian, jacfwd(jacfwd), jacrev(jacrev);
//   4. batch Jacobians and Hessians with vmap(jacrev(...));
//   5. Hessian-vector products: hvp (forward-over-reverse) and vhp
//      (reverse-over-reverse), checked against the full Hessian.
//
// Run: bazel run //examples:jacobians_hessians
#include <cstdint>
#include <iostream>
#include <string>
#include <tuple>
#include <vector>

#include "examples/check.h"
#include "fnx.h"

using namespace fnx;
using fnx_examples::check;

namespace {

// The tutorial's model: one linear layer and a tanh.
Tensor predict(const Tensor& weight, const Tensor& bias, const Tensor& x) {
  return tanh(linear(x, weight, bias));
}

}  // namespace

int main() {
  constexpr int64_t kD = 16;
  Generator gen(0);
  const DType f64 = DType::Float64;  // tight tolerances need float64
  const Tensor weight = randn({kD, kD}, f64, &gen);
  const Tensor bias = randn({kD}, f64, &gen);
  const Tensor x = randn({kD}, f64, &gen);
  bool ok = true;

  // predict as a function of x alone, for vjp / jvp / finite differences.
  auto predict_x = [&](const Tensor& xx) { return predict(weight, bias, xx); };

  // --- 1. The Jacobian w.r.t. x, four ways. ---------------------------------
  std::cout << "1. Jacobian of tanh(linear(x, W, b)) w.r.t. x (" << kD << " x "
            << kD << ")\n";
  // Reference: central finite differences, one column per input element.
  const Tensor basis = eye(kD, f64);  // the unit vectors, as rows
  std::vector<Tensor> columns;
  constexpr double kH = 1e-6;
  for (int64_t j = 0; j < kD; ++j) {
    columns.push_back(
        (predict_x(x + basis[j] * kH) - predict_x(x - basis[j] * kH)) /
        (2 * kH));
  }
  const Tensor jac_fd = stack(columns, 1);

  // The "old way": one vjp per output row (a Python loop over autograd.grad).
  auto [out, vjp_fn] = vjp(predict_x, x);
  std::vector<Tensor> rows;
  for (int64_t i = 0; i < kD; ++i)
    rows.push_back(std::get<0>(vjp_fn(basis[i])));
  const Tensor jac_loop = stack(rows);
  // vmap the pullback over all unit vectors at once: the whole Jacobian.
  const auto [jac_vmap] = vmap(vjp_fn)(basis);
  // jacrev does exactly that for us; jacfwd vmaps jvp over input tangents.
  // <2> is torch's argnums=2: differentiate w.r.t. x.
  const Tensor jac_rev = jacrev<2>(predict)(weight, bias, x);
  const Tensor jac_fwd = jacfwd<2>(predict)(weight, bias, x);
  ok &= check("vjp row loop vs finite differences", jac_loop, jac_fd, 1e-8);
  ok &= check("vmap(vjp_fn) vs vjp row loop", jac_vmap, jac_loop, 1e-12);
  ok &= check("jacrev vs vjp row loop", jac_rev, jac_loop, 1e-12);
  ok &= check("jacfwd vs jacrev", jac_fwd, jac_rev, 1e-12);

  // --- 2. Several arguments at once (argnums=(0, 1)). ----------------------
  std::cout << "2. Jacobians w.r.t. weight and bias\n";
  const auto [jac_weight, jac_bias] = jacrev<0, 1>(predict)(weight, bias, x);
  std::cout << "  d out / d weight: " << shape_str(jac_weight.shape())
            << ", d out / d bias: " << shape_str(jac_bias.shape()) << "\n";
  // Analytically: d out_i / d b_k = (1 - out_i^2) delta_ik, and
  // d out_i / d W_kl = (1 - out_i^2) delta_ik x_l.
  const Tensor dtanh = 1.0 - square(out);
  ok &= check("jacrev w.r.t. bias vs diag(1 - out^2)", jac_bias,
              dtanh.unsqueeze(1) * basis, 1e-12);
  const auto [fwd_weight, fwd_bias] = jacfwd<0, 1>(predict)(weight, bias, x);
  ok &= check("jacfwd vs jacrev w.r.t. weight", fwd_weight, jac_weight, 1e-12);
  ok &= check("jacfwd vs jacrev w.r.t. bias", fwd_bias, jac_bias, 1e-12);
  ok &= check(
      "jacrev w.r.t. weight vs outer(diag, x)", jac_weight,
      (dtanh.unsqueeze(1) * basis).unsqueeze(2) * x.unsqueeze(0).unsqueeze(0),
      1e-12);

  // --- 3. Hessians: a Jacobian of a Jacobian. ------------------------------
  std::cout << "3. Hessian of predict w.r.t. x (" << kD << " x " << kD << " x "
            << kD << ")\n";
  const Tensor hess_api = hessian<2>(predict)(weight, bias, x);
  const Tensor hess_fwdfwd = jacfwd<2>(jacfwd<2>(predict))(weight, bias, x);
  const Tensor hess_revrev = jacrev<2>(jacrev<2>(predict))(weight, bias, x);
  ok &= check("hessian vs jacfwd(jacfwd)", hess_api, hess_fwdfwd, 1e-12);
  ok &= check("hessian vs jacrev(jacrev)", hess_api, hess_revrev, 1e-12);
  // Finite differences of the Jacobian, one input direction at a time.
  std::vector<Tensor> hess_columns;
  for (int64_t j = 0; j < kD; ++j) {
    hess_columns.push_back(
        (jacrev<2>(predict)(weight, bias, x + basis[j] * kH) -
         jacrev<2>(predict)(weight, bias, x - basis[j] * kH)) /
        (2 * kH));
  }
  ok &= check("hessian vs finite differences of jacrev", hess_api,
              stack(hess_columns, 2), 1e-7);

  // --- 4. Batch Jacobians and Hessians. ------------------------------------
  constexpr int64_t kBatch = 8, kDin = 7, kDout = 5;
  std::cout << "4. Batch Jacobian: " << kBatch << " inputs of size " << kDin
            << ", outputs of size " << kDout << "\n";
  const Tensor w2 = randn({kDout, kDin}, f64, &gen);
  const Tensor b2 = randn({kDout}, f64, &gen);
  const Tensor xs = randn({kBatch, kDin}, f64, &gen);
  // One Jacobian per example: vmap over x only.
  const Tensor batch_jac =
      vmap(jacrev<2>(predict), {none, none, 0})(w2, b2, xs);
  // The tutorial's trick: examples are independent, so the Jacobian of the
  // output summed over the batch holds every per-example Jacobian.
  auto predict_summed = [](const Tensor& w, const Tensor& b, const Tensor& x) {
    return predict(w, b, x).sum({0});
  };
  const Tensor batch_jac_trick =
      movedim(jacrev<2>(predict_summed)(w2, b2, xs), 1, 0);
  std::vector<Tensor> per_example;
  for (int64_t i = 0; i < kBatch; ++i) {
    per_example.push_back(jacrev<2>(predict)(w2, b2, xs[i]));
  }
  std::cout << "  vmap(jacrev) gives " << shape_str(batch_jac.shape()) << "\n";
  ok &= check("vmap(jacrev) vs loop of jacrev", batch_jac, stack(per_example),
              1e-12);
  ok &= check("vmap(jacrev) vs jacrev of the summed output", batch_jac,
              batch_jac_trick, 1e-12);
  const Tensor batch_hess =
      vmap(hessian<2>(predict), {none, none, 0})(w2, b2, xs);
  std::vector<Tensor> per_example_hess;
  for (int64_t i = 0; i < kBatch; ++i) {
    per_example_hess.push_back(hessian<2>(predict)(w2, b2, xs[i]));
  }
  std::cout << "  vmap(hessian) gives " << shape_str(batch_hess.shape())
            << "\n";
  ok &= check("vmap(hessian) vs loop of hessian", batch_hess,
              stack(per_example_hess), 1e-12);

  // --- 5. Hessian-vector products without forming the Hessian. -------------
  constexpr int64_t kN = 64;
  std::cout << "5. Hessian-vector products of sum(sin(x)), x of size " << kN
            << "\n";
  auto f = [](const Tensor& v) { return sin(v).sum(); };
  const Tensor x3 = randn({kN}, f64, &gen);
  const Tensor tangent = randn({kN}, f64, &gen);
  // hvp = jvp of grad (forward-over-reverse): the tutorial's recipe, and
  // fnx's named transform for it.
  const Tensor hvp_recipe = std::get<1>(jvp(grad(f), x3, tangent));
  const Tensor hvp_named = hvp(f, x3, tangent);
  // vhp = vjp of grad (reverse-over-reverse); equal for a symmetric Hessian.
  auto [grad_x3, grad_vjp_fn] = vjp(grad(f), x3);
  const Tensor vhp = std::get<0>(grad_vjp_fn(tangent));
  // The reference: the full Hessian (diag(-sin x)) times the vector.
  const Tensor hess_f = hessian(f)(x3);
  const Tensor hess_times_v = matmul(hess_f, tangent);
  ok &= check("hessian(f) vs diag(-sin x)", hess_f,
              -sin(x3).unsqueeze(1) * eye(kN, f64), 1e-12);
  ok &= check("jvp(grad(f)) vs hessian @ v", hvp_recipe, hess_times_v, 1e-12);
  ok &= check("hvp(f) vs hessian @ v", hvp_named, hess_times_v, 1e-12);
  ok &= check("vjp(grad(f)) (vhp) vs hessian @ v", vhp, hess_times_v, 1e-12);

  if (!ok) return 1;
  std::cout << "OK: every Jacobian, Hessian and hvp agrees\n";
  return 0;
}
