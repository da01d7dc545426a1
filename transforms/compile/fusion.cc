// Elementwise fusion: chains of unary, binary, compare, where and cast
// nodes with one output shape become one fused node, which a backend with a
// fused runner executes as one pass over memory (core/fused_elementwise.h).
//
// Nodes are visited in order. A node joins the group of one of its inputs'
// producers when the group has its output shape and device and joining
// makes no cycle: none of the node's other inputs depends on the group
// (through nodes or groups outside it). So a group may read values computed
// after its first node (the ensemble's backward pass multiplies by
// 1 - tanh^2, computed later, in one pass with the product before it); the
// nodes are then emitted in a dependency order, each fused node as early as
// its inputs allow and never before the position of its first member.
//
// A Sum, Amax or Amin of a group's value over one block of the group
// shape's dims (the last ones, or leading or middle ones) ends the group
// when the device's runner runs such reductions (FusedRunnerCaps): it is
// computed in the same pass, and the value it reduces is not written
// unless something else reads it. Reductions are
// attached after the groups are formed, so they never split one (and a
// saved graph, written unfused, keeps its node order).
#include <algorithm>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <utility>

#include "core/error.h"
#include "transforms/compile/compile_internal.h"

namespace fnx::compile_internal {
namespace {

// How many of the latest groups a node with no producer among them may
// join.
constexpr int64_t kLookBack = 4;
// Nodes the cycle check may visit for one join before it gives up (and the
// node does not join): keeps fusion linear in long graphs.
constexpr int64_t kCycleSearchBudget = 4096;

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
  bool closed = false;  // ends in a reduction
};

// Whether `node` reduces `in` over one block of its dims that the device's
// fused runner reduces in its pass: the last dims (FusedRunnerCaps::
// trailing_reduction), or leading or middle ones (middle_reduction).
bool fusible_reduction(const Graph& g, const Graph::Node& node) {
  if (node.prim != Prim::Sum && node.prim != Prim::Amax &&
      node.prim != Prim::Amin) {
    return false;
  }
  if (node.inputs.size() != 1 || node.inputs[0] < 0 ||
      node.outputs.size() != 1 || node.outputs[0] < 0) {
    return false;
  }
  const Graph::Value& in = g.values[node.inputs[0]];
  if (!is_float(in.dtype) || g.values[node.outputs[0]].dtype != in.dtype) {
    return false;
  }
  const auto* attrs = std::get_if<ReduceAttrs>(&node.attrs);
  if (attrs == nullptr || in.shape.empty()) return false;
  const std::optional<ReductionBlock> block = reduction_block(in.shape, *attrs);
  if (!block.has_value()) return false;
  const FusedRunnerCaps caps = fused_runner_caps(in.device.type);
  if (block->inner == 1) return caps.trailing_reduction;
  return caps.middle_reduction && block->reduced > 0;
}

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
    if (group.closed && m == group.members.back()) {
      // The reduction: its operand is a register of the group; its result
      // is returned last whatever reads it.
      prog->reduction = FusedReduction{
          node.prim, std::get<ReduceAttrs>(node.attrs), reg[node.inputs[0]]};
      fused.fused_reduced_value = node.inputs[0];
      fused.outputs.push_back(node.outputs[0]);
      continue;
    }
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

namespace {

// Whether some value in `from` depends on a member of group `gi` through
// nodes outside it (a fused node reads all its members' inputs, so a path
// through another group continues from all of that group's inputs). Nodes
// before the group's first member cannot depend on it. Gives up (true)
// after kCycleSearchBudget nodes.
bool depends_on_group(const Graph& g, const std::vector<int64_t>& producer,
                      const std::vector<int64_t>& group_of,
                      const std::vector<Group>& groups, int64_t gi,
                      const std::vector<int64_t>& from) {
  const int64_t first = static_cast<int64_t>(groups[gi].first);
  std::vector<int64_t> stack;
  std::vector<char> seen_group(groups.size(), 0);
  std::vector<int64_t> seen;  // node indices visited, kept sorted
  auto push_inputs = [&](int64_t node) {
    for (int32_t v : g.nodes[node].inputs) {
      if (v >= 0 && producer[v] >= first) stack.push_back(producer[v]);
    }
  };
  for (int64_t p : from) {
    if (p >= first) stack.push_back(p);
  }
  int64_t budget = kCycleSearchBudget;
  while (!stack.empty()) {
    const int64_t n = stack.back();
    stack.pop_back();
    const auto at = std::lower_bound(seen.begin(), seen.end(), n);
    if (at != seen.end() && *at == n) continue;
    seen.insert(at, n);
    if (--budget < 0) return true;
    const int64_t b = group_of[n];
    if (b == gi) return true;
    if (b >= 0) {
      if (seen_group[b]) continue;
      seen_group[b] = 1;
      for (std::size_t m : groups[b].members) {
        push_inputs(static_cast<int64_t>(m));
      }
    } else {
      push_inputs(n);
    }
  }
  return false;
}

// Moves members that only feed another group into it, as XLA fuses a
// producer into its consumer: a node joins its input's group when it is
// visited, but if only a later group reads its result, computing it there
// saves writing and reading it back (the ensemble step's 1 - tanh^2 joins
// the forward's tanh group, then only the backward's product reads it). A
// member moves when every reader of its result is in the other group, each
// of its inputs is a value the other group has, a graph input or constant,
// or a value some other node reads anyway (no new fused output), and the
// move makes no cycle.
void sink_into_consumers(const Graph& g, const std::vector<int64_t>& producer,
                         std::vector<int64_t>& group_of,
                         std::vector<Group>& groups) {
  std::vector<std::vector<int64_t>> readers(g.values.size());
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    for (int32_t v : g.nodes[i].inputs) {
      if (v >= 0) readers[v].push_back(static_cast<int64_t>(i));
    }
  }
  std::vector<char> returned(g.values.size(), 0);
  for (int32_t v : g.outputs) {
    if (v >= 0) returned[v] = 1;
  }
  // Moves m, with the members of its group that only it (and what moves)
  // reads, into group `to`.
  auto try_move = [&](int64_t m, int64_t to) {
    const int64_t from = group_of[m];
    Group& src = groups[from];
    Group& dst = groups[to];
    if (src.shape != dst.shape || !(src.device == dst.device)) return false;
    auto first_of_src = [&](int64_t x) {
      return src.members.front() == static_cast<std::size_t>(x);
    };
    std::vector<int64_t> moving = {m};
    auto in_moving = [&](int64_t x) {
      return std::find(moving.begin(), moving.end(), x) != moving.end();
    };
    // Whether only `to` and the moving nodes read x's result.
    auto only_fed = [&](int64_t x) {
      const int32_t out = g.nodes[x].outputs[0];
      if (returned[out]) return false;
      for (int64_t r : readers[out]) {
        if (group_of[r] != to && !in_moving(r)) return false;
      }
      return true;
    };
    if (first_of_src(m) || !only_fed(m)) return false;
    for (std::size_t k = 0; k < moving.size(); ++k) {
      for (int32_t v : g.nodes[moving[k]].inputs) {
        const int64_t p = producer[v];
        if (p >= 0 && group_of[p] == from && !first_of_src(p) &&
            !in_moving(p) && only_fed(p)) {
          moving.push_back(p);
        }
      }
    }
    // What the moved nodes read from outside `to` must exist anyway.
    std::vector<int64_t> outside;
    for (int64_t x : moving) {
      for (int32_t v : g.nodes[x].inputs) {
        const int64_t p = producer[v];
        if (p < 0 || group_of[p] == to || in_moving(p)) continue;
        if (group_of[p] >= 0) {
          bool kept = returned[v] != 0;
          for (int64_t r : readers[v]) {
            kept = kept || (group_of[r] != group_of[p] && !in_moving(r));
          }
          if (!kept) return false;
        }
        outside.push_back(p);
      }
    }
    if (depends_on_group(g, producer, group_of, groups, to, outside)) {
      return false;
    }
    for (int64_t x : moving) {
      const auto ux = static_cast<std::size_t>(x);
      src.members.erase(std::find(src.members.begin(), src.members.end(), ux));
      dst.members.insert(
          std::lower_bound(dst.members.begin(), dst.members.end(), ux), ux);
      group_of[x] = to;
    }
    dst.first = dst.members.front();
    return true;
  };
  // Readers first: moving a member can let the one feeding it follow.
  for (bool moved = true; moved;) {
    moved = false;
    for (std::size_t h = 0; h < groups.size(); ++h) {
      if (groups[h].members.size() < 2) continue;
      std::vector<int64_t> feeding;
      for (std::size_t r : groups[h].members) {
        for (int32_t v : g.nodes[r].inputs) {
          const int64_t p = v >= 0 ? producer[v] : -1;
          if (p >= 0 && group_of[p] >= 0 &&
              group_of[p] != static_cast<int64_t>(h)) {
            feeding.push_back(p);
          }
        }
      }
      for (int64_t m : feeding) {
        if (group_of[m] != static_cast<int64_t>(h) &&
            try_move(m, static_cast<int64_t>(h))) {
          moved = true;
        }
      }
    }
  }
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
      std::vector<int64_t> outside;
      for (int32_t v : node.inputs) {
        const int64_t p = producer[v];
        if (p >= 0 && group_of[p] != gi) outside.push_back(p);
      }
      return !depends_on_group(g, producer, group_of, groups, gi, outside);
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
  sink_into_consumers(g, producer, group_of, groups);
  // Then the first reduction of each group's value over a block of the
  // group shape's dims ends the group, when it comes after every member: no
  // member can then read its result, directly or not.
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    const Graph::Node& node = g.nodes[i];
    if (!fusible_reduction(g, node)) continue;
    const int64_t p = producer[node.inputs[0]];
    const int64_t gi = p >= 0 ? group_of[p] : -1;
    if (gi >= 0 && !groups[gi].closed && groups[gi].members.back() < i &&
        groups[gi].shape == g.values[node.inputs[0]].shape) {
      group_of[i] = gi;
      groups[gi].members.push_back(i);
      groups[gi].closed = true;
    }
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
  // Units to emit: a fused group (of two nodes or more) or one node, keyed
  // by the index of its first node. Emitted in dependency order, smallest
  // key first among the ready ones: the original order wherever no group
  // reads a value computed after its first member.
  const std::size_t n = g.nodes.size();
  std::vector<int64_t> unit_of(n);
  for (std::size_t i = 0; i < n; ++i) {
    const int64_t gi = group_of[i];
    unit_of[i] = gi >= 0 && groups[gi].members.size() >= 2
                     ? static_cast<int64_t>(groups[gi].first)
                     : static_cast<int64_t>(i);
  }
  int64_t units = 0;
  for (std::size_t i = 0; i < n; ++i) {
    units += unit_of[i] == static_cast<int64_t>(i);
  }
  std::vector<int64_t> waiting(n, 0);
  std::vector<std::vector<int64_t>> readers(n);
  for (std::size_t i = 0; i < n; ++i) {
    for (int32_t v : g.nodes[i].inputs) {
      if (v < 0 || producer[v] < 0) continue;
      const int64_t from = unit_of[producer[v]], to = unit_of[i];
      if (from == to) continue;
      readers[from].push_back(to);
      ++waiting[to];
    }
  }
  std::priority_queue<int64_t, std::vector<int64_t>, std::greater<>> ready;
  for (std::size_t i = 0; i < n; ++i) {
    if (unit_of[i] == static_cast<int64_t>(i) && waiting[i] == 0) {
      ready.push(static_cast<int64_t>(i));
    }
  }
  std::vector<Graph::Node> nodes;
  while (!ready.empty()) {
    const int64_t u = ready.top();
    ready.pop();
    const int64_t gi = group_of[u];
    if (gi >= 0 && groups[gi].members.size() >= 2) {
      nodes.push_back(fuse(g, groups[gi], used_outside));
    } else {
      nodes.push_back(std::move(g.nodes[u]));
    }
    for (int64_t r : readers[u]) {
      if (--waiting[r] == 0) ready.push(r);
    }
  }
  FNX_CHECK(static_cast<int64_t>(nodes.size()) == units, "compile",
            "elementwise fusion made a cycle (an fnx bug)");
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
    if (prog.reduction.has_value() && value[prog.reduction->reg] < 0) {
      value[prog.reduction->reg] = node.fused_reduced_value;
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
    if (prog.reduction.has_value()) {
      const FusedReduction& red = *prog.reduction;
      out.nodes.push_back(Graph::Node{
          red.prim, red.attrs, {value[red.reg]}, {node.outputs.back()}});
    }
  }
  return out;
}

}  // namespace fnx::compile_internal
