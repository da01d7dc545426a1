// Elementwise fusion: chains of unary, binary, compare, where and cast
// nodes with one output shape become one fused node, which a backend with a
// fused runner executes as one pass over memory (core/fused_elementwise.h).
//
// Nodes are visited in order. A node joins the group of one of its inputs'
// producers when the group has its output shape and device and every other
// input of the node existed before the group's first node; the fused node
// takes the place of the group's first node, so everything it reads is
// computed before it and everything reading it comes after.
#include <algorithm>
#include <memory>
#include <utility>

#include "transforms/compile/compile_internal.h"

namespace fnx::compile_internal {
namespace {

// How many of the latest groups a node with no producer among them may
// join.
constexpr int64_t kLookBack = 4;

bool is_float(DType d) { return d == DType::Float32 || d == DType::Float64; }

// Whether the node computes the way a fused instruction does (one dtype
// through unary and binary ops, the same kernels' per-element loops).
bool fusible(const Graph& g, const Graph::Node& node) {
  if (node.outputs.size() != 1 || node.outputs[0] < 0) return false;
  for (int32_t v : node.inputs) {
    if (v < 0) return false;
  }
  const DType out = g.values[node.outputs[0]].dtype;
  auto in = [&](std::size_t k) { return g.values[node.inputs[k]].dtype; };
  switch (prim_info(node.prim).family) {
    case PrimFamily::Unary:
      return is_float(out) && in(0) == out;
    case PrimFamily::Binary:
      return is_float(out) && in(0) == out && in(1) == out;
    case PrimFamily::Compare:
      return in(0) == in(1) && (is_float(in(0)) || in(0) == DType::Bool);
    case PrimFamily::Where:
      return in(0) == DType::Bool && in(1) == out && in(2) == out &&
             (is_float(out) || out == DType::Bool);
    case PrimFamily::Cast:
      return true;
    default:
      return false;
  }
}

FusedInstr::Kind kind_of(Prim prim) {
  switch (prim_info(prim).family) {
    case PrimFamily::Unary:
      return FusedInstr::Kind::kUnary;
    case PrimFamily::Where:
      return FusedInstr::Kind::kWhere;
    case PrimFamily::Cast:
      return FusedInstr::Kind::kCast;
    default:
      return FusedInstr::Kind::kBinary;
  }
}

struct Group {
  std::size_t first = 0;  // index of its first node
  Shape shape;
  Device device;
  std::vector<std::size_t> members;
};

// The fused node of a group of at least two nodes.
Graph::Node fuse(const Graph& g, const Group& group,
                 const std::vector<char>& used_outside) {
  auto prog = std::make_shared<FusedProgram>();
  prog->shape = group.shape;
  prog->device = group.device;
  Graph::Node fused{Prim::CustomCall, NoAttrs{}, {}, {}};
  std::vector<int32_t> reg(g.values.size(), -1);
  for (std::size_t m : group.members) {
    const Graph::Node& node = g.nodes[m];
    FusedInstr ins;
    ins.kind = kind_of(node.prim);
    ins.prim = node.prim;
    ins.dtype = g.values[node.outputs[0]].dtype;
    int32_t* slots[3] = {&ins.a, &ins.b, &ins.c};
    for (std::size_t k = 0; k < node.inputs.size() && k < 3; ++k) {
      const int32_t v = node.inputs[k];
      if (reg[v] < 0) {
        // A value from outside the group: a new input register.
        FusedInstr load;
        load.kind = FusedInstr::Kind::kInput;
        load.dtype = g.values[v].dtype;
        load.a = static_cast<int32_t>(fused.inputs.size());
        fused.inputs.push_back(v);
        reg[v] = static_cast<int32_t>(prog->instrs.size());
        prog->instrs.push_back(load);
      }
      *slots[k] = reg[v];
    }
    reg[node.outputs[0]] = static_cast<int32_t>(prog->instrs.size());
    prog->instrs.push_back(ins);
    if (used_outside[node.outputs[0]]) {
      prog->outputs.push_back(reg[node.outputs[0]]);
      fused.outputs.push_back(node.outputs[0]);
    }
  }
  fused.fused = std::move(prog);
  return fused;
}

}  // namespace

void fuse_elementwise(Graph& g) {
  std::vector<int64_t> group_of(g.nodes.size(), -1);
  std::vector<int64_t> producer(g.values.size(), -1);  // node index
  std::vector<Group> groups;
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    const Graph::Node& node = g.nodes[i];
    for (int32_t v : node.outputs) {
      if (v >= 0) producer[v] = static_cast<int64_t>(i);
    }
    if (!fusible(g, node)) continue;
    const Graph::Value& out = g.values[node.outputs[0]];
    auto joins = [&](int64_t gi) {
      const Group& grp = groups[gi];
      if (grp.shape != out.shape || !(grp.device == out.device)) return false;
      for (int32_t v : node.inputs) {
        const int64_t p = producer[v];
        const bool inside = p >= 0 && group_of[p] == gi;
        if (!inside && p >= static_cast<int64_t>(grp.first)) return false;
      }
      return true;
    };
    int64_t chosen = -1;
    for (int32_t v : node.inputs) {
      const int64_t p = producer[v];
      if (p >= 0 && group_of[p] >= 0 && joins(group_of[p])) {
        chosen = group_of[p];
        break;
      }
    }
    // A node reading only values from before a recent group (graph inputs,
    // constants) can join it too: gelu's 0.5 * x joins the erf chain.
    for (int64_t gi = static_cast<int64_t>(groups.size()) - 1;
         chosen < 0 && gi >= 0 &&
         gi >= static_cast<int64_t>(groups.size()) - kLookBack;
         --gi) {
      if (joins(gi)) chosen = gi;
    }
    if (chosen < 0) {
      chosen = static_cast<int64_t>(groups.size());
      groups.push_back(Group{i, out.shape, out.device, {}});
    }
    group_of[i] = chosen;
    groups[chosen].members.push_back(i);
  }
  // Values read outside their group (or returned) must be fused outputs.
  std::vector<char> used_outside(g.values.size(), 0);
  for (int32_t v : g.outputs) {
    if (v >= 0) used_outside[v] = 1;
  }
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    for (int32_t v : g.nodes[i].inputs) {
      if (v < 0 || producer[v] < 0) continue;
      const int64_t pg = group_of[producer[v]];
      if (pg < 0 || pg != group_of[i]) used_outside[v] = 1;
    }
  }
  std::vector<Graph::Node> nodes;
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    const int64_t gi = group_of[i];
    if (gi < 0 || groups[gi].members.size() < 2) {
      nodes.push_back(std::move(g.nodes[i]));
    } else if (groups[gi].first == i) {
      nodes.push_back(fuse(g, groups[gi], used_outside));
    }
  }
  g.nodes = std::move(nodes);
}

}  // namespace fnx::compile_internal

