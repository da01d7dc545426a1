// vmap: vectorizing map, as torch.func.vmap / jax.vmap, in C++ spelling.
//
//   Tensor d = vmap(dot)(x, y);                      // x, y: (10, 100) -> (10)
//   Tensor g = vmap(loss, {none, 0, 0})(w, xs, ts);  // w shared by all
//                                                    // examples
//   auto f = vmap(g, 0, 0, {.randomness = Randomness::different,
//                           .chunk_size = 64});
//   Tensor s = vmap(sin)(xs);                        // an fnx op by name
//
// vmap(f, in_dims, out_dims, options) returns a callable that maps f over a
// batch dimension of its inputs: in_dims says per argument where that dim
// is (an int, `none`, or a list matching a tree argument: see vmap_dims.h),
// out_dims where to put it in each output. f may take and return trees
// (Tensor, std::vector, std::tuple, ParamDict, FNX_TREE_STRUCT types...);
// non-tensor arguments pass through. Inside f every mapped tensor looks like
// one example (its shape lacks the batch dim); every op runs batched (one
// kernel for the whole batch, never a loop).
//
// This header is thin: the implementation is the vmap plugin
// (//transforms/vmap, or libfnx_vmap.so loaded at run time), found in the
// registry when the mapped function is called.
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/tensor.h"
#include "core/tree.h"
#include "core/tree_paths.h"
#include "transforms/vmap/vmap_dims.h"
#include "transforms/vmap/vmap_entry.h"

namespace fnx {

template <typename F>
class Vmapped {
 public:
  Vmapped(F f, VmapDims in_dims, VmapDims out_dims, VmapOptions options)
      : f_(std::move(f)),
        in_dims_(std::move(in_dims)),
        out_dims_(std::move(out_dims)),
        options_(options) {}

  template <typename... Args>
  auto operator()(const Args&... args) const {
    using R = std::remove_cvref_t<std::invoke_result_t<F&, const Args&...>>;
    static_assert(is_tree_v<R>,
                  "vmap: the function must return a tree of tensors (Tensor, "
                  "std::vector, std::tuple, ParamDict, FNX_TREE_STRUCT...)");
    using Seq = std::index_sequence_for<Args...>;
    vmap_detail::Inputs inputs;
    std::array<std::size_t, sizeof...(Args) + 1> starts{};
    collect(inputs, starts, Seq{}, args...);
    const auto arg_refs = std::tie(args...);
    inputs.leaf_paths = [&arg_refs] {
      std::vector<std::string> paths;
      std::apply(
          [&](const auto&... a) { (tree_leaf_paths_into(a, "", paths), ...); },
          arg_refs);
      return paths;
    };
    std::optional<R> like;
    auto body = [&](std::span<const Tensor> leaves, vmap_detail::Outputs& out) {
      R result = tree_invoke_rebuilt(f_, leaves, starts, args...);
      out.leaves.clear();
      out.dims.clear();
      tree_flatten_into(result, out.leaves);
      vmap_detail::match_dims(result, out_dims_, out.dims, {"out_dims", -1});
      if (!like.has_value()) like.emplace(std::move(result));
    };
    std::vector<Tensor> leaves = vmap_detail::entry().run(
        inputs, options_, vmap_detail::BodyRef::of(body));
    return tree_unflatten(*like, leaves);
  }

 private:
  template <std::size_t... I, typename... Args>
  void collect(
      [[maybe_unused]] vmap_detail::Inputs& inputs,
      [[maybe_unused]] std::array<std::size_t, sizeof...(Args) + 1>& starts,
      std::index_sequence<I...>, const Args&... args) const {
    if (in_dims_.is_list() && in_dims_.items().size() != sizeof...(Args)) {
      fail("vmap", "in_dims ", in_dims_.str(), " has ", in_dims_.items().size(),
           " entries but the function was called "
           "with ",
           sizeof...(Args),
           " arguments; give one entry per "
           "argument, or a single int or none for all of them");
    }
    (add_argument(inputs, starts[I], static_cast<int>(I), args), ...);
  }

  template <typename A>
  void add_argument(vmap_detail::Inputs& inputs, std::size_t& start, int index,
                    const A& arg) const {
    start = inputs.leaves.size();
    const VmapDims& spec =
        in_dims_.is_list() ? in_dims_.items()[index] : in_dims_;
    tree_flatten_into(arg, inputs.leaves);
    vmap_detail::match_dims(arg, spec, inputs.dims, {"in_dims", index});
    inputs.arg_of_leaf.resize(inputs.leaves.size(), index);
  }

  mutable F f_;  // a mutable lambda may keep state between calls
  VmapDims in_dims_;
  VmapDims out_dims_;
  VmapOptions options_;
};

template <typename F>
Vmapped<std::decay_t<F>> vmap(F&& f, VmapDims in_dims = 0,
                              VmapDims out_dims = 0, VmapOptions options = {}) {
  return Vmapped<std::decay_t<F>>(std::forward<F>(f), std::move(in_dims),
                                  std::move(out_dims), options);
}

// Options with the default dims (0 in, 0 out):
// vmap(f, {.randomness = Randomness::different}). (GCC also reads a lone
// integer designator, {.chunk_size = 8}, as dims: write
// VmapOptions{.chunk_size = 8} there, and VmapDims{} for an empty in_dims
// list in the two-argument form.)
template <typename F>
Vmapped<std::decay_t<F>> vmap(F&& f, VmapOptions options) {
  return Vmapped<std::decay_t<F>>(std::forward<F>(f), 0, 0, options);
}

// An fnx op named by its overloaded name: vmap(sin) with <cmath> in scope
// picks fnx::sin (the only overload taking a Tensor).
inline Vmapped<Tensor (*)(const Tensor&)> vmap(Tensor (*f)(const Tensor&),
                                               VmapDims in_dims = 0,
                                               VmapDims out_dims = 0,
                                               VmapOptions options = {}) {
  return Vmapped<Tensor (*)(const Tensor&)>(f, std::move(in_dims),
                                            std::move(out_dims), options);
}

// The per-example loop that runs a primitive with no batching rule warns
// once per primitive; with this set it is an fnx::Error instead.
inline void set_vmap_fallback_error(bool is_error) {
  vmap_detail::entry().set_fallback_error(is_error);
}

// Names of the primitives that reached that loop in this process (every
// primitive has a batching rule, so this stays empty).
inline std::vector<std::string> vmap_fallback_primitives() {
  return vmap_detail::entry().fallback_primitives();
}

}  // namespace fnx
