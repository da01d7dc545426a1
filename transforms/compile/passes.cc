// Graph passes, run after tracing: dead-code elimination, common
// subexpressions, folding creation ops into constants, and renumbering the
// values in order (constants, inputs, node outputs).
#include <string>
#include <unordered_map>
#include <utility>

#include "core/dispatch.h"
#include "core/str_cat.h"
#include "transforms/compile/compile_internal.h"

namespace fnx::compile_internal {
namespace {

// Creation ops up to this size become constants; larger ones stay nodes so
// a constant never pins a large buffer between calls.
constexpr int64_t kMaxFoldedBytes = 64 * 1024;

bool has_effect(Prim prim) {
  // Assert throws on values; a user's custom function may do anything.
  return prim == Prim::Assert || is_higher_order(prim);
}

void rename(Graph& g, const std::vector<int32_t>& to) {
  for (Graph::Node& node : g.nodes) {
    for (int32_t& v : node.inputs) {
      if (v >= 0) v = to[v];
    }
  }
  for (int32_t& v : g.outputs) {
    if (v >= 0) v = to[v];
  }
}

}  // namespace

void eliminate_dead_code(Graph& g) {
  std::vector<char> live(g.values.size(), 0);
  for (int32_t v : g.outputs) {
    if (v >= 0) live[v] = 1;
  }
  std::vector<char> keep(g.nodes.size(), 0);
  for (std::size_t i = g.nodes.size(); i-- > 0;) {
    const Graph::Node& node = g.nodes[i];
    bool needed = has_effect(node.prim);
    for (int32_t v : node.outputs) needed = needed || (v >= 0 && live[v]);
    if (!needed) continue;
    keep[i] = 1;
    for (int32_t v : node.inputs) {
      if (v >= 0) live[v] = 1;
    }
  }
  std::vector<Graph::Node> nodes;
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    if (keep[i]) nodes.push_back(std::move(g.nodes[i]));
  }
  g.nodes = std::move(nodes);
  std::vector<Graph::Constant> constants;
  for (Graph::Constant& c : g.constants) {
    if (live[c.value]) constants.push_back(std::move(c));
  }
  g.constants = std::move(constants);
}

void eliminate_common_subexpressions(Graph& g) {
  std::vector<int32_t> to(g.values.size());
  for (std::size_t v = 0; v < to.size(); ++v) to[v] = static_cast<int32_t>(v);
  std::unordered_map<std::string, int32_t> seen;  // node key -> its output
  std::vector<Graph::Node> nodes;
  for (Graph::Node& node : g.nodes) {
    for (int32_t& v : node.inputs) {
      if (v >= 0) v = to[v];
    }
    // Random nodes draw different numbers each, and every collective is
    // its own exchange with the other ranks: never merged.
    const PrimFamily family = prim_info(node.prim).family;
    if (family == PrimFamily::Random || family == PrimFamily::Collective ||
        has_effect(node.prim) || node.outputs.size() != 1) {
      nodes.push_back(std::move(node));
      continue;
    }
    std::string key =
        str_cat(prim_name(node.prim), "[", attrs_text(node.attrs), "]");
    for (int32_t v : node.inputs) key += str_cat(" ", v);
    const auto [it, fresh] = seen.emplace(std::move(key), node.outputs[0]);
    if (fresh) {
      nodes.push_back(std::move(node));
    } else {
      to[node.outputs[0]] = it->second;
    }
  }
  g.nodes = std::move(nodes);
  for (int32_t& v : g.outputs) {
    if (v >= 0) v = to[v];
  }
}

void fold_creation_constants(Graph& g) {
  std::vector<Graph::Node> nodes;
  for (Graph::Node& node : g.nodes) {
    const PrimFamily family = prim_info(node.prim).family;
    const Graph::Value& out = node.outputs.empty() || node.outputs[0] < 0
                                  ? Graph::Value{}
                                  : g.values[node.outputs[0]];
    const int64_t bytes =
        numel(out.shape) * static_cast<int64_t>(itemsize(out.dtype));
    if (family != PrimFamily::Creation || bytes > kMaxFoldedBytes) {
      nodes.push_back(std::move(node));
      continue;
    }
    Tensor value = dispatch(node.prim, node.attrs, std::span<const Tensor>());
    g.constants.push_back(Graph::Constant{node.outputs[0], std::move(value)});
  }
  g.nodes = std::move(nodes);
}

void renumber(Graph& g) {
  std::vector<int32_t> to(g.values.size(), -1);
  std::vector<Graph::Value> values;
  auto take = [&](int32_t& v) {
    if (v < 0) return;
    if (to[v] < 0) {
      to[v] = static_cast<int32_t>(values.size());
      values.push_back(g.values[v]);
    }
    v = to[v];
  };
  for (Graph::Constant& c : g.constants) take(c.value);
  for (int32_t& v : g.inputs) take(v);
  for (Graph::Node& node : g.nodes) {
    for (int32_t& v : node.outputs) take(v);
  }
  rename(g, to);
  g.values = std::move(values);
}

void optimize(Graph& g) {
  // CSE first: equal creation ops (the scalars of `y * 1.01` repeated in a
  // loop) merge into one node, so they fold into one constant.
  eliminate_common_subexpressions(g);
  const std::size_t captured = g.constants.size();
  fold_creation_constants(g);
  // Before DCE: the basis and its scaling, no longer read, are dropped.
  simplify_basis_products(g, captured);
  compute_transposed_products(g);
  eliminate_dead_code(g);
  renumber(g);
}

}  // namespace fnx::compile_internal
