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
  std::vector<int32_t> uses(g.values.size(), 0);
  std::vector<int32_t> producer(g.values.size(), -1);
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    const Graph::Node& node = g.nodes[i];
    for (int32_t v : node.inputs) {
      if (v >= 0) ++uses[v];
    }
    if (node.fused == nullptr && node.outputs.size() == 1 &&
        node.outputs[0] >= 0) {
      producer[node.outputs[0]] = static_cast<int32_t>(i);
    }
  }
  for (int32_t v : g.outputs) {
    if (v >= 0) ++uses[v];
  }
  // Products are read from g.nodes while the new list takes the copies.
  std::vector<Graph::Node> old = g.nodes;
  std::vector<Graph::Node> nodes;
  nodes.reserve(old.size());
  for (Graph::Node& node : old) {
    const int32_t m = node.inputs.empty() ? -1 : node.inputs[0];
    const int p = m >= 0 ? producer[m] : -1;
    if (node.fused != nullptr || node.prim != Prim::Permute || p < 0 ||
        uses[m] != 1 || g.nodes[p].prim != Prim::Matmul ||
        !swaps_last_two(std::get<PermuteAttrs>(node.attrs).perm)) {
      nodes.push_back(std::move(node));
      continue;
    }
    const Graph::Node& product = g.nodes[p];
    const int32_t a = product.inputs[0], b = product.inputs[1];
    // A product with a last dim or second-to-last of 1 permutes into a
    // contiguous view already: nothing to gain.
    const Shape& out = g.values[m].shape;
    const bool strided =
        out.size() >= 2 && out[out.size() - 1] > 1 && out[out.size() - 2] > 1;
    if (!strided || a < 0 || b < 0 || g.values[a].shape.size() < 2 ||
        g.values[b].shape.size() < 2) {
      nodes.push_back(std::move(node));
      continue;
    }
    // permute(b), permute(a), then their product in the permute's place;
    // the original product, no longer read, goes with dead code.
    int32_t swapped[2];
    for (int k = 0; k < 2; ++k) {
      const int32_t v = k == 0 ? b : a;
      Graph::Value value = g.values[v];
      std::swap(value.shape[value.shape.size() - 1],
                value.shape[value.shape.size() - 2]);
      const Dims perm = swap_last_two(value.shape.size());
      swapped[k] = g.add_value(value.shape, value.dtype, value.device);
      Graph::Node view;
      view.prim = Prim::Permute;
      view.attrs = PermuteAttrs{perm};
      view.inputs = {v};
      view.outputs = {swapped[k]};
      nodes.push_back(std::move(view));
    }
    Graph::Node transposed;
    transposed.prim = Prim::Matmul;
    transposed.attrs = product.attrs;
    transposed.inputs = {swapped[0], swapped[1]};
    transposed.outputs = node.outputs;
    nodes.push_back(std::move(transposed));
  }
  g.nodes = std::move(nodes);
}

}  // namespace fnx::compile_internal
