// Running a graph: each node's primitive dispatched in order on the values
// it reads. No interpreter of its own: with no transform active every node
// takes dispatch's fast path. Each value is released right after its last
// use, so the graph never holds more than eager code would.
#include <memory>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "core/dispatch.h"
#include "core/error.h"
#include "core/fused_elementwise.h"
#include "core/generator.h"
#include "core/interpreter.h"
#include "transforms/compile/compile_internal.h"

namespace fnx::compile_internal {

std::shared_ptr<const Executable> make_executable(
    std::shared_ptr<const Graph> graph) {
  auto exe = std::make_shared<Executable>();
  const Graph& g = *graph;
  std::vector<int64_t> last_use(g.values.size(), -1);
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    for (int32_t v : g.nodes[i].inputs) {
      if (v >= 0) last_use[v] = static_cast<int64_t>(i);
    }
  }
  // A value nothing reads is released right after the node making it.
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    for (int32_t v : g.nodes[i].outputs) {
      if (v >= 0 && last_use[v] < 0) last_use[v] = static_cast<int64_t>(i);
    }
  }
  // Outputs live to the end.
  for (int32_t v : g.outputs) {
    if (v >= 0) last_use[v] = static_cast<int64_t>(g.nodes.size());
  }
  exe->release_after.resize(g.nodes.size());
  for (std::size_t v = 0; v < last_use.size(); ++v) {
    const int64_t at = last_use[v];
    if (at >= 0 && at < static_cast<int64_t>(g.nodes.size())) {
      exe->release_after[at].push_back(static_cast<int32_t>(v));
    }
  }
  exe->graph = std::move(graph);
  return exe;
}

namespace {

// A fused group: one pass through the device's fused runner when nothing
// transforms its inputs; otherwise (under a transform, or on a device with
// no runner, or one that cannot run the group's reduction) its primitives
// one by one, which computes the same values (sums up to rounding).
std::vector<Tensor> run_fused_node(const FusedProgram& prog,
                                   std::span<const Tensor> inputs) {
  bool dense = interpreter_depth() == 0;
  for (const Tensor& t : inputs) dense = dense && !t.is_wrapper();
  if (dense && fused_runner_runs(prog)) {
    return run_fused(prog, inputs);
  }
  return run_fused_primitives(prog, inputs);
}

}  // namespace

TensorList run_graph(const Executable& exe, std::span<const Tensor> inputs) {
  const Graph& g = *exe.graph;
  FNX_CHECK(inputs.size() == g.inputs.size(), "compile", "the graph takes ",
            g.inputs.size(), " input tensors but was called with ",
            inputs.size());
  std::vector<Tensor> env(g.values.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (g.inputs[i] >= 0) env[g.inputs[i]] = inputs[i];
  }
  for (const Graph::Constant& c : g.constants) env[c.value] = c.tensor;
  absl::InlinedVector<Tensor, 4> args;
  for (std::size_t i = 0; i < g.nodes.size(); ++i) {
    const Graph::Node& node = g.nodes[i];
    args.clear();
    for (int32_t v : node.inputs) args.push_back(v >= 0 ? env[v] : Tensor());
    const std::span<const Tensor> in(args.data(), args.size());
    if (node.fused != nullptr) {
      std::vector<Tensor> outs = run_fused_node(*node.fused, in);
      for (std::size_t k = 0; k < node.outputs.size(); ++k) {
        env[node.outputs[k]] = std::move(outs[k]);
      }
    } else if (is_higher_order(node.prim)) {
      std::vector<Tensor> outs =
          dispatch_higher_order(node.prim, node.attrs, in);
      for (std::size_t k = 0; k < node.outputs.size() && k < outs.size(); ++k) {
        if (node.outputs[k] >= 0) env[node.outputs[k]] = std::move(outs[k]);
      }
    } else if (prim_info(node.prim).family == PrimFamily::Random) {
      // Fresh counters on every call, as the eager op reserves them.
      RandomAttrs attrs = std::get<RandomAttrs>(node.attrs);
      const Generator::Key key = default_generator().reserve(
          static_cast<uint64_t>(numel(attrs.shape)));
      attrs.seed = key.seed;
      attrs.offset = key.offset;
      env[node.outputs[0]] = dispatch(node.prim, Attrs(attrs), in);
    } else {
      env[node.outputs[0]] = dispatch(node.prim, node.attrs, in);
    }
    for (int32_t v : exe.release_after[i]) env[v] = Tensor();
  }
  TensorList out;
  out.reserve(g.outputs.size());
  for (int32_t v : g.outputs) out.push_back(v >= 0 ? env[v] : Tensor());
  return out;
}

}  // namespace fnx::compile_internal
