// compile's basis products (transforms/compile/basis_products.cc): the
// identity basis jacrev and jacfwd push through W x becomes row selections
// of W, no GEMM left; results equal eager's bit for bit, chunked or not,
// scaled by scalars, rows and columns; captured and non-identity matrices
// keep their matmul; and an inf in W, spread by eager's 0 * inf, is not.
#include <cmath>
#include <limits>
#include <tuple>
#include <vector>

#include "fnx.h"
#include "gtest/gtest.h"
#include "tests/testing/transform_test_util.h"

namespace fnx {
namespace {

using testing::close;
using testing::each_equal;
using testing::f64;

Tensor predict(const Tensor& w, const Tensor& b, const Tensor& x) {
  return tanh(linear(x, w, b));
}

struct Layer {
  Tensor w, b, x;
};

Layer layer(int64_t in, int64_t out, DType dtype) {
  return {randn({out, in}, dtype), randn({out}, dtype), randn({in}, dtype)};
}

// One matmul left: the forward's W x.
TEST(BasisProducts, JacobiansSelectRowsAndEqualEager) {
  for (DType dtype : {DType::Float32, DType::Float64}) {
    // 32 -> 2048 goes through the basis in blocks of rows (chunked vmap).
    for (auto [in, out] : {std::pair<int64_t, int64_t>{16, 16},
                           {32, 2048},
                           {2048, 32},
                           {7, 300}}) {
      const Layer l = layer(in, out, dtype);
      const auto jr = jacrev<2>(predict);
      const auto jf = jacfwd<2>(predict);
      auto cjr = compile(jr);
      auto cjf = compile(jf);
      EXPECT_EQ(make_graph(jr)(l.w, l.b, l.x)->count(Prim::Matmul), 1)
          << make_graph(jr)(l.w, l.b, l.x)->to_string();
      EXPECT_EQ(make_graph(jf)(l.w, l.b, l.x)->count(Prim::Matmul), 1);
      const Tensor er = jr(l.w, l.b, l.x);
      EXPECT_TRUE(equal(cjr(l.w, l.b, l.x), er)) << in << " -> " << out;
      // The tracing call returns the values its eager run made; the
      // second runs the graph.
      cjf(l.w, l.b, l.x);
      EXPECT_TRUE(equal(cjf(l.w, l.b, l.x), jf(l.w, l.b, l.x)));
      EXPECT_TRUE(equal(cjr(l.w, l.b, l.x), er));
    }
  }
}

TEST(BasisProducts, ChunkSizesThatLeaveAShortLastBlock) {
  const Layer l = layer(5, 37, DType::Float32);
  const auto jr = jacrev<2>(predict, {.chunk_size = 8});
  EXPECT_EQ(make_graph(jr)(l.w, l.b, l.x)->count(Prim::Matmul), 1);
  auto cjr = compile(jr);
  cjr(l.w, l.b, l.x);
  EXPECT_TRUE(equal(cjr(l.w, l.b, l.x), jr(l.w, l.b, l.x)));
}

// eye(n) scaled by a scalar, a row and a column, times W.
TEST(BasisProducts, ScaledIdentitiesOfEachShape) {
  const Tensor w = randn({6, 5}, DType::Float64);
  const Tensor row = randn({6}, DType::Float64);
  const Tensor col = randn({6, 1}, DType::Float64);
  auto f = [](const Tensor& w, const Tensor& row, const Tensor& col) {
    const Tensor i = eye(6, DType::Float64, Device::cpu());
    return std::tuple{matmul(i * 2.5, w), matmul(row * i, w),
                      matmul(i * col * row, w)};
  };
  EXPECT_EQ(make_graph(f)(w, row, col)->count(Prim::Matmul), 0)
      << make_graph(f)(w, row, col)->to_string();
  auto cf = compile(f);
  cf(w, row, col);
  EXPECT_TRUE(each_equal(cf(w, row, col), f(w, row, col)));
}

// A captured identity may be changed by its owner after tracing; twice
// the identity, a permutation, a batched right operand and integer
// matrices are not selections: all keep their matmul.
TEST(BasisProducts, OtherMatricesKeepTheirMatmul) {
  const Tensor captured = eye(4, DType::Float32, Device::cpu());
  const Tensor w = randn({4, 3});
  const Tensor batch = randn({2, 4, 3});
  auto f = [&](const Tensor& w, const Tensor& batch) {
    const Tensor i = eye(4, DType::Float32, Device::cpu());
    const Tensor perm = flip(i, {1});
    return std::tuple{matmul(captured, w), matmul(i + i, w), matmul(perm, w),
                      matmul(i, batch)};
  };
  EXPECT_EQ(make_graph(f)(w, batch)->count(Prim::Matmul), 4);
  auto cf = compile(f);
  cf(w, batch);
  EXPECT_TRUE(each_equal(cf(w, batch), f(w, batch)));
}

// The rewritten graph is differentiated like any other: grad of a loss of
// the compiled Jacobian equals eager's.
TEST(BasisProducts, GradThroughTheCompiledJacobian) {
  const Layer l = layer(6, 9, DType::Float64);
  auto loss = [](const Tensor& w, const Tensor& b, const Tensor& x) {
    return sum(jacrev<2>(predict)(w, b, x) * 0.5);
  };
  auto cjr = compile(jacrev<2>(predict));
  auto closs = [&](const Tensor& w, const Tensor& b, const Tensor& x) {
    return sum(cjr(w, b, x) * 0.5);
  };
  const Tensor want = grad(loss)(l.w, l.b, l.x);
  for (int call = 0; call < 2; ++call) {
    EXPECT_TRUE(close(grad(closs)(l.w, l.b, l.x), want, 1e-12, 1e-12));
  }
}

// Documented difference: eager's GEMM multiplies the basis zeros by every
// entry of W, so an inf in W turns the rest of its column of the Jacobian
// into NaN (0 * inf); the selection reads only the entries J holds.
TEST(BasisProducts, InfInWeightsStaysInItsEntry) {
  auto lin = [](const Tensor& w, const Tensor& b, const Tensor& x) {
    return linear(x, w, b);
  };
  const double inf = std::numeric_limits<double>::infinity();
  const Tensor w = f64({1, 2, 3, 4, 5, inf, 7, 8, 9, 10, 11, 12}, {4, 3});
  const Tensor b = f64({0, 0, 0, 0});
  const Tensor x = f64({1, 1, 1});
  const auto jf = jacfwd<2>(lin);
  const std::vector<double> eager = jf(w, b, x).to_vector();
  auto cjf = compile(jf);
  cjf(w, b, x);  // the tracing call returns the values its eager run made
  const std::vector<double> compiled = cjf(w, b, x).to_vector();
  const std::vector<double> want = w.to_vector();  // J = W
  EXPECT_TRUE(std::isnan(eager[3]));               // J[1, 0]
  EXPECT_EQ(compiled, want);
}

}  // namespace
}  // namespace fnx
