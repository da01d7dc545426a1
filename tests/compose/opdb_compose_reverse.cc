// The compositions of grad with vmap and with itself: vmap(grad),
// grad(vmap), grad(grad) and vmap(vmap(grad)), each against per-example
// loops or finite differences.
#include <tuple>
#include <vector>

#include "core/ops/ops.h"
#include "gtest/gtest.h"
#include "tests/compose/opdb_compose.h"
#include "transforms/grad/grad.h"
#include "transforms/jvp/jvp.h"
#include "transforms/vmap/vmap.h"

namespace fnx::compose {

using opinfo::all_close;
using opinfo::random_like;

namespace {

constexpr VmapOptions kSame{.randomness = Randomness::same};

void expect_leaves_close(const std::vector<Tensor>& got,
                         const std::vector<std::vector<Tensor>>& loop,
                         double tol) {
  EXPECT_EQ(got.size(), loop.front().size());
  for (std::size_t k = 0; k < got.size(); ++k) {
    EXPECT_TRUE(all_close(got[k], stack_leaves(loop, k), tol)) << "leaf " << k;
  }
}

}  // namespace

bool vmap_of_grad(const Case& c) {
  constexpr int64_t kBatch = 3;
  Generator gen(c.seed);
  const std::vector<Tensor> xs = c.batch(kBatch, gen);
  auto g = grad([&c](const std::vector<Tensor>& x) { return c.phi(x); });
  const std::vector<Tensor> got = vmap(g, 0, 0, kSame)(xs);
  std::vector<std::vector<Tensor>> loop;
  for (int64_t b = 0; b < kBatch; ++b) loop.push_back(g(example(xs, b)));
  expect_leaves_close(got, loop, tolerance(c));
  return true;
}

bool grad_of_vmap(const Case& c) {
  constexpr int64_t kBatch = 3;
  Generator gen(c.seed);
  const std::vector<Tensor> xs = c.batch(kBatch, gen);
  auto phi = [&c](const std::vector<Tensor>& x) { return c.phi(x); };
  auto total = [&](const std::vector<Tensor>& x) {
    return vmap(phi, 0, 0, kSame)(x).sum();
  };
  const std::vector<Tensor> got = grad(total)(xs);
  std::vector<std::vector<Tensor>> loop;
  for (int64_t b = 0; b < kBatch; ++b)
    loop.push_back(grad(phi)(example(xs, b)));
  expect_leaves_close(got, loop, tolerance(c));
  return true;
}

// grad(<grad phi, r>) = H r, against finite differences of grad phi.
bool grad_of_grad(const Case& c) {
  if (!c.smooth || c.w.dtype() != DType::Float64) return false;
  Generator gen(c.seed);
  const std::vector<Tensor> r = random_like(c.x, gen);
  auto phi = [&c](const std::vector<Tensor>& x) { return c.phi(x); };
  auto pairing = [&](const std::vector<Tensor>& x) {
    const std::vector<Tensor> gx = grad(phi)(x);
    Tensor acc = zeros({}, DType::Float64);
    for (std::size_t k = 0; k < gx.size(); ++k)
      acc = acc + (gx[k] * r[k]).sum();
    return acc;
  };
  const std::vector<Tensor> hr = grad(pairing)(c.x);
  constexpr double kEps = 1e-6;
  const std::vector<Tensor> hi = grad(phi)(opinfo::moved(c.x, r, kEps));
  const std::vector<Tensor> lo = grad(phi)(opinfo::moved(c.x, r, -kEps));
  for (std::size_t k = 0; k < hr.size(); ++k) {
    const Tensor fd =
        (hi[k].to(DType::Float64) - lo[k].to(DType::Float64)) / (2 * kEps);
    EXPECT_TRUE(all_close(hr[k].to(DType::Float64), fd, 1e-5)) << "leaf " << k;
  }
  return true;
}

bool vmap_of_vmap_of_grad(const Case& c) {
  constexpr int64_t kOuter = 2, kInner = 2;
  Generator gen(c.seed);
  std::vector<std::vector<Tensor>> rows;
  for (int64_t i = 0; i < kOuter; ++i) rows.push_back(c.batch(kInner, gen));
  std::vector<Tensor> xs;  // (outer, inner, *shape) per leaf
  for (std::size_t k = 0; k < c.x.size(); ++k)
    xs.push_back(stack_leaves(rows, k));
  auto g = grad([&c](const std::vector<Tensor>& x) { return c.phi(x); });
  const std::vector<Tensor> got = vmap(vmap(g, 0, 0, kSame), 0, 0, kSame)(xs);
  std::vector<std::vector<Tensor>> loop;  // flattened (outer * inner)
  for (int64_t i = 0; i < kOuter; ++i) {
    for (int64_t j = 0; j < kInner; ++j) {
      loop.push_back(g(example(example(xs, i), j)));
    }
  }
  for (std::size_t k = 0; k < got.size(); ++k) {
    Shape flat = got[k].shape();
    flat.erase(flat.begin());
    flat[0] = kOuter * kInner;
    EXPECT_TRUE(
        all_close(reshape(got[k], flat), stack_leaves(loop, k), tolerance(c)))
        << "leaf " << k;
  }
  return true;
}

}  // namespace fnx::compose

