// hessian(f) = jacfwd(jacrev(f)): forward-over-reverse, as torch.func's and
// JAX's. f returns a 0-d Tensor (or any tree; see jacfwd.h for the result
// structure); the Hessian w.r.t. a Tensor argument x has shape
// x.shape + x.shape.
//
//   Tensor H = hessian(f)(x);
//   auto [Hw, Hb] = hessian<0, 1>(f)(w, b);   // Hessian rows per argument:
//                                             // a tuple of tuples
//   auto H2 = hessian(f, Argnums{0, 1})(w, b);  // argnums at run time: a
//                                               // vector of vectors
#pragma once

#include <cstddef>
#include <utility>

#include "transforms/common/argument_selection.h"
#include "transforms/jacobians/jacfwd.h"
#include "transforms/jacobians/jacrev.h"

namespace fnx {

template <std::size_t... Argnums, typename F>
requires(transform_internal::distinct_argnums<Argnums...>()) auto hessian(F f) {
  return jacfwd<Argnums...>(jacrev<Argnums...>(std::move(f)));
}

// An fnx op named by its overloaded name: hessian(sin) picks fnx::sin.
inline auto hessian(Tensor (*f)(const Tensor&)) {
  return jacfwd<0>(jacrev<0>(f));
}

template <typename F, typename T>
auto hessian(F f, const Argnums<T>& argnums) {
  return jacfwd(jacrev(std::move(f), argnums), argnums);
}

}  // namespace fnx
