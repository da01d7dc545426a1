// Tracing: a level under the traced function that records every primitive
// call reaching it as a node of the graph and runs it one level down, so
// that the function sees real values (and the first call's results are the
// eager ones). Values derived from the inputs are wrappers of this level
// whose payload is their value id; any other tensor an op uses is a
// constant (captured).
#include <atomic>
#include <memory>
#include <unordered_map>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "core/dispatch.h"
#include "core/error.h"
#include "core/interpreter.h"
#include "transforms/compile/compile_internal.h"
#include "transforms/functionalize/functionalize_entry.h"

namespace fnx::compile_internal {
namespace {

std::atomic<int64_t> g_traces{0};
thread_local int t_trace_depth = 0;

struct ValueId final : WrapperPayload {
  explicit ValueId(int32_t v) : value(v) {}
  int32_t value;
};

class TraceInterpreter final : public Interpreter {
 public:
  TraceInterpreter(Graph& graph, std::string name)
      : Interpreter("compile"), graph_(graph), name_(std::move(name)) {}

  Tensor input(const Tensor& t) {
    if (!t.defined()) {
      graph_.inputs.push_back(-1);
      return t;
    }
    const int32_t id = graph_.add_value(t.shape(), t.dtype(), t.device());
    graph_.inputs.push_back(id);
    return wrap(t, id);
  }

  // The value id of a tensor an op or the function's result uses.
  int32_t id_of(const Tensor& t) {
    if (!t.defined()) return -1;
    if (owns(t)) return static_cast<const ValueId*>(payload_of(t))->value;
    const auto it = constant_ids_.find(t.impl());
    if (it != constant_ids_.end()) return it->second;
    const int32_t id = graph_.add_value(t.shape(), t.dtype(), t.device());
    graph_.constants.push_back(Graph::Constant{id, t});
    constant_ids_.emplace(t.impl(), id);
    // A wrapper of a live level is this call's value only.
    if (live_level(t) >= 0) cacheable_ = false;
    return id;
  }

  Tensor process(const OpCall& call) override {
    if (call.prim == Prim::CopyInto) {
      fail("compile", "the compiled function '", name_,
           "' writes into a tensor it did not create (an argument or a "
           "captured tensor); return the new value instead");
    }
    absl::InlinedVector<Tensor, 4> inner;
    Graph::Node node{call.prim, call.attrs, {}, {}};
    for (const Tensor& t : call.inputs) {
      node.inputs.push_back(id_of(t));
      inner.push_back(unwrap(t));
    }
    Tensor out =
        dispatch(call.prim, call.attrs, std::span<const Tensor>(inner));
    const int32_t id = graph_.add_value(out.shape(), out.dtype(), out.device());
    node.outputs.push_back(id);
    graph_.nodes.push_back(std::move(node));
    return wrap(std::move(out), id);
  }

  std::vector<Tensor> process_higher_order(const OpCall& call) override {
    // A custom function stays one node, keeping its own rules. (A compiled
    // function called while tracing runs its nodes instead: compiled.cc;
    // a library composite marked compile_inline runs its fwd here.)
    if (call.attr<CustomAttrs>().fn->compile_inline) {
      return Interpreter::process_higher_order(call);
    }
    std::vector<Tensor> inner;
    Graph::Node node{call.prim, call.attrs, {}, {}};
    for (const Tensor& t : call.inputs) {
      node.inputs.push_back(id_of(t));
      inner.push_back(unwrap(t));
    }
    std::vector<Tensor> outs =
        dispatch_higher_order(call.prim, call.attrs, inner);
    for (Tensor& out : outs) {
      if (!out.defined()) {
        node.outputs.push_back(-1);
        continue;
      }
      const int32_t id =
          graph_.add_value(out.shape(), out.dtype(), out.device());
      node.outputs.push_back(id);
      out = wrap(std::move(out), id);
    }
    graph_.nodes.push_back(std::move(node));
    return outs;
  }

  Tensor concrete(const Tensor&, std::string_view what) override {
    fail("compile", "the compiled function '", name_, "' cannot read a value ",
         "while tracing (", what,
         "): the graph is traced once and replayed, so values are not known; "
         "move it out of the compiled function");
  }

  // Creation and random ops become nodes too.
  bool wants_random_ops() const override { return true; }

  bool cacheable() const { return cacheable_; }

 private:
  Tensor wrap(Tensor value, int32_t id) const {
    Shape shape = value.shape();
    const DType dtype = value.dtype();
    return make_wrapper(std::move(value), std::move(shape), dtype,
                        std::make_shared<ValueId>(id));
  }

  Graph& graph_;
  std::string name_;
  std::unordered_map<const TensorImpl*, int32_t> constant_ids_;
  bool cacheable_ = true;
};

}  // namespace

int64_t total_traces() { return g_traces.load(); }

bool tracing() { return t_trace_depth > 0; }

Traced trace(const FlatFn& body, std::span<const Tensor> inputs,
             const std::string& name) {
  g_traces.fetch_add(1);
  Traced traced;
  traced.graph = std::make_shared<Graph>();
  Graph& graph = *traced.graph;
  TraceInterpreter level(graph, name);
  std::vector<Tensor> outs;
  {
    struct Depth {
      Depth() { ++t_trace_depth; }
      ~Depth() { --t_trace_depth; }
    } depth;
    InterpreterScope scope(level);
    std::vector<Tensor> wrapped;
    for (const Tensor& t : inputs) wrapped.push_back(level.input(t));
    auto run = [&](std::span<const Tensor> leaves, std::vector<Tensor>& out) {
      out = body(leaves);
    };
    outs = functionalize_detail::entry().run(
        wrapped, FunctionalizeOptions{},
        functionalize_detail::BodyRef::of(run));
    for (const Tensor& out : outs) {
      graph.outputs.push_back(level.id_of(out));
      traced.outputs.push_back(level.unwrap(out));
    }
  }
  traced.cacheable = level.cacheable();
  return traced;
}

}  // namespace fnx::compile_internal
