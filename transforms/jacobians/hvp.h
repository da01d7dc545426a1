// hvp: Hessian-vector products of a scalar function by forward-over-reverse
// (the jvp of grad), without forming the Hessian -- a named transform that
// neither torch.func nor JAX has (both document the recipe).
//
//   Tensor hv = hvp(f, x, v);                                // H(x) v
//   auto [hx, hy] = hvp(g, std::tuple{x, y}, std::tuple{vx, vy});
//
// - f returns a 0-d Tensor. primals / tangents follow jvp's spelling: a
//   std::tuple of f's arguments (each a tree), or f's only argument.
// - The result is shaped like the primals: a std::tuple with one tree per
//   argument for tuple primals, else one tree.
// - Costs about one gradient plus its forward derivative: O(n), where
//   hessian(f) costs n of them.
#pragma once

#include <cstddef>
#include <tuple>
#include <utility>

#include "transforms/grad/grad.h"
#include "transforms/jvp/jvp.h"

namespace fnx {
namespace hvp_internal {

template <typename F, std::size_t... I>
auto full_gradient(const F& f, std::index_sequence<I...>) {
  return [&f](const auto&... args) {
    auto g = grad<I...>(f)(args...);
    if constexpr (sizeof...(I) == 1) {
      return std::tuple{std::move(g)};
    } else {
      return g;
    }
  };
}

}  // namespace hvp_internal

template <typename F, typename P, typename T>
auto hvp(const F& f, const P& primals, const T& tangents) {
  if constexpr (transform_internal::kIsTuple<P>) {
    constexpr std::size_t n = std::tuple_size_v<P>;
    static_assert(n > 0, "hvp: needs at least one primal");
    auto gradient =
        hvp_internal::full_gradient(f, std::make_index_sequence<n>());
    return std::get<1>(
        jvp_internal::jvp_as("hvp", gradient, primals, tangents, {}));
  } else {
    return std::get<1>(
        jvp_internal::jvp_as("hvp", grad(f), primals, tangents, {}));
  }
}

}  // namespace fnx
