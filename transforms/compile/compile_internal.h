// The compile plugin's internal interfaces: tracing, the executor, the
// passes, and the compiled call (a custom_call whose rules are graphs).
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/custom_function.h"
#include "core/tensor.h"
#include "transforms/compile/compile_entry.h"
#include "transforms/compile/graph.h"

namespace fnx::compile_internal {

using FlatFn = std::function<TensorList(std::span<const Tensor>)>;

// ---- tracing (trace.cc) ----
struct Traced {
  std::shared_ptr<Graph> graph;
  TensorList outputs;  // the values the traced run computed
  // False when the graph holds a tensor of a live transform level as a
  // constant (a value valid for this call only).
  bool cacheable = true;
};
// Traces functionalize(body) on `inputs` into a graph, running it once.
Traced trace(const FlatFn& body, std::span<const Tensor> inputs,
             const std::string& name);
// Total traces on this process (tests).
int64_t total_traces();
// Whether a trace is in progress on this thread: a compiled function called
// inside runs its graph's nodes there, so they join the outer graph.
bool tracing();

// ---- the executor (executor.cc) ----
// A graph ready to run: when each value is last used, so that it is
// released as soon as possible (peak memory no higher than eager).
struct Executable {
  std::shared_ptr<const Graph> graph;
  std::vector<std::vector<int32_t>> release_after;  // per node
};
std::shared_ptr<const Executable> make_executable(
    std::shared_ptr<const Graph> graph);
// Runs every node in order through dispatch (no interpreter of its own);
// random nodes reserve fresh counters from the default generator.
TensorList run_graph(const Executable& exe, std::span<const Tensor> inputs);

// ---- text (graph_text.cc) ----
std::string attrs_text(const Attrs& attrs);  // "dims=[1] keepdim=0" or ""
std::string graph_text(const Graph& graph);

// ---- passes (passes.cc) ----
void eliminate_dead_code(Graph& graph);
void eliminate_common_subexpressions(Graph& graph);
void fold_creation_constants(Graph& graph);
// Matmuls whose left operand is a (scaled) block of identity rows become
// row selections (basis_products.cc); reads only the constants from
// first_folded on (those fold_creation_constants made).
void simplify_basis_products(Graph& graph, std::size_t first_folded);
// permute(matmul(a, b)) over the last two dims, where nothing else reads
// the product, becomes matmul(permute(b), permute(a)): written in the
// layout it is read in (transposed_products.cc).
void compute_transposed_products(Graph& graph);
// Values numbered in order: constants, inputs, node outputs.
void renumber(Graph& graph);
void optimize(Graph& graph);  // all of the above, in order
// Groups elementwise chains into fused nodes (fusion.cc); last.
void fuse_elementwise(Graph& graph);
// The same graph with every fused node expanded back into its primitives.
Graph unfuse(const Graph& graph);

// ---- the compiled call (graph_function.cc) ----
// The custom function that runs `exe` as one custom_call; its vmap, jvp and
// vjp rules are graphs traced from the transformed graph, cached.
std::shared_ptr<const CustomFunction> graph_function(
    std::shared_ptr<const Executable> exe, const std::string& name);

// ---- flat compiled functions (compiled.cc) ----
// A compiled function over flat lists of tensors, as the rules use.
class FlatCompiled {
 public:
  FlatCompiled(FlatFn body, std::string name);
  TensorList operator()(std::span<const Tensor> inputs) const;

 private:
  std::shared_ptr<CompiledState> state_;
  FlatFn body_;
};

}  // namespace fnx::compile_internal
