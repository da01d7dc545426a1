// Derivatives of the matrix decompositions: reverse and forward mode of
// every public decomposition against central finite differences, the
// repeated-eigenvalue cases (values-only losses and rotation-invariant
// losses are finite and exact; a basis-dependent loss is an fnx::Error
// naming the example, unless a tolerance is set), and compositions:
// vmap(grad(logdet)), the Hessian of a Gaussian-process negative
// log-likelihood, jacfwd(jacrev) against jacrev(jacrev).
#include <cmath>
#include <functional>
#include <vector>

#include "core/ops/ops.h"
#include "gtest/gtest.h"
#include "tests/testing/transform_test_util.h"
#include "transforms/grad/grad.h"
#include "transforms/jacobians/hessian.h"
#include "transforms/jacobians/jacfwd.h"
#include "transforms/jacobians/jacrev.h"
#include "transforms/jvp/jvp.h"
#include "transforms/vmap/vmap.h"

namespace fnx {
namespace {

using testing::close;
using testing::f64;
using testing::throws_with;
using Fn = std::function<Tensor(const Tensor&)>;

Tensor mT(const Tensor& x) { return transpose(x, -1, -2); }

Tensor random64(const Shape& shape, uint64_t seed) {
  Generator g(seed);
  return randn(shape, DType::Float64, &g);
}

// Checks grad of sum(f(x) * w) and jvp of f along t against central
// differences of f.
void check_derivatives(const Fn& f, const Tensor& x, double tol = 1e-6) {
  const Tensor y = f(x);
  const Tensor w = random64(y.shape(), 7);
  const Tensor t = random64(x.shape(), 8);
  const double h = 1e-6;
  auto loss = [&](const Tensor& v) { return sum(f(v) * w); };
  const Tensor g = grad(loss)(x);
  // <grad, t> against the directional difference of the loss.
  const Tensor fd_dir = (f(x + h * t) - f(x - h * t)) / (2 * h);
  const double fd_loss = sum(fd_dir * w).item<double>();
  EXPECT_NEAR(sum(g * t).item<double>(), fd_loss,
              tol * (1 + std::abs(fd_loss)));
  auto [y2, ty] = jvp(f, x, t);
  EXPECT_TRUE(close(y2, y, 1e-12, 1e-12));
  EXPECT_TRUE(close(ty, fd_dir, tol * 10, tol * 10));
}

Tensor spd(const Tensor& x) {
  const int64_t n = x.shape().back();
  return matmul(x, mT(x)) + static_cast<double>(n) * eye(n, DType::Float64);
}

TEST(DecompositionDerivatives, Cholesky) {
  const Tensor x = random64({2, 4, 4}, 1);
  for (bool upper : {false, true}) {
    check_derivatives(
        [upper](const Tensor& v) { return linalg::cholesky(spd(v), upper); },
        x);
  }
  // Only the read triangle matters: the gradient of the other is zero.
  const Tensor a = spd(random64({3, 3}, 2));
  const Tensor g = grad([](const Tensor& m) {
    return sum(linalg::cholesky(m) * linalg::cholesky(m));
  })(a);
  EXPECT_TRUE(close(triu(g, 1), zeros({3, 3}, DType::Float64)));
}

TEST(DecompositionDerivatives, TriangularSolveEveryOption) {
  const Tensor a = random64({2, 4, 4}, 3);
  const Tensor b_left = random64({2, 4, 3}, 4);
  const Tensor b_right = random64({2, 3, 4}, 5);
  for (int mask = 0; mask < 16; ++mask) {
    linalg::TriangularSolveOptions o;
    o.upper = mask & 1;
    o.left = mask & 2;
    o.transpose = mask & 4;
    o.unit_diagonal = mask & 8;
    SCOPED_TRACE(mask);
    const Tensor b = o.left ? b_left : b_right;
    const Tensor well = a + 5.0 * eye(4, DType::Float64);
    check_derivatives(
        [&](const Tensor& m) { return linalg::solve_triangular(m, b, o); },
        well);
    check_derivatives(
        [&](const Tensor& rhs) {
          return linalg::solve_triangular(well, rhs, o);
        },
        b);
  }
}

TEST(DecompositionDerivatives, Lu) {
  const Tensor x = random64({2, 4, 4}, 6);
  check_derivatives([](const Tensor& v) { return linalg::lu_factor(v).LU; }, x);
  const Tensor b = random64({2, 4, 2}, 7);
  check_derivatives([&](const Tensor& v) { return linalg::solve(v, b); }, x);
  check_derivatives([](const Tensor& v) { return linalg::det(v); }, x);
  check_derivatives([](const Tensor& v) { return linalg::inv(v); }, x);
}

TEST(DecompositionDerivatives, QrTallSquareWide) {
  for (const Shape& shape : {Shape{5, 3}, Shape{4, 4}, Shape{3, 5}}) {
    SCOPED_TRACE(shape_str(shape));
    const Tensor x = random64(shape, 9);
    check_derivatives(
        [](const Tensor& v) {
          const linalg::QrResult r = linalg::qr(v);
          return cat({r.Q.reshape({-1}), r.R.reshape({-1})});
        },
        x);
  }
  check_derivatives(
      [](const Tensor& v) {
        const linalg::QrResult r = linalg::qr(v, linalg::QrMode::kComplete);
        return cat({r.Q.reshape({-1}), r.R.reshape({-1})});
      },
      random64({4, 4}, 10));
  EXPECT_TRUE(throws_with(
      [] {
        grad([](const Tensor& v) {
          return sum(linalg::qr(v, linalg::QrMode::kComplete).Q);
        })(random64({4, 2}, 11));
      },
      {"[qr]", "complete", "kReduced"}));
}

// Symmetric with well separated eigenvalues 0, 3, 6, ...
Tensor separated(const Tensor& x) {
  const int64_t n = x.shape().back();
  const Tensor spread = diag_embed(3.0 * arange(n, DType::Float64));
  return 0.3 * (x + mT(x)) + spread;
}

TEST(DecompositionDerivatives, Eigh) {
  const Tensor x = random64({2, 4, 4}, 12);
  check_derivatives(
      [](const Tensor& v) {
        const linalg::EighResult r = linalg::eigh(separated(v));
        return cat({r.eigenvalues.reshape({-1}), r.eigenvectors.reshape({-1})});
      },
      x);
  check_derivatives(
      [](const Tensor& v) {
        linalg::EighOptions o;
        o.upper = true;
        return linalg::eigh(separated(v), o).eigenvectors;
      },
      x);
}

TEST(DecompositionDerivatives, SvdTallSquareWide) {
  for (const Shape& shape : {Shape{5, 3}, Shape{4, 4}, Shape{3, 5}}) {
    SCOPED_TRACE(shape_str(shape));
    const Tensor x = random64(shape, 13);
    linalg::SvdOptions o;
    o.full_matrices = false;
    check_derivatives(
        [o](const Tensor& v) {
          const linalg::SvdResult r = linalg::svd(v, o);
          return cat({r.U.reshape({-1}), r.S, r.Vh.reshape({-1})});
        },
        x);
    check_derivatives([](const Tensor& v) { return linalg::pinv(v); }, x);
  }
}

// I + u u^T: eigenvalue 1 repeated n - 1 times, exactly.
Tensor identity_plus_rank_one(const Tensor& u) {
  return eye(u.numel(), DType::Float64) + outer(u, u);
}

TEST(RepeatedEigenvalues, ValuesOnlyLossIsFiniteAndExact) {
  const Tensor u = f64({1.0, 2.0, 2.0});  // |u|^2 = 9: eigenvalues 1, 1, 10
  const Tensor s = identity_plus_rank_one(u);
  // loss(B) = sum(exp(eigvalsh(B + B^T))) at B = S / 2; its gradient is
  // 2 expm(S) (expm(S) = e (I - P) + e^10 P, P = u u^T / 9).
  const Tensor b = 0.5 * s;
  const Tensor g = grad(
      [](const Tensor& m) { return sum(exp(linalg::eigvalsh(m + mT(m)))); })(b);
  const Tensor p = outer(u, u) / 9.0;
  const Tensor expm =
      std::exp(1.0) * (eye(3, DType::Float64) - p) + std::exp(10.0) * p;
  EXPECT_TRUE(close(g, 2.0 * expm, 1e-9, 1e-9));
}

TEST(RepeatedEigenvalues, RotationInvariantLossMatchesMatrixFunction) {
  // trace(V diag(l^3) V^T) = trace(S^3): gradient 3 S^2 (with respect to
  // the symmetric matrix), although V is arbitrary inside the eigenspace.
  const Tensor u = f64({1.0, 2.0, 2.0});
  const Tensor s = identity_plus_rank_one(u);
  const Tensor g = grad([](const Tensor& m) {
    const linalg::EighResult r = linalg::eigh(m + mT(m));
    const Tensor f = pow(r.eigenvalues, 3.0);
    return trace(matmul(r.eigenvectors * unsqueeze(f, -2), mT(r.eigenvectors)));
  })(0.5 * s);
  EXPECT_TRUE(close(g, 2.0 * 3.0 * matmul(s, s), 1e-8, 1e-9));
}

TEST(RepeatedEigenvalues, BasisDependentLossIsAnErrorNamingTheExample) {
  auto first_vector = [](const Tensor& m) {
    const linalg::EighResult r = linalg::eigh(m + mT(m));
    return sum(select(r.eigenvectors, -1, 0) * f64({1.0, 0.3, -0.2}));
  };
  const Tensor degenerate = 0.5 * identity_plus_rank_one(f64({1.0, 2.0, 2.0}));
  EXPECT_TRUE(
      throws_with([&] { grad(first_vector)(degenerate); },
                  {"[eigh]", "repeated eigenvalue", "degenerate_tolerance"}));
  // Under vmap the error names the example: example 1 is degenerate.
  const Tensor distinct = 0.5 * diag_embed(f64({1.0, 2.0, 4.0}));
  const Tensor batch = stack({distinct, degenerate});
  EXPECT_TRUE(throws_with([&] { vmap(grad(first_vector))(batch); },
                          {"[eigh]", "batch index [1]"}));
  // With a tolerance the basis-dependent part is dropped: finite.
  const Tensor g = grad([](const Tensor& m) {
    linalg::EighOptions o;
    o.degenerate_tolerance = 1e-9;
    const linalg::EighResult r = linalg::eigh(m + mT(m), o);
    return sum(select(r.eigenvectors, -1, 0) * f64({1.0, 0.3, -0.2}));
  })(degenerate);
  EXPECT_TRUE(sum(isfinite(g).to(DType::Int64)).item<int64_t>() == 9);
}

TEST(RepeatedSingularValues, ValuesOnlyLossIsFinite) {
  // The nuclear norm of an orthogonal matrix: all singular values 1; its
  // gradient is the matrix itself (U Vh).
  const Tensor q = linalg::qr(random64({4, 4}, 14)).Q;
  const Tensor g =
      grad([](const Tensor& m) { return linalg::matrix_norm(m, "nuc"); })(q);
  EXPECT_TRUE(close(g, q, 1e-9, 1e-9));
}

TEST(DecompositionCompositions, VmapGradLogdetIsInverseTranspose) {
  const Tensor a = spd(random64({5, 3, 3}, 15));
  const Tensor g =
      vmap(grad([](const Tensor& m) { return linalg::logdet(m); }))(a);
  EXPECT_TRUE(close(g, mT(linalg::inv(a)), 1e-10, 1e-10));
}

// A Gaussian process's negative log-likelihood in its log length-scale and
// log signal variance: 0.5 y^T K^-1 y + 0.5 logdet K.
Tensor gp_nll(const Tensor& theta) {
  const Tensor x = f64({-1.0, -0.4, 0.1, 0.5, 1.2});
  const Tensor y = f64({0.3, -0.1, 0.4, 0.9, 0.2}, {5, 1});
  const Tensor d = unsqueeze(x, 1) - unsqueeze(x, 0);
  const Tensor ell = exp(select(theta, 0, 0));
  const Tensor var = exp(select(theta, 0, 1));
  const Tensor k =
      var * exp(-0.5 * d * d / (ell * ell)) + 0.1 * eye(5, DType::Float64);
  const Tensor l = linalg::cholesky(k);
  const Tensor alpha = linalg::cholesky_solve(y, l);
  return 0.5 * sum(y * alpha) + sum(log(diagonal(l)));
}

TEST(DecompositionCompositions, HessianOfGaussianProcessLikelihood) {
  const Tensor theta = f64({0.2, -0.3});
  const Tensor h = hessian(gp_nll)(theta);
  const double step = 1e-5;
  std::vector<Tensor> columns;
  for (int j = 0; j < 2; ++j) {
    const Tensor e = select(eye(2, DType::Float64), 0, j);
    columns.push_back(
        (grad(gp_nll)(theta + step * e) - grad(gp_nll)(theta - step * e)) /
        (2 * step));
  }
  EXPECT_TRUE(close(h, stack(columns, 1), 1e-6, 1e-6));
  EXPECT_TRUE(close(h, mT(h), 1e-10, 1e-10));
  // Forward over reverse equals reverse over reverse.
  EXPECT_TRUE(close(jacfwd(jacrev(gp_nll))(theta),
                    jacrev(jacrev(gp_nll))(theta), 1e-10, 1e-10));
}

TEST(DecompositionCompositions, JacfwdOfJacrevThroughSvdAndQr) {
  auto f = [](const Tensor& v) {
    const Tensor m = reshape(v, {3, 2});
    return sum(linalg::svdvals(m)) + sum(linalg::qr(m).R);
  };
  const Tensor v = random64({6}, 16);
  EXPECT_TRUE(close(jacfwd(jacrev(f))(v), jacrev(jacrev(f))(v), 1e-9, 1e-9));
}

}  // namespace
}  // namespace fnx
