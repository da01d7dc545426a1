// jacrev (vjp + vmap over the output basis): against a finite-difference
// Jacobian, identical for every chunk_size, argnums and trees, has_aux,
// and composed: jacrev(jacrev) is the Hessian, vmap(jacrev) batches.
#include "transforms/jacobians/jacrev.h"

#include <optional>
#include <vector>

#include "core/ops/ops.h"
#include "gtest/gtest.h"
#include "tests/testing/transform_test_util.h"

namespace fnx {
namespace {

using testing::close;
using testing::throws_with;

// Central differences: J[i][j] = d out_i / d x_j.
template <typename F>
Tensor fd_jacobian(const F& f, const Tensor& x) {
  const double eps = 1e-6;
  const Tensor y = f(x);
  std::vector<double> base = x.to_vector();
  std::vector<Tensor> cols;
  for (std::size_t j = 0; j < base.size(); ++j) {
    std::vector<double> up = base, down = base;
    up[j] += eps;
    down[j] -= eps;
    const Tensor d = (f(from_vector(up, x.shape(), DType::Float64)) -
                      f(from_vector(down, x.shape(), DType::Float64))) /
                     (2 * eps);
    cols.push_back(d.reshape({-1}));
  }
  Shape shape = y.shape();
  shape.insert(shape.end(), x.shape().begin(), x.shape().end());
  return stack(cols, 1).reshape(shape);
}

Tensor diag_of(const Tensor& v) { return eye(v.numel(), DType::Float64) * v; }

struct Layer {
  Tensor w, b;
  Tensor operator()(const Tensor& x) const { return tanh(mv(w, x) + b); }
};

TEST(Jacrev, TanhLayerMatchesFiniteDifferences) {
  Generator gen(3);
  const Layer layer{randn({4, 6}, DType::Float64, &gen),
                    randn({4}, DType::Float64, &gen)};
  const Tensor x = randn({6}, DType::Float64, &gen);
  Tensor j = jacrev(layer)(x);
  ASSERT_EQ(j.shape(), (Shape{4, 6}));
  EXPECT_TRUE(close(j, fd_jacobian(layer, x), 1e-8, 1e-7));
  // Analytic: diag(1 - y^2) W.
  const Tensor y = layer(x);
  EXPECT_TRUE(close(j, unsqueeze(1.0 - y * y, 1) * layer.w, 1e-12));
}

TEST(Jacrev, ChunkSizesGiveIdenticalResults) {
  Generator gen(4);
  const Layer layer{randn({7, 5}, DType::Float64, &gen),
                    randn({7}, DType::Float64, &gen)};
  const Tensor x = randn({5}, DType::Float64, &gen);
  const Tensor full = jacrev(layer)(x);
  for (int64_t chunk : {1, 3, 7, 100}) {
    Tensor j = jacrev(layer, {.chunk_size = chunk})(x);
    EXPECT_TRUE(equal(j, full)) << "chunk_size " << chunk;
  }
  EXPECT_TRUE(throws_with([&] { jacrev(layer, {.chunk_size = 0})(x); },
                          "chunk_size must be >= 1"));
}

TEST(Jacrev, ArgnumsAndParameterTrees) {
  Generator gen(5);
  const Tensor w = randn({3, 2}, DType::Float64, &gen);
  const Tensor b = randn({3}, DType::Float64, &gen);
  const Tensor x = randn({2}, DType::Float64, &gen);
  auto f = [](const Tensor& w, const Tensor& b, const Tensor& x) {
    return tanh(mv(w, x) + b);
  };
  auto [jw, jb] = jacrev<0, 1>(f)(w, b, x);
  ASSERT_EQ(jw.shape(), (Shape{3, 3, 2}));
  ASSERT_EQ(jb.shape(), (Shape{3, 3}));
  EXPECT_TRUE(close(jw,
                    fd_jacobian([&](const Tensor& t) { return f(t, b, x); }, w),
                    1e-8, 1e-7));
  EXPECT_TRUE(close(jb,
                    fd_jacobian([&](const Tensor& t) { return f(w, t, x); }, b),
                    1e-8, 1e-7));
  ParamDict p{{"w", w}, {"b", b}};
  ParamDict jp =
      jacrev([&](const ParamDict& q) { return f(q.at("w"), q.at("b"), x); })(p);
  EXPECT_TRUE(close(jp.at("w"), jw, 0));
  EXPECT_TRUE(close(jp.at("b"), jb, 0));
}

TEST(Jacrev, TreeOutputsAndAux) {
  const Tensor x = randn({3}, DType::Float64);
  auto f = [](const Tensor& t) { return std::vector<Tensor>{sin(t), t.sum()}; };
  std::vector<Tensor> js = jacrev(f)(x);
  ASSERT_EQ(js.size(), 2u);
  EXPECT_TRUE(close(js[0], diag_of(cos(x)), 1e-12));
  EXPECT_TRUE(close(js[1], ones({3}, DType::Float64), 1e-12));
  auto g = [](const Tensor& t) { return std::pair{exp(t), t * 2.0}; };
  auto [j, aux] = jacrev(g, {.has_aux = true})(x);
  EXPECT_TRUE(close(j, diag_of(exp(x)), 1e-12));
  EXPECT_TRUE(close(aux, x * 2.0, 0));
  EXPECT_TRUE(throws_with([&] { jacrev(g)(x); }, "has_aux is not set"));
}

TEST(Jacrev, OfJacrevIsTheHessian) {
  const Tensor x = randn({4}, DType::Float64);
  // f = sum(x_i^3) + x0 x1: H = diag(6 x) + e01 + e10.
  auto f = [](const Tensor& t) { return pow(t, 3.0).sum() + t[0] * t[1]; };
  Tensor h = jacrev(jacrev(f))(x);
  Tensor expected = diag_of(6.0 * x);
  std::vector<double> e = expected.to_vector();
  e[1] += 1;
  e[4] += 1;
  EXPECT_TRUE(close(h, from_vector(e, {4, 4}, DType::Float64), 1e-12));
  // jacrev(jacrev) of a vector function: (out, in, in).
  auto g = [](const Tensor& t) { return sin(t) * t.sum(); };
  Tensor hg = jacrev(jacrev(g), {.chunk_size = 2})(x);
  ASSERT_EQ(hg.shape(), (Shape{4, 4, 4}));
  const Tensor jg = jacrev(g)(x);
  EXPECT_TRUE(
      close(hg, fd_jacobian([&](const Tensor& t) { return jacrev(g)(t); }, x),
            1e-7, 1e-6));
  EXPECT_EQ(jg.shape(), (Shape{4, 4}));
}

TEST(Jacrev, UnderVmapAndOfIndependentOutputs) {
  const Tensor xs = randn({3, 2}, DType::Float64);
  auto f = [](const Tensor& t) { return sin(t) * 2.0; };
  Tensor js = vmap(jacrev(f))(xs);
  ASSERT_EQ(js.shape(), (Shape{3, 2, 2}));
  for (int64_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(close(js[i], jacrev(f)(xs[i]), 1e-12));
  }
  // An output that does not depend on the input: zeros.
  const Tensor c = randn({2}, DType::Float64);
  Tensor z = jacrev([&](const Tensor&) { return c * 1.0; })(xs[0]);
  EXPECT_TRUE(close(z, zeros({2, 2}, DType::Float64), 0));
}

}  // namespace
}  // namespace fnx
