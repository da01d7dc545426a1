// Exported graphs: a compiled function's graph written to a file
// (transforms/compile/graph.proto, README.md) and loaded back as a callable
// that vmap, grad, jvp and compile accept, like the compiled function it
// came from (JAX's exported functions cannot be transformed after
// loading).
//
//   auto graph = make_graph(f)(x, y);
//   absl::Status s = save_graph(*graph, "/tmp/f.fnxgraph");
//   absl::StatusOr<LoadedGraph> g = load_graph("/tmp/f.fnxgraph");
//   std::vector<Tensor> out = (*g)({x, y});
//   auto per_example = vmap(*g)(std::vector<Tensor>{xs, ys});
//   absl::StatusOr<LoadedGraph> on_gpu =
//       load_graph("/tmp/f.fnxgraph", Device::cuda());  // placed on cuda:0
//
// Files of another format version, unknown primitives or attributes, and
// corrupt or truncated files are an absl::Status error, never a crash.
// Graphs calling a user's custom function cannot be exported. Graphs on
// any device can: constants are written from the CPU, and the devices are
// recorded ("cpu", "cuda:0").
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/custom_function.h"
#include "core/tensor.h"
#include "transforms/compile/graph.h"

namespace fnx {

inline constexpr uint32_t kGraphFormatVersion = 1;

// A loaded graph, called on the list of its input tensors: one compiled
// call (a custom_call whose rules are compiled graphs).
class LoadedGraph {
 public:
  LoadedGraph(std::shared_ptr<const Graph> graph,
              std::shared_ptr<const CustomFunction> fn)
      : graph_(std::move(graph)), fn_(std::move(fn)) {}
  std::vector<Tensor> operator()(const std::vector<Tensor>& inputs) const {
    return custom_call(fn_, inputs);
  }
  const Graph& graph() const { return *graph_; }

 private:
  std::shared_ptr<const Graph> graph_;
  std::shared_ptr<const CustomFunction> fn_;
};

absl::StatusOr<std::string> serialize_graph(const Graph& graph);
absl::StatusOr<std::shared_ptr<const Graph>> parse_graph(
    std::string_view bytes);
absl::Status save_graph(const Graph& graph, const std::string& path);
// Loads a graph where the file says its values live (a graph traced on
// cuda:0 runs on cuda:0); a device this program cannot use (no GPU, no
// CUDA backend) is an error naming it.
absl::StatusOr<LoadedGraph> load_graph(const std::string& path);
// Loads a graph to run on `device` whatever device it was saved from:
// every value, constant and device attribute is placed there. A graph that
// spans several devices is refused (load it without a device).
absl::StatusOr<LoadedGraph> load_graph(const std::string& path, Device device);
// The same graph placed on `device` (as load_graph(path, device)).
absl::StatusOr<std::shared_ptr<const Graph>> place_graph(const Graph& graph,
                                                         Device device);
// The callable of a graph (parsed, or traced by make_graph).
LoadedGraph graph_callable(std::shared_ptr<const Graph> graph);

}  // namespace fnx
