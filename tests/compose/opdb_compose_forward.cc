// The compositions that involve forward mode: jvp against finite
// differences and against vjp, jacfwd against jacrev, the three Hessians,
// vmap(jvp), jvp(vmap) and jvp(grad).
#include <cmath>
#include <tuple>
#include <vector>

#include "core/ops/ops.h"
#include "gtest/gtest.h"
#include "tests/compose/opdb_compose.h"
#include "transforms/grad/grad.h"
#include "transforms/functionalize/functionalize.h"
#include "transforms/jacobians/hessian.h"
#include "transforms/jacobians/jacfwd.h"
#include "transforms/jacobians/jacrev.h"
#include "transforms/jvp/jvp.h"
#include "transforms/vmap/vmap.h"

namespace fnx::compose {

using opinfo::all_close;
using opinfo::central_difference;
using opinfo::dot_all;
using opinfo::host_dot;
using opinfo::random_like;

namespace {

// Random ops in a sample (dropout with p = 0) draw the same numbers for
// every example.
constexpr VmapOptions kSame{.randomness = Randomness::same};
// Beyond this many differentiated elements, Hessians are taken in a
// random subspace (they cost n^2 elements and n passes each).
constexpr int64_t kMaxHessianInputs = 48;

int64_t numel_of(const std::vector<Tensor>& x) {
  int64_t n = 0;
  for (const Tensor& t : x) n += t.numel();
  return n;
}

}  // namespace

bool jvp_matches_finite_differences(const Case& c) {
  if (!c.smooth) return false;
  Generator gen(c.seed);
  const std::vector<Tensor> u = random_like(c.x, gen);
  auto [y, t] = jvp(c.p, c.x, u);
  const bool f32 = y.dtype() == DType::Float32;
  EXPECT_TRUE(all_close(t, central_difference(c.p, c.x, u, f32 ? 1e-3 : 1e-6),
                        f32 ? 1e-2 : 1e-6));
  return true;
}

bool jvp_agrees_with_vjp(const Case& c) {
  Generator gen(c.seed);
  const std::vector<Tensor> v = random_like(c.x, gen);
  auto [y, jv] = jvp(c.p, c.x, v);
  const Tensor u = randn(y.shape(), y.dtype(), &gen);
  auto [y2, vjp_fn] = vjp(c.p, c.x);
  auto [jtu] = vjp_fn(u);
  const double lhs = host_dot(u, jv), rhs = dot_all(jtu, v);
  if (!std::isfinite(lhs) || !std::isfinite(rhs)) return false;
  EXPECT_NEAR(lhs, rhs, 10 * tolerance(c) * (1 + std::abs(lhs)));
  return true;
}

bool jacfwd_equals_jacrev(const Case& c) {
  const std::vector<Tensor> jf = jacfwd(c.p)(c.x);
  const std::vector<Tensor> jr = jacrev(c.p)(c.x);
  EXPECT_EQ(jf.size(), jr.size());
  for (std::size_t k = 0; k < jf.size() && k < jr.size(); ++k) {
    EXPECT_TRUE(all_close(jf[k], jr[k], tolerance(c))) << "input " << k;
  }
  return true;
}

// Small inputs: the Hessian of phi itself. Larger ones: the Hessian of phi
// restricted to a random 6-dimensional subspace through x (D^T H D), the
// same compositions over the op at a fraction of the cost.
//
// Forward over forward cannot follow an in-place write into a view of a
// buffer made from constants (the inner tangent buffer, to the outer jvp;
// see jvp's copy_): for in-place entries jacfwd(jacfwd) runs on the
// functionalized function, whose writes are pure ops.
bool hessians_agree(const Case& c) {
  auto phi = [&c](const std::vector<Tensor>& x) { return c.phi(x); };
  auto forward_twice = [&c](const auto& fn, const auto& x) {
    return c.info->in_place ? jacfwd(jacfwd(functionalize(fn)))(x)
                            : jacfwd(jacfwd(fn))(x);
  };
  const double tol = 10 * tolerance(c);
  if (numel_of(c.x) <= kMaxHessianInputs) {
    const auto h = hessian(phi)(c.x);
    const auto rr = jacrev(jacrev(phi))(c.x);
    const auto ff = forward_twice(phi, c.x);
    EXPECT_EQ(h.size(), c.x.size());
    for (std::size_t i = 0; i < h.size(); ++i) {
      for (std::size_t j = 0; j < h[i].size(); ++j) {
        EXPECT_TRUE(all_close(h[i][j], rr.at(i).at(j), tol))
            << "block " << i << ", " << j << " vs jacrev(jacrev)";
        EXPECT_TRUE(all_close(h[i][j], ff.at(i).at(j), tol))
            << "block " << i << ", " << j << " vs jacfwd(jacfwd)";
      }
    }
    return true;
  }
  constexpr int64_t kDirections = 6;
  Generator gen(c.seed);
  std::vector<Tensor> dirs;  // per leaf: (kDirections, numel)
  for (const Tensor& t : c.x) {
    dirs.push_back(randn({kDirections, t.numel()}, DType::Float64, &gen));
  }
  auto psi = [&](const Tensor& a) {
    std::vector<Tensor> x;
    for (std::size_t m = 0; m < c.x.size(); ++m) {
      const Tensor step = reshape(matmul(a, dirs[m]), c.x[m].shape());
      x.push_back(c.x[m] + cast(step, c.x[m].dtype()));
    }
    return c.phi(x);
  };
  const Tensor a = zeros({kDirections}, DType::Float64);
  const Tensor h = hessian(psi)(a);
  EXPECT_TRUE(all_close(h, jacrev(jacrev(psi))(a), tol)) << "vs jacrev(jacrev)";
  EXPECT_TRUE(all_close(h, forward_twice(psi, a), tol)) << "vs jacfwd(jacfwd)";
  return true;
}

bool vmap_of_jvp(const Case& c) {
  constexpr int64_t kBatch = 3;
  Generator gen(c.seed);
  const std::vector<Tensor> xs = c.batch(kBatch, gen);
  const std::vector<Tensor> ts = c.batch(kBatch, gen);
  auto tangent = [&c](const std::vector<Tensor>& x,
                      const std::vector<Tensor>& t) {
    return std::get<1>(jvp(c.p, x, t));
  };
  const Tensor got = vmap(tangent, 0, 0, kSame)(xs, ts);
  std::vector<Tensor> loop;
  for (int64_t b = 0; b < kBatch; ++b) {
    loop.push_back(tangent(example(xs, b), example(ts, b)));
  }
  EXPECT_TRUE(all_close(got, stack(loop, 0), tolerance(c)));
  return true;
}

bool jvp_of_vmap(const Case& c) {
  constexpr int64_t kBatch = 3;
  Generator gen(c.seed);
  const std::vector<Tensor> xs = c.batch(kBatch, gen);
  const std::vector<Tensor> ts = c.batch(kBatch, gen);
  auto batched = [&c](const std::vector<Tensor>& x) {
    return vmap(c.p, 0, 0, kSame)(x);
  };
  auto [y, got] = jvp(batched, xs, ts);
  std::vector<Tensor> loop;
  for (int64_t b = 0; b < kBatch; ++b) {
    loop.push_back(std::get<1>(jvp(c.p, example(xs, b), example(ts, b))));
  }
  EXPECT_TRUE(all_close(got, stack(loop, 0), tolerance(c)));
  return true;
}

// H r three ways: forward-over-reverse, reverse-over-reverse, and (at
// smooth points) finite differences of the gradient.
bool jvp_of_grad(const Case& c) {
  Generator gen(c.seed);
  const std::vector<Tensor> r = random_like(c.x, gen);
  auto phi = [&c](const std::vector<Tensor>& x) { return c.phi(x); };
  auto [g, hr] = jvp(grad(phi), c.x, r);
  auto pairing = [&](const std::vector<Tensor>& x) {
    const std::vector<Tensor> gx = grad(phi)(x);
    Tensor acc = zeros({}, DType::Float64);
    for (std::size_t k = 0; k < gx.size(); ++k)
      acc = acc + (gx[k] * r[k]).sum();
    return acc;
  };
  const std::vector<Tensor> rev = grad(pairing)(c.x);
  for (std::size_t k = 0; k < hr.size(); ++k) {
    EXPECT_TRUE(all_close(hr[k], rev.at(k), 10 * tolerance(c)))
        << "leaf " << k << " vs grad(grad)";
  }
  if (c.smooth && c.w.dtype() == DType::Float64) {
    constexpr double kEps = 1e-6;
    const std::vector<Tensor> hi = grad(phi)(opinfo::moved(c.x, r, kEps));
    const std::vector<Tensor> lo = grad(phi)(opinfo::moved(c.x, r, -kEps));
    for (std::size_t k = 0; k < hr.size(); ++k) {
      const Tensor fd =
          (hi[k].to(DType::Float64) - lo[k].to(DType::Float64)) / (2 * kEps);
      EXPECT_TRUE(all_close(hr[k].to(DType::Float64), fd, 1e-5))
          << "leaf " << k << " vs finite differences of grad";
    }
  }
  return true;
}

}  // namespace fnx::compose
