// What the thin compile API (compile.h) and the compile plugin share: the
// options, the entry point the plugin registers as the transform "compile",
// and the flat call the header makes. The header flattens the user's trees
// into leaves and describes the static part of the call; the plugin keeps
// the cache of traced graphs, traces on a miss and runs the graph on a hit.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/registry.h"
#include "core/tensor.h"
#include "transforms/compile/graph.h"

namespace fnx {

struct CompileOptions {
  // Named in messages and in printed graphs.
  std::string name = "compiled";
  // Run the graph passes (dead code, common subexpressions, constant
  // folding of creation ops) after tracing.
  bool optimize = true;
  // Fuse chains of elementwise nodes into one pass over memory where the
  // device's backend can run them (the CPU backend does).
  bool fuse = true;
  // Print why a call traced again (which part of the signature changed).
  bool explain_retraces = false;
};

namespace compile_internal {

inline constexpr int kEntryVersion = 1;

// The plugin's state of one compiled function (its cache); opaque here.
struct CompiledState;

// One call of a compiled function, flattened.
struct FlatCall {
  std::span<const Tensor> leaves;
  // The static part of the signature: tree structure and the values of
  // non-tensor arguments the header can read.
  std::string static_key;
  // Each leaf's name for retrace explanations ("argument 0 at [1]"),
  // computed only when one is printed.
  std::function<std::vector<std::string>()> leaf_names;
  // Runs the function on the leaves and flattens its result; `user` is set
  // to what the header needs to rebuild the output tree.
  std::function<std::vector<Tensor>(std::span<const Tensor>,
                                    std::shared_ptr<void>& user)>
      body;
};

struct Entry {
  int version = kEntryVersion;
  std::shared_ptr<CompiledState> (*make)(const CompileOptions& options) =
      nullptr;
  // Runs the call (tracing on a cache miss); `user` is the cache entry's.
  std::vector<Tensor> (*call)(CompiledState& state, const FlatCall& call,
                              std::shared_ptr<void>& user) = nullptr;
  // The graph for the call's signature (tracing it if needed).
  std::shared_ptr<const Graph> (*graph)(CompiledState& state,
                                        const FlatCall& call) = nullptr;
  // How many times the function was traced; the last retrace's reason.
  int64_t (*trace_count)(const CompiledState& state) = nullptr;
  std::string (*last_retrace)(const CompiledState& state) = nullptr;
  std::string (*to_string)(const Graph& graph) = nullptr;
  // Calls a graph as one compiled call (what a loaded graph does).
  std::vector<Tensor> (*call_graph)(const std::shared_ptr<const Graph>& graph,
                                    std::span<const Tensor> inputs) = nullptr;
  // Every trace in this process, the rules' graphs included.
  int64_t (*total_traces)() = nullptr;
};

// The plugin's entry point, found in the registry at call time.
inline const Entry& entry() {
  static std::atomic<const Entry*> cached{nullptr};
  const Entry* e = cached.load(std::memory_order_acquire);
  if (e == nullptr) {
    e = static_cast<const Entry*>(Registry::get().transform("compile"));
    FNX_CHECK(e != nullptr, "compile",
              "the compile plugin is not linked or loaded; depend on "
              "//transforms/compile or load libfnx_compile.so");
    FNX_CHECK(e->version == kEntryVersion, "compile",
              "the loaded compile plugin has entry version ", e->version,
              " but this program was built against version ", kEntryVersion,
              "; rebuild libfnx_compile.so with the same fnx");
    cached.store(e, std::memory_order_release);
  }
  return *e;
}

}  // namespace compile_internal

inline std::string Graph::to_string() const {
  return compile_internal::entry().to_string(*this);
}

}  // namespace fnx