namespace fnx::compile_internal {

Graph unfuse(const Graph& g) {
  Graph out = g;
  out.nodes.clear();
  for (const Graph::Node& node : g.nodes) {
    if (node.fused == nullptr) {
      out.nodes.push_back(node);
      continue;
    }
    const FusedProgram& prog = *node.fused;
    std::vector<int32_t> value(prog.instrs.size(), -1);
    for (std::size_t k = 0; k < prog.outputs.size(); ++k) {
      value[prog.outputs[k]] = node.outputs[k];
    }
    for (std::size_t r = 0; r < prog.instrs.size(); ++r) {
      const FusedInstr& ins = prog.instrs[r];
      if (ins.kind == FusedInstr::Kind::kInput) {
        value[r] = node.inputs[ins.a];
        continue;
      }
      if (value[r] < 0) {
        value[r] = out.add_value(prog.shape, ins.dtype, prog.device);
      }
      Graph::Node n{ins.prim, NoAttrs{}, {}, {value[r]}};
      if (ins.kind == FusedInstr::Kind::kCast) n.attrs = CastAttrs{ins.dtype};
      for (int32_t reg : {ins.a, ins.b, ins.c}) {
        if (reg >= 0) n.inputs.push_back(value[reg]);
      }
      out.nodes.push_back(std::move(n));
    }
  }
  return out;
}

}  // namespace fnx::compile_internal