namespace fnx::compose {

// A view taken before its base is written reads the write and carries its
// derivative (torch's test_inplace_on_view_base): y = p(x) cloned, v a flat
// view of y, y then written with 2 p(x); sum(w * v) differentiates as
// 2 phi, in reverse and forward mode.
bool view_of_written_base(const Case& c) {
  auto phi = [&c](const std::vector<Tensor>& x) { return c.phi(x); };
  auto phi_v = [&c](const std::vector<Tensor>& x) {
    const Tensor out = c.p(x);
    Tensor y = out.clone();
    const Tensor v = y.reshape({-1});
    y.copy_(out * 2.0);
    return (v * c.w.reshape({-1})).sum();
  };
  const double tol = tolerance(c);
  const std::vector<Tensor> got = grad(phi_v)(c.x);
  const std::vector<Tensor> want = grad(phi)(c.x);
  for (std::size_t k = 0; k < got.size(); ++k) {
    EXPECT_TRUE(all_close(got[k], want[k] * 2.0, tol)) << "leaf " << k;
  }
  Generator gen(c.seed);
  const std::vector<Tensor> r = random_like(c.x, gen);
  const Tensor t_got = std::get<1>(jvp(phi_v, c.x, r));
  const Tensor t_want = std::get<1>(jvp(phi, c.x, r));
  EXPECT_TRUE(all_close(t_got, t_want * 2.0, tol));
  return true;
}

// A NoGradGuard around an inner grad makes its result a constant to the
// outer grad (torch's test_no_grad_nested_*): h = phi + <grad phi, r>
// computed under the guard has the gradient of phi alone.
bool nested_no_grad(const Case& c) {
  Generator gen(c.seed);
  const std::vector<Tensor> r = random_like(c.x, gen);
  auto phi = [&c](const std::vector<Tensor>& x) { return c.phi(x); };
  auto h = [&](const std::vector<Tensor>& x) {
    Tensor s = zeros({}, DType::Float64);
    {
      NoGradGuard off;
      const std::vector<Tensor> g = grad(phi)(x);
      for (std::size_t k = 0; k < g.size(); ++k) {
        s = s + (g[k].to(DType::Float64) * r[k].to(DType::Float64)).sum();
      }
    }
    return phi(x) + s.to(c.w.dtype());
  };
  const std::vector<Tensor> got = grad(h)(c.x);
  const std::vector<Tensor> want = grad(phi)(c.x);
  for (std::size_t k = 0; k < got.size(); ++k) {
    EXPECT_TRUE(all_close(got[k], want[k], tolerance(c))) << "leaf " << k;
  }
  return true;
}

}  // namespace fnx::compose
