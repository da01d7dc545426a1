// Transposed products are computed transposed. The VJP of a matmul forms
// (A^T G)^T for the weight's gradient: a product, then a permute of its last
// two dims, a strided view that every elementwise op after it gathers
// element by element (a third of a compiled MAML step's fused passes read
// such views). permute(matmul(A, B)) over the last two dims is
// matmul(permute(B), permute(A)): the product is written in the layout it
// is read in, and the operands' permutes are views BLAS reads through its
// transpose flags (XLA's layout assignment does the same). A product read
// anywhere else is left as it is, so no GEMM is added.
//
// The sums are the same products over the same k; BLAS may group them
// differently with the operands' roles swapped, so results equal eager's to
// rounding (as every non-elementwise node of a compiled graph does).
#include <cstdint>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "transforms/compile/compile_internal.h"

namespace fnx::compile_internal {
namespace {

// Whether perm keeps the leading dims and swaps the last two.
bool swaps_last_two(const Dims& perm) {
  const std::size_t n = perm.size();
  if (n < 2) return false;
  for (std::size_t d = 0; d + 2 < n; ++d) {
    if (perm[d] != static_cast<int64_t>(d)) return false;
  }
  return perm[n - 2] == static_cast<int64_t>(n - 1) &&
         perm[n - 1] == static_cast<int64_t>(n - 2);
}

Dims swap_last_two(std::size_t rank) {
  Dims perm(rank);
  for (std::size_t d = 0; d < rank; ++d) perm[d] = static_cast<int64_t>(d);
  std::swap(perm[rank - 1], perm[rank - 2]);
  return perm;
}

}  // namespace

void compute_transposed_products(Graph& g) {
  // Per value: how many nodes and outputs read it, and the matmul that
  // computes it, if one does.
  struct Product {
    int32_t a = -1, b = -1;
    Attrs attrs;
  };
  std::vector<int32_t> uses(g.values.size(), 0);
  std::unordered_map<int32_t, Product> products;
  for (const Graph::Node& node : g.nodes) {
    for (int32_t v : node.inputs) {
      if (v >= 0) ++uses[v];
    }
    if (node.fused == nullptr && node.prim == Prim::Matmul &&
        node.outputs[0] >= 0) {
      products[node.outputs[0]] = {node.inputs[0], node.inputs[1], node.attrs};
    }
  }
  for (int32_t v : g.outputs) {
    if (v >= 0) ++uses[v];
  }
  // A product with a last dim or second-to-last of 1 permutes into a
  // contiguous view already: nothing to gain.
  auto rewritable = [&](const Graph::Node& node) -> const Product* {
    if (node.fused != nullptr || node.prim != Prim::Permute ||
        !swaps_last_two(std::get<PermuteAttrs>(node.attrs).perm)) {
      return nullptr;
    }
    const int32_t m = node.inputs[0];
    const auto it = products.find(m);
    if (it == products.end() || uses[m] != 1) return nullptr;
    const Product& p = it->second;
    const Shape& out = g.values[m].shape;
    const std::size_t n = out.size();
    if (out[n - 1] == 1 || out[n - 2] == 1 || p.a < 0 || p.b < 0 ||
        g.values[p.a].shape.size() < 2 || g.values[p.b].shape.size() < 2) {
      return nullptr;
    }
    return &p;
  };
  std::vector<Graph::Node> nodes;
  nodes.reserve(g.nodes.size());
  for (Graph::Node& node : g.nodes) {
    const Product* product = rewritable(node);
    if (product == nullptr) {
      nodes.push_back(std::move(node));
      continue;
    }
    // permute(b), permute(a), then their product in the permute's place;
    // the original product, no longer read, goes with dead code.
    int32_t swapped[2];
    for (int k = 0; k < 2; ++k) {
      const int32_t v = k == 0 ? product->b : product->a;
      Graph::Value value = g.values[v];
      const std::size_t rank = value.shape.size();
      std::swap(value.shape[rank - 1], value.shape[rank - 2]);
      swapped[k] = g.add_value(value.shape, value.dtype, value.device);
      Graph::Node view;
      view.prim = Prim::Permute;
      view.attrs = PermuteAttrs{swap_last_two(rank)};
      view.inputs = {v};
      view.outputs = {swapped[k]};
      nodes.push_back(std::move(view));
    }
    Graph::Node transposed;
    transposed.prim = Prim::Matmul;
    transposed.attrs = product->attrs;
    transposed.inputs = {swapped[0], swapped[1]};
    transposed.outputs = node.outputs;
    nodes.push_back(std::move(transposed));
  }
  g.nodes = std::move(nodes);
}

}  // namespace fnx::compile_internal
