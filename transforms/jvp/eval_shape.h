// eval_shape: the shapes, dtypes and devices of f's outputs, found without
// running f's kernels (JAX's jax.eval_shape).
//
//   std::vector<OutMeta> out = eval_shape(loss, params, batch);
//   out[0].shape, out[0].dtype, out[0].device   // one per output leaf
//
// f takes any arguments (trees of tensors, static data) and returns a tree;
// the result has one OutMeta per output leaf, in tree order. f runs once
// under a tracing level that computes only metadata for every value that
// depends on the arguments; ops on other values (constants f makes) still
// run. Reading a value (item(), printing) inside f is an fnx::Error, since
// none exists. It is part of the jvp plugin (//transforms/jvp or
// libfnx_jvp.so).
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <type_traits>
#include <vector>

#include "core/primitive.h"
#include "core/tree.h"
#include "transforms/jvp/jvp_api.h"

namespace fnx {

template <typename F, typename... Args>
std::vector<OutMeta> eval_shape(const F& f, const Args&... args) {
  using R = std::remove_cvref_t<std::invoke_result_t<const F&, const Args&...>>;
  static_assert(is_tree_v<R>,
                "eval_shape: f must return a tree of tensors (Tensor, "
                "std::vector, std::tuple, ParamDict, FNX_TREE_STRUCT...)");
  std::vector<Tensor> leaves;
  std::array<std::size_t, sizeof...(Args) + 1> starts{};
  std::size_t i = 0;
  (
      [&] {
        starts[i++] = leaves.size();
        if constexpr (is_tree_v<Args>) tree_flatten_into(args, leaves);
      }(),
      ...);
  starts[i] = leaves.size();
  const jvp_internal::FlatFn flat = [&](const std::vector<Tensor>& in) {
    jvp_internal::FlatOut out;
    const R result =
        tree_invoke_rebuilt(f, std::span<const Tensor>(in), starts, args...);
    out.outputs = tree_flatten(result);
    return out;
  };
  return jvp_internal::transform("eval_shape")
      .eval_shape(flat, leaves, "eval_shape");
}

}  // namespace fnx
