// The empirical Neural Tangent Kernel (NTK), in C++.
//
// Mirrors the torch.func tutorial "Neural Tangent Kernels"
// (https://pytorch.org/tutorials/intermediate/neural_tangent_kernels.html).
// For a network f(params, x) with O outputs, the empirical NTK of two
// inputs is J(x1) J(x2)^T, where J(x) = d f(params, x) / d params is the
// (O x num_params) Jacobian: an (O x O) block per pair of inputs. The
// tutorial computes it two ways, both here and checked against each other
// and against a plain loop:
//   1. Jacobian contraction: vmap(jacrev(f)) over the inputs, then a
//      contraction of the two Jacobians over the parameters ('full',
//      'trace' and 'diagonal' variants);
//   2. NTK-vector products: J(x2) (J(x1)^T v) for every unit vector v, with
//      a vjp followed by a jvp, vmapped over v, x1 and x2 -- the Jacobians
//      are never formed.
//
// Run: bazel run //examples:neural_tangent_kernels
#include <cstdint>
#include <iostream>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "examples/check.h"
#include "fnx.h"

using namespace fnx;
using fnx_examples::check;

namespace {

// The tutorial's CNN, shrunk: conv -> relu -> conv -> relu -> flatten ->
// linear, on 3x6x6 inputs with 10 outputs. float64 for tight checks.
class Cnn : public nn::Module {
 public:
  explicit Cnn(Generator& gen) : Module("Cnn") {
    const nn::Conv2dOptions conv{.dtype = DType::Float64};
    conv1_ = register_module(
        "conv1", std::make_shared<nn::Conv2d>(3, 4, Shape{3, 3}, gen, conv));
    conv2_ = register_module(
        "conv2", std::make_shared<nn::Conv2d>(4, 4, Shape{3, 3}, gen, conv));
    fc_ = register_module(
        "fc",
        std::make_shared<nn::Linear>(
            4 * 2 * 2, 10, gen, nn::LinearOptions{.dtype = DType::Float64}));
  }

  // x: (N, 3, 6, 6) -> (N, 10).
  Tensor forward(const Tensor& x) override {
    Tensor h = relu((*conv1_)(x));  // (N, 4, 4, 4)
    h = relu((*conv2_)(h));         // (N, 4, 2, 2)
    return (*fc_)(flatten(h, 1));   // (N, 10)
  }

 private:
  std::shared_ptr<nn::Conv2d> conv1_, conv2_;
  std::shared_ptr<nn::Linear> fc_;
};

}  // namespace

