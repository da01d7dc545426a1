// compile's transposed products (transforms/compile/transposed_products.cc):
// permute(matmul(a, b)) over the last two dims becomes matmul(b^T, a^T),
// batched and broadcast; a product read elsewhere, or one with a dim of 1,
// keeps its permute; grad of a compiled matmul chain (whose VJP transposes
// the weight's gradient) is rewritten and equals eager to rounding.
#include <tuple>
#include <vector>

#include "fnx.h"
#include "gtest/gtest.h"
#include "tests/testing/transform_test_util.h"

namespace fnx {
namespace {

using testing::each_close;
using testing::each_equal;

// Permute nodes that read a matmul's result.
int permuted_products(const Graph& g) {
  std::vector<char> is_product(g.values.size(), 0);
  int n = 0;
  for (const Graph::Node& node : g.nodes) {
    if (node.fused == nullptr && node.prim == Prim::Matmul) {
      is_product[node.outputs[0]] = 1;
    }
    if (node.fused == nullptr && node.prim == Prim::Permute &&
        is_product[node.inputs[0]]) {
      ++n;
    }
  }
  return n;
}

TEST(TransposedProducts, BatchedAndBroadcastProductsAreWrittenTransposed) {
  for (DType dtype : {DType::Float32, DType::Float64}) {
    const double tol = dtype == DType::Float32 ? 1e-5 : 1e-12;
    const Tensor a = randn({8, 10, 40}, dtype), w = randn({40, 24}, dtype);
    const Tensor b = randn({8, 40, 24}, dtype), c = randn({8, 24, 10}, dtype);
    auto f = [](const Tensor& a, const Tensor& w, const Tensor& b,
                const Tensor& c) {
      return std::tuple{matmul(a, w).transpose(-1, -2) * 2.0 + c,
                        matmul(a, b).transpose(1, 2) - c};
    };
    auto graph = make_graph(f)(a, w, b, c);
    EXPECT_EQ(permuted_products(*graph), 0) << graph->to_string();
    EXPECT_EQ(graph->count(Prim::Matmul), 2);
    auto cf = compile(f);
    cf(a, w, b, c);
    EXPECT_TRUE(each_close(cf(a, w, b, c), f(a, w, b, c), tol, tol));
  }
}

// Read as it is too: rewriting would add a second GEMM. A dim of 1 makes
// the permute a contiguous view already.
TEST(TransposedProducts, ProductsReadElsewhereOrWithADimOfOneStay) {
  const Tensor a = randn({6, 5}), b = randn({5, 7}), v = randn({5, 1});
  auto f = [](const Tensor& a, const Tensor& b, const Tensor& v) {
    const Tensor p = matmul(a, b);
    return std::tuple{p.transpose(0, 1) + 1.0, p * 3.0,
                      matmul(a, v).transpose(0, 1) * 2.0};
  };
  auto graph = make_graph(f)(a, b, v);
  EXPECT_EQ(permuted_products(*graph), 2) << graph->to_string();
  auto cf = compile(f);
  cf(a, b, v);
  EXPECT_TRUE(each_equal(cf(a, b, v), f(a, b, v)));
}

// The weight gradients of a vmapped two-layer loss with (out, in) weights
// (x W^T, as nn::Linear): the VJP's (x^T g)^T products come out transposed.
TEST(TransposedProducts, GradOfBatchedLayers) {
  const Tensor w1 = randn({12, 16}, DType::Float64);  // (out, in)
  const Tensor w2 = randn({8, 12}, DType::Float64);
  const Tensor xs = randn({4, 10, 16}, DType::Float64);
  auto loss = [](const Tensor& w1, const Tensor& w2, const Tensor& x) {
    const Tensor h = relu(matmul(x, w1.transpose(0, 1)));
    return sum(tanh(matmul(h, w2.transpose(0, 1))));
  };
  auto per_task = [&](const Tensor& w1, const Tensor& w2, const Tensor& xs) {
    return vmap(grad<0, 1>(loss), {none, none, 0})(w1, w2, xs);
  };
  auto graph = make_graph(per_task)(w1, w2, xs);
  EXPECT_EQ(permuted_products(*graph), 0) << graph->to_string();
  auto cf = compile(per_task);
  cf(w1, w2, xs);
  EXPECT_TRUE(each_close(cf(w1, w2, xs), per_task(w1, w2, xs), 1e-12, 1e-12));
}

}  // namespace
}  // namespace fnx
