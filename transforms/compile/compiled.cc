// A compiled function's cache: one graph per signature (the static key from
// the header, and each leaf's shape, dtype and device). A hit runs the
// graph as one compiled call; a miss traces, explaining what changed when
// the function was traced before.
#include <iostream>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "core/error.h"
#include "core/registry.h"
#include "core/str_cat.h"
#include "transforms/compile/compile_entry.h"
#include "transforms/compile/compile_internal.h"

namespace fnx::compile_internal {

struct LeafSignature {
  bool defined = false;
  Shape shape;
  DType dtype = DType::Float32;
  Device device;
  bool operator==(const LeafSignature&) const = default;
};

struct Signature {
  std::string static_key;
  std::vector<LeafSignature> leaves;

  std::string key() const {
    std::string out = static_key;
    for (const LeafSignature& l : leaves) {
      out += l.defined ? str_cat("|", static_cast<int>(l.dtype), "@",
                                 l.device.str(), shape_str(l.shape))
                       : std::string("|_");
    }
    return out;
  }
};

struct CacheEntry {
  Signature signature;
  std::shared_ptr<const Executable> exe;
  std::shared_ptr<const CustomFunction> fn;
  std::shared_ptr<void> user;
};

struct CompiledState {
  CompileOptions options;
  std::mutex mutex;
  std::unordered_map<std::string, std::shared_ptr<const CacheEntry>> cache;
  std::shared_ptr<const CacheEntry> latest;
  int64_t traces = 0;
  std::string last_retrace;
};

namespace {

Signature signature_of(const FlatCall& call) {
  Signature s;
  s.static_key = call.static_key;
  for (const Tensor& t : call.leaves) {
    LeafSignature l;
    if (t.defined()) l = LeafSignature{true, t.shape(), t.dtype(), t.device()};
    s.leaves.push_back(std::move(l));
  }
  return s;
}

std::string leaf_text(const LeafSignature& l) {
  return l.defined ? str_cat(dtype_name(l.dtype), shape_str(l.shape), " on ",
                             l.device.str())
                   : std::string("undefined");
}

// What differs between the signature traced last and this one.
std::string explain(const Signature& before, const Signature& now,
                    const FlatCall& call) {
  if (before.static_key != now.static_key ||
      before.leaves.size() != now.leaves.size()) {
    return str_cat("the argument structure or non-tensor arguments changed: ",
                   before.static_key, " -> ", now.static_key);
  }
  const std::vector<std::string> names =
      call.leaf_names ? call.leaf_names() : std::vector<std::string>{};
  for (std::size_t i = 0; i < now.leaves.size(); ++i) {
    const LeafSignature& a = before.leaves[i];
    const LeafSignature& b = now.leaves[i];
    if (a == b) continue;
    const std::string who = i < names.size() ? names[i] : str_cat("leaf ", i);
    if (a.defined && b.defined) {
      if (a.shape != b.shape) {
        return str_cat(who, ": shape ", shape_str(a.shape), " -> ",
                       shape_str(b.shape));
      }
      if (a.dtype != b.dtype) {
        return str_cat(who, ": dtype ", dtype_name(a.dtype), " -> ",
                       dtype_name(b.dtype));
      }
      return str_cat(who, ": device ", a.device.str(), " -> ", b.device.str());
    }
    return str_cat(who, ": ", leaf_text(a), " -> ", leaf_text(b));
  }
  return "the signature changed";
}

std::shared_ptr<const CacheEntry> trace_entry(CompiledState& state,
                                              const FlatCall& call,
                                              Signature signature,
                                              TensorList* outputs) {
  std::shared_ptr<void> user;
  const FlatFn body = [&](std::span<const Tensor> leaves) {
    return call.body(leaves, user);
  };
  Traced traced = trace(body, call.leaves, state.options.name);
  if (state.options.optimize) {
    optimize(*traced.graph);
  } else {
    renumber(*traced.graph);
  }
  if (state.options.fuse) fuse_elementwise(*traced.graph);
  auto entry = std::make_shared<CacheEntry>();
  entry->signature = std::move(signature);
  entry->exe = make_executable(traced.graph);
  entry->fn = graph_function(entry->exe, state.options.name);
  entry->user = std::move(user);
  if (outputs != nullptr) *outputs = std::move(traced.outputs);
  std::lock_guard<std::mutex> lock(state.mutex);
  ++state.traces;
  if (traced.cacheable) {
    state.cache[entry->signature.key()] = entry;
    state.latest = entry;
  }
  return entry;
}

// The cached signature this one differs least from (the latest on ties).
const Signature& closest(const CompiledState& state, const Signature& now) {
  const Signature* best = &state.latest->signature;
  std::size_t best_diff = static_cast<std::size_t>(-1);
  for (const auto& [key, entry] : state.cache) {
    const Signature& s = entry->signature;
    if (s.static_key != now.static_key ||
        s.leaves.size() != now.leaves.size()) {
      continue;
    }
    std::size_t diff = 0;
    for (std::size_t i = 0; i < s.leaves.size(); ++i) {
      const LeafSignature& a = s.leaves[i];
      const LeafSignature& b = now.leaves[i];
      diff += (a.defined != b.defined) + (a.shape != b.shape) +
              (a.dtype != b.dtype) + (a.device != b.device);
    }
    if (diff < best_diff || (diff == best_diff && entry == state.latest)) {
      best = &s;
      best_diff = diff;
    }
  }
  return *best;
}

// The cached entry for the call, or null after recording why it retraces.
std::shared_ptr<const CacheEntry> lookup(CompiledState& state,
                                         const FlatCall& call,
                                         const Signature& signature) {
  std::lock_guard<std::mutex> lock(state.mutex);
  const auto it = state.cache.find(signature.key());
  if (it != state.cache.end()) return it->second;
  if (state.latest != nullptr) {
    state.last_retrace = explain(closest(state, signature), signature, call);
    if (state.options.explain_retraces) {
      std::cerr << "[compile] '" << state.options.name
                << "' traced again: " << state.last_retrace << "\n";
    }
  }
  return nullptr;
}

std::shared_ptr<CompiledState> make_state(const CompileOptions& options) {
  auto state = std::make_shared<CompiledState>();
  state->options = options;
  return state;
}

TensorList call(CompiledState& state, const FlatCall& call,
                std::shared_ptr<void>& user) {
  Signature signature = signature_of(call);
  if (auto hit = lookup(state, call, signature)) {
    user = hit->user;
    // Inside another trace the graph's nodes join the outer graph.
    if (tracing()) return run_graph(*hit->exe, call.leaves);
    return custom_call(hit->fn, call.leaves);
  }
  TensorList outputs;
  auto entry = trace_entry(state, call, std::move(signature), &outputs);
  user = entry->user;
  return outputs;
}

std::shared_ptr<const Graph> graph_of(CompiledState& state,
                                      const FlatCall& call) {
  Signature signature = signature_of(call);
  if (auto hit = lookup(state, call, signature)) return hit->exe->graph;
  return trace_entry(state, call, std::move(signature), nullptr)->exe->graph;
}

int64_t trace_count(const CompiledState& state) {
  std::lock_guard<std::mutex> lock(const_cast<std::mutex&>(state.mutex));
  return state.traces;
}

std::string last_retrace(const CompiledState& state) {
  std::lock_guard<std::mutex> lock(const_cast<std::mutex&>(state.mutex));
  return state.last_retrace;
}

TensorList call_graph(const std::shared_ptr<const Graph>& graph,
                      std::span<const Tensor> inputs) {
  return custom_call(graph_function(make_executable(graph), "graph"), inputs);
}

const Entry kEntry{kEntryVersion, &make_state,  &call,
                   &graph_of,     &trace_count, &last_retrace,
                   &graph_text,   &call_graph,  &total_traces};

}  // namespace

FlatCompiled::FlatCompiled(FlatFn body, std::string name)
    : state_(make_state(CompileOptions{std::move(name)})),
      body_(std::move(body)) {}

TensorList FlatCompiled::operator()(std::span<const Tensor> inputs) const {
  FlatCall flat;
  flat.leaves = inputs;
  flat.body = [this](std::span<const Tensor> leaves, std::shared_ptr<void>&) {
    return body_(leaves);
  };
  std::shared_ptr<void> user;
  return call(*state_, flat, user);
}

FNX_REGISTER_PLUGIN("compile") { r.transform("compile", &kEntry); }

}  // namespace fnx::compile_internal