int main() {
  Generator gen(0);
  Cnn net(gen);
  const Tensor x_train = randn({4, 3, 6, 6}, DType::Float64, &gen);
  const Tensor x_test = randn({3, 3, 6, 6}, DType::Float64, &gen);
  const int64_t n = x_train.size(0), m = x_test.size(0);
  const ParamDict params = net.named_parameters();

  // The network as a function of (params, ONE input): functional_call on a
  // batch of one, the batch dim removed again.
  auto fnet_single = [&net](const ParamDict& p, const Tensor& x) {
    return nn::functional_call(net, p, x.unsqueeze(0)).squeeze(0);
  };

  // --- Method 1: Jacobian contraction. --------------------------------------
  // jacrev w.r.t. the ParamDict gives a ParamDict of Jacobian blocks, each
  // (O, *param shape); vmap over the inputs puts the batch dim first. Each
  // block is flattened to (N, O, F_param).
  auto jacobians = [&](const Tensor& xs) {
    const ParamDict jac = vmap(jacrev(fnet_single), {none, 0})(params, xs);
    std::vector<Tensor> blocks;
    for (const auto& [name, j] : jac) blocks.push_back(flatten(j, 2));
    return blocks;
  };
  const std::vector<Tensor> jac1 = jacobians(x_train);
  const std::vector<Tensor> jac2 = jacobians(x_test);
  const int64_t outputs = jac1[0].size(1);
  // The contractions torch writes with einsum, as matmuls, summed over the
  // parameter blocks:
  //   full:     'Naf,Mbf->NMab'  (N, M, O, O)
  //   trace:    'Naf,Maf->NM'    (N, M)
  //   diagonal: 'Naf,Maf->NMa'   (N, M, O)
  Tensor ntk_full, ntk_trace, ntk_diagonal;
  for (std::size_t k = 0; k < jac1.size(); ++k) {
    const Tensor& j1 = jac1[k];
    const Tensor& j2 = jac2[k];
    const int64_t f = j1.size(2);
    const Tensor full =
        matmul(j1.reshape({n * outputs, f}), j2.reshape({m * outputs, f}).t())
            .reshape({n, outputs, m, outputs})
            .permute({0, 2, 1, 3});
    const Tensor trace =
        matmul(j1.reshape({n, outputs * f}), j2.reshape({m, outputs * f}).t());
    const Tensor diagonal = (j1.unsqueeze(1) * j2.unsqueeze(0)).sum({3});
    ntk_full = k == 0 ? full : ntk_full + full;
    ntk_trace = k == 0 ? trace : ntk_trace + trace;
    ntk_diagonal = k == 0 ? diagonal : ntk_diagonal + diagonal;
  }
  std::cout << "Empirical NTK of a small CNN, " << n << " train x " << m
            << " test inputs, " << outputs << " outputs\n";
  std::cout << "Method 1 (Jacobian contraction): full "
            << shape_str(ntk_full.shape()) << ", trace "
            << shape_str(ntk_trace.shape()) << ", diagonal "
            << shape_str(ntk_diagonal.shape()) << "\n";

  // --- Method 2: NTK-vector products. ---------------------------------------
  // For one pair (x1, x2): the pullback of f(., x1) turns an output vector v
  // into J(x1)^T v (a ParamDict), and the pushforward of f(., x2) along that
  // direction gives J(x2) J(x1)^T v. vmap over all unit vectors v builds the
  // (O x O) block row by row; two more vmaps cover every (x1, x2) pair.
  auto get_ntk = [&](const Tensor& x1, const Tensor& x2) {
    auto func_x1 = [&](const ParamDict& p) { return fnet_single(p, x1); };
    auto func_x2 = [&](const ParamDict& p) { return fnet_single(p, x2); };
    auto [output, vjp_fn] = vjp(func_x1, params);
    auto get_ntk_slice = [&](const Tensor& vec) {
      const auto [vjps] = vjp_fn(vec);                 // J(x1)^T vec
      return std::get<1>(jvp(func_x2, params, vjps));  // J(x2) J(x1)^T vec
    };
    const Tensor basis = eye(output.numel(), DType::Float64);
    return vmap(get_ntk_slice)(basis);  // row a: J(x2) J(x1)^T e_a
  };
  // Rows index x1's outputs and columns x2's: the same (a, b) layout as
  // the full contraction.
  const Tensor ntk_vps =
      vmap(vmap(get_ntk, {none, 0}), {0, none})(x_train, x_test);
  std::cout << "Method 2 (NTK-vector products): " << shape_str(ntk_vps.shape())
            << "\n";

  // --- Checks.
  // -----------------------------------------------------------------
  // Reference: one flat (O x num_params) Jacobian per input, then a matmul
  // per pair -- the definition, with loops.
  auto flat_jacobian = [&](const Tensor& x) {
    const ParamDict jac = jacrev(fnet_single)(params, x);
    std::vector<Tensor> blocks;
    for (const auto& [name, j] : jac) blocks.push_back(flatten(j, 1));
    return cat(blocks, 1);  // (O, num_params)
  };
  std::vector<Tensor> rows;
  for (int64_t i = 0; i < n; ++i) {
    const Tensor ji = flat_jacobian(x_train[i]);
    std::vector<Tensor> row;
    for (int64_t j = 0; j < m; ++j) {
      row.push_back(matmul(ji, flat_jacobian(x_test[j]).t()));
    }
    rows.push_back(stack(row));
  }
  const Tensor ntk_loop = stack(rows);
  const Tensor identity = eye(outputs, DType::Float64);
  // Relative tolerance: NTK entries here are O(1..100).
  const double tol = 1e-10 * amax(abs(ntk_loop)).item<double>();
  bool ok = true;
  ok &= check("contraction (full) vs loop", ntk_full, ntk_loop, tol);
  ok &= check("NTK-vector products vs contraction (full)", ntk_vps, ntk_full,
              tol);
  ok &= check("trace vs trace of full", ntk_trace,
              (ntk_full * identity).sum({2, 3}), tol);
  ok &= check("diagonal vs diagonal of full", ntk_diagonal,
              (ntk_full * identity).sum({3}), tol);

  if (!ok) return 1;
  std::cout << "OK: both NTK methods agree with the definition\n";
  return 0;
}
