// compile: trace a function once per input signature into a graph, optimize
// it, and run the graph on later calls (jax.jit, mx.compile,
// torch.compile).
//
//   auto f = compile([](const Tensor& x) { return gelu(x) * 2.0; });
//   Tensor y = f(x);                     // traces, runs
//   Tensor z = f(x2);                    // same shape/dtype/device: no trace
//   std::cout << make_graph(g)(x)->to_string();   // the graph (make_jaxpr)
//
// The signature is the tree structure of the arguments, each tensor leaf's
// shape, dtype and device, and the values of non-tensor arguments that are
// numbers, bools or strings (other static data must not change between
// calls). The function is traced under functionalize, so in-place code
// becomes pure nodes. Reading a value while tracing (item(), printing) is an
// fnx::Error: move it out of the compiled function. Tensors the function
// captures become constants of the graph, held by reference. Random ops
// draw fresh counters from the default generator on every call, as eager
// code does: the same seed gives the same numbers compiled and eager.
//
// A call of a compiled function is one custom_call primitive, so vmap,
// grad, jvp and compile of a compiled function stay compiled: each rule is
// a graph traced from the transformed graph, cached per signature.
//
// This header is thin: the implementation is the compile plugin
// (//transforms/compile, or libfnx_compile.so at run time).
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/str_cat.h"
#include "core/tensor.h"
#include "core/tree.h"
#include "core/tree_paths.h"
#include "transforms/compile/compile_entry.h"

namespace fnx {
namespace compile_internal {

// The value of a non-tensor argument, where it can be read.
template <typename A>
void append_static(std::string& key, const A& arg) {
  using U = std::remove_cvref_t<A>;
  if constexpr (std::is_arithmetic_v<U> || std::is_enum_v<U>) {
    key += str_cat(arg, ",");
  } else if constexpr (std::is_convertible_v<const U&, std::string_view>) {
    key += str_cat("\"", std::string_view(arg), "\",");
  } else {
    key += "?,";
  }
}

template <typename... Args>
std::string static_key(const Args&... args) {
  std::string key = tree_structure(std::tuple<const Args&...>(args...));
  key += "|";
  (append_static(key, args), ...);
  return key;
}

template <typename... Args>
std::vector<std::string> leaf_names(const Args&... args) {
  std::vector<std::string> names;
  int index = 0;
  auto add = [&](const auto& arg) {
    using A = std::remove_cvref_t<decltype(arg)>;
    if constexpr (is_tree_v<A>) {
      for (const std::string& path : tree_leaf_paths(arg)) {
        names.push_back(path.empty()
                            ? str_cat("argument ", index)
                            : str_cat("argument ", index, " at ", path));
      }
    }
    ++index;
  };
  (add(args), ...);
  return names;
}

}  // namespace compile_internal

template <typename F>
class Compiled {
 public:
  Compiled(F f, CompileOptions options)
      : f_(std::make_shared<F>(std::move(f))),
        state_(compile_internal::entry().make(options)) {}

  template <typename... Args>
  auto operator()(const Args&... args) const {
    using R = std::remove_cvref_t<std::invoke_result_t<F&, const Args&...>>;
    std::vector<Tensor> leaves;
    std::shared_ptr<void> user;
    const std::vector<Tensor> out = compile_internal::entry().call(
        *state_, flat_call(leaves, args...), user);
    return tree_unflatten(*std::static_pointer_cast<const R>(user), out);
  }

  // The graph traced for these arguments (make_graph).
  template <typename... Args>
  std::shared_ptr<const Graph> graph(const Args&... args) const {
    std::vector<Tensor> leaves;
    return compile_internal::entry().graph(*state_, flat_call(leaves, args...));
  }

  // How many times the function was traced (a call that reuses a graph
  // does not trace).
  int64_t trace_count() const {
    return compile_internal::entry().trace_count(*state_);
  }
  // Why the last retrace happened ("argument 0: shape [3] -> [4]"), or empty.
  std::string last_retrace() const {
    return compile_internal::entry().last_retrace(*state_);
  }

 private:
  template <typename... Args>
  compile_internal::FlatCall flat_call(std::vector<Tensor>& leaves,
                                       const Args&... args) const {
    using R = std::remove_cvref_t<std::invoke_result_t<F&, const Args&...>>;
    static_assert(is_tree_v<R>,
                  "compile: the function must return a tree of tensors "
                  "(Tensor, std::vector, std::tuple, ParamDict, "
                  "FNX_TREE_STRUCT...)");
    using Seq = std::index_sequence_for<Args...>;
    std::array<std::size_t, sizeof...(Args) + 1> starts{};
    collect(leaves, starts, Seq{}, args...);
    compile_internal::FlatCall call;
    call.leaves = leaves;
    call.static_key = compile_internal::static_key(args...);
    call.leaf_names = [&] { return compile_internal::leaf_names(args...); };
    call.body = [f = f_, starts, &args...](std::span<const Tensor> inner,
                                           std::shared_ptr<void>& user) {
      R result = tree_invoke_rebuilt(*f, inner, starts, args...);
      std::vector<Tensor> out = tree_flatten(result);
      user = std::make_shared<R>(tree_structure_only(result));
      return out;
    };
    return call;
  }

  template <std::size_t... I, typename... Args>
  static void collect(
      [[maybe_unused]] std::vector<Tensor>& leaves,
      [[maybe_unused]] std::array<std::size_t, sizeof...(Args) + 1>& starts,
      std::index_sequence<I...>, const Args&... args) {
    ((starts[I] = leaves.size(), add_leaves(leaves, args)), ...);
  }

  template <typename A>
  static void add_leaves(std::vector<Tensor>& leaves, const A& arg) {
    if constexpr (is_tree_v<A>) tree_flatten_into(arg, leaves);
  }

  std::shared_ptr<F> f_;
  std::shared_ptr<compile_internal::CompiledState> state_;
};

template <typename F>
Compiled<std::decay_t<F>> compile(F&& f, CompileOptions options = {}) {
  return Compiled<std::decay_t<F>>(std::forward<F>(f), std::move(options));
}

// How many traces this process has made, the graphs of compiled rules
// (vmap, jvp, vjp of a compiled function) included: a call that runs cached
// graphs only does not change it.
inline int64_t compile_trace_count() {
  return compile_internal::entry().total_traces();
}

// make_graph(f)(args...): the graph compile(f) traces for these arguments
// (jax.make_jaxpr), printable with ->to_string().
template <typename F>
auto make_graph(F&& f, CompileOptions options = {}) {
  return [c = compile(std::forward<F>(f), std::move(options))](
             const auto&... args) { return c.graph(args...); };
}

}  // namespace fnx
