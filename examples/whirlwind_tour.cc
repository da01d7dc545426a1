// A whirlwind tour of fnx's function transforms, in C++.
//
// Mirrors the torch.func tutorial "torch.func Whirlwind Tour"
// (https://pytorch.org/tutorials/intermediate/torch_func_tutorial.html):
// grad, vmap, vjp, jvp, jacrev, jacfwd and hessian in a few lines each, in
// the tutorial's order, each result checked against its closed form.
//
// Run: bazel run //examples:whirlwind_tour
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

// torch.diag(v) for a 1-d v.
Tensor diag(const Tensor& v) {
  return v.unsqueeze(1) * eye(v.size(0), v.dtype());
}

}  // namespace

int main() {
  Generator gen(0);
  const DType f64 = DType::Float64;
  bool ok = true;

  // grad: the gradient of a scalar function; it composes with itself.
  const Tensor x = randn({}, f64, &gen);
  ok &= check("grad(sin)(x) vs cos(x)", grad(sin)(x), cos(x));
  ok &= check("grad(grad(sin))(x) vs -sin(x)", grad(grad(sin))(x), -sin(x));

  // grad of a model's loss w.r.t. its weights, and vmap(grad) for
  // per-example gradients (in_dims: weights shared, examples mapped).
  constexpr int64_t kBatch = 64, kFeatures = 5;
  auto model = [](const Tensor& weights, const Tensor& feature_vec) {
    return relu(dot(feature_vec, weights));
  };
  auto compute_loss = [&model](const Tensor& weights, const Tensor& example,
                               const Tensor& target) {
    return square(model(weights, example) - target).mean();
  };
  const Tensor weights = randn({kFeatures}, f64, &gen);
  const Tensor examples = randn({kBatch, kFeatures}, f64, &gen);
  const Tensor targets = randn({kBatch}, f64, &gen);
  const Tensor per_example =
      vmap(grad(compute_loss), {none, 0, 0})(weights, examples, targets);
  // Closed form: 2 (relu(e.w) - t) [e.w > 0] e per example.
  const Tensor z = matmul(examples, weights);
  const Tensor expected_per_example =
      (2.0 * (relu(z) - targets) * cast(z > 0.0, f64)).unsqueeze(1) * examples;
  ok &= check("vmap(grad(loss)) per-example gradients", per_example,
              expected_per_example);

  // vmap: a function written for one example, run on a batch.
  const Tensor batched =
      vmap([&](const Tensor& e) { return model(weights, e); })(examples);
  ok &= check("vmap(model)(examples) vs relu(examples @ w)", batched, relu(z));

  // vjp: the pullback of f at x, applied to a cotangent.
  const Tensor x5 = randn({5}, f64, &gen);
  auto sum_sin = [](const Tensor& v) { return sin(v).sum(); };
  auto [value, vjp_fn] = vjp(sum_sin, x5);
  const auto [vjp_x] = vjp_fn(scalar_tensor(1.0, f64));
  ok &= check("vjp(sum(sin))(1) vs cos(x)", vjp_x, cos(x5));

  // jvp: the pushforward of f at x along a tangent.
  const Tensor scale = from_vector({1.0, 2.0, 3.0, 4.0, 5.0}, {5}, f64);
  auto scale_by = [&scale](const Tensor& v) { return v * scale; };
  const Tensor e0 = from_vector({1.0, 0.0, 0.0, 0.0, 0.0}, {5}, f64);
  const auto [out, jvp_out] = jvp(scale_by, x5, e0);
  ok &= check("jvp(x * [1..5], e0)", jvp_out, e0);

  // jacrev: the full Jacobian by reverse mode; vmap(jacrev) per example;
  // argnums picks the argument (<1>: torch's argnums=1).
  // (grad takes an overloaded op name like `sin` directly; jacrev, jacfwd,
  // vmap, vjp and jvp need a lambda around it.)
  auto sine = [](const Tensor& v) { return sin(v); };
  ok &=
      check("jacrev(sin)(x) vs diag(cos(x))", jacrev(sine)(x5), diag(cos(x5)));
  const Tensor xs = randn({kBatch, 5}, f64, &gen);
  const Tensor batch_jac = vmap(jacrev(sine))(xs);
  std::cout << "vmap(jacrev(sin)) on " << shape_str(xs.shape()) << " gives "
            << shape_str(batch_jac.shape()) << "\n";
  ok &= check("vmap(jacrev(sin))(xs)[7] vs diag(cos(xs[7]))", batch_jac[7],
              diag(cos(xs[7])));
  auto f_xy = [](const Tensor& a, const Tensor& b) { return a + b * b; };
  const Tensor y5 = randn({5}, f64, &gen);
  ok &= check("jacrev<1>(x + y^2) vs diag(2y)", jacrev<1>(f_xy)(x5, y5),
              diag(2.0 * y5));

  // jacfwd: the same Jacobian by forward mode.
  ok &=
      check("jacfwd(sin)(x) vs diag(cos(x))", jacfwd(sine)(x5), diag(cos(x5)));
  ok &= check("jacfwd<1>(x + y^2) vs jacrev<1>", jacfwd<1>(f_xy)(x5, y5),
              jacrev<1>(f_xy)(x5, y5));

  // hessian: jacfwd(jacrev(f)); jacrev(jacrev(f)) gives the same.
  const Tensor h0 = jacrev(jacrev(sum_sin))(x5);
  const Tensor h1 = hessian(sum_sin)(x5);
  ok &= check("hessian(sum(sin)) vs jacrev(jacrev)", h1, h0);
  ok &= check("hessian(sum(sin)) vs diag(-sin(x))", h1, diag(-sin(x5)));

  if (!ok) return 1;
  std::cout << "OK: every transform of the tour gives its closed form\n";
  return 0;
}
