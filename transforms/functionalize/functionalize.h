// functionalize: runs a function with its in-place ops (and, optionally,
// its views) removed, as torch.func.functionalize.
//
//   auto f = [](Tensor x) {
//     Tensor y = x.clone();
//     y.slice(0, 1, 3).mul_(2.0);  // in place, through a view
//     x.add_(1.0);                 // mutates the input
//     return y;
//   };
//   Tensor y = functionalize(f)(x);  // same y; x mutated once, at the end
//   auto g = functionalize(f, {.remove = Remove::mutations_and_views});
//
// Inside, every in-place op (copy_, add_, mul_, fill_, index_put_, ...;
// all are copy_ of an out-of-place result) runs out of place and its result
// is written back through the chain of views to the base it aliases, so
// every view of that base sees it; only pure ops reach the levels below.
// That is what lets in-place code run under vmap (writing a per-example
// value into a buffer created inside the mapped function) and under grad.
// Arguments and results are trees as for vmap; take tensor arguments by
// value or const reference (a handle copy writes the same tensor).
// Writes into tensors captured from outside the function are not
// functionalized: they mutate that tensor directly, as in torch.
//
// This header is thin: the implementation is the functionalize plugin
// (//transforms/functionalize, or libfnx_functionalize.so at run time).
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/tensor.h"
#include "core/tree.h"
#include "transforms/functionalize/functionalize_entry.h"

namespace fnx {

template <typename F>
class Functionalized {
 public:
  Functionalized(F f, FunctionalizeOptions options)
      : f_(std::move(f)), options_(options) {}

  template <typename... Args>
  auto operator()(const Args&... args) const {
    using R = std::remove_cvref_t<std::invoke_result_t<F&, const Args&...>>;
    static_assert(is_tree_v<R>,
                  "functionalize: the function must return a tree of tensors "
                  "(Tensor, std::vector, std::tuple, ParamDict, "
                  "FNX_TREE_STRUCT...)");
    using Seq = std::index_sequence_for<Args...>;
    std::vector<Tensor> leaves;
    std::array<std::size_t, sizeof...(Args) + 1> starts{};
    collect(leaves, starts, Seq{}, args...);
    std::optional<R> like;
    auto body = [&](std::span<const Tensor> inner, std::vector<Tensor>& out) {
      R result = tree_invoke_rebuilt(f_, inner, starts, args...);
      out.clear();
      tree_flatten_into(result, out);
      like.emplace(std::move(result));
    };
    std::vector<Tensor> out = functionalize_detail::entry().run(
        leaves, options_, functionalize_detail::BodyRef::of(body));
    return tree_unflatten(*like, out);
  }

 private:
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

  mutable F f_;  // a mutable lambda may keep state between calls
  FunctionalizeOptions options_;
};

template <typename F>
Functionalized<std::decay_t<F>> functionalize(
    F&& f, FunctionalizeOptions options = {}) {
  return Functionalized<std::decay_t<F>>(std::forward<F>(f), options);
}

}  // namespace fnx
