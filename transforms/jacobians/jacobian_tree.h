// What every Jacobian API (jacrev, jacfwd, jacobian, value_and_jac*)
// shares to differentiate with respect to some arguments only: calling f
// with the selected arguments replaced, and recognising a (output, aux)
// pair. Header-only templates over the public APIs.
#pragma once

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/tree.h"

namespace fnx::jacobian_internal {

template <typename T>
using Value = std::remove_cvref_t<T>;

template <typename T>
inline constexpr bool kIsPair = is_std_pair_v<T>;

// Whether the argnums I... name each argument at most once (jacrev<0, 0>
// would differentiate one argument twice: a compile error, as grad<0, 0>).
template <std::size_t... I>
constexpr bool distinct_argnums() {
  constexpr std::size_t n = sizeof...(I);
  if constexpr (n > 1) {
    const std::size_t v[n] = {I...};
    for (std::size_t a = 0; a < n; ++a) {
      for (std::size_t b = a + 1; b < n; ++b) {
        if (v[a] == v[b]) return false;
      }
    }
  }
  return true;
}

// Position of J in I..., or -1.
template <std::size_t J, std::size_t... I>
constexpr int index_in() {
  int pos = 0, found = -1;
  ((found = (found < 0 && I == J) ? pos : found, ++pos), ...);
  return found;
}

// f with argument J taken from `selected` when J is in I..., else from
// `args`.
template <std::size_t... I, typename F, typename Args, typename Selected,
          std::size_t... J>
decltype(auto) call_with_selected(const F& f, const Args& args,
                                  const Selected& selected,
                                  std::index_sequence<J...>) {
  auto pick = [&]<std::size_t K>() -> decltype(auto) {
    constexpr int k = index_in<K, I...>();
    if constexpr (k >= 0) {
      return std::get<k>(selected);
    } else {
      return std::get<K>(args);
    }
  };
  return f(pick.template operator()<J>()...);
}

// The Jacobians of f's output leaves (per_leaf, in tree order) arranged
// like the output: a Tensor output gives its Jacobian; std::tuple and
// std::vector outputs keep their structure, with a Jacobian where each
// Tensor was (so hessian<0, 1> gives a tuple of tuples); any other tree
// (a ParamDict, a struct) gives a std::vector with one entry per leaf.
template <typename Out, typename Jac>
struct JacobianTree {
  using type = std::vector<Jac>;
};
template <typename Jac>
struct JacobianTree<Tensor, Jac> {
  using type = Jac;
};
template <typename... Ts, typename Jac>
struct JacobianTree<std::tuple<Ts...>, Jac> {
  using type = std::tuple<typename JacobianTree<Ts, Jac>::type...>;
};
template <typename T, typename A, typename Jac>
struct JacobianTree<std::vector<T, A>, Jac> {
  using type = std::vector<typename JacobianTree<T, Jac>::type>;
};

template <typename T>
inline constexpr bool kIsStdTuple = false;
template <typename... Ts>
inline constexpr bool kIsStdTuple<std::tuple<Ts...>> = true;
template <typename T>
inline constexpr bool kIsStdVector = false;
template <typename T, typename A>
inline constexpr bool kIsStdVector<std::vector<T, A>> = true;

template <typename Jac, typename Out>
typename JacobianTree<Out, Jac>::type arrange_like(const Out& like,
                                                   std::vector<Jac>& per_leaf,
                                                   std::size_t& pos) {
  if constexpr (std::is_same_v<Out, Tensor>) {
    return std::move(per_leaf.at(pos++));
  } else if constexpr (kIsStdTuple<Out>) {
    // Braced initialization runs left to right: leaves are taken in order.
    return std::apply(
        [&](const auto&... element) {
          return typename JacobianTree<Out, Jac>::type{
              arrange_like<Jac>(element, per_leaf, pos)...};
        },
        like);
  } else if constexpr (kIsStdVector<Out>) {
    typename JacobianTree<Out, Jac>::type out;
    out.reserve(like.size());
    for (const auto& element : like) {
      out.push_back(arrange_like<Jac>(element, per_leaf, pos));
    }
    return out;
  } else {
    std::vector<Jac> out;
    const std::size_t n = tree_num_leaves(like);
    for (std::size_t k = 0; k < n; ++k)
      out.push_back(std::move(per_leaf.at(pos++)));
    return out;
  }
}

template <typename Jac, typename Out>
typename JacobianTree<Out, Jac>::type arrange_like(const Out& like,
                                                   std::vector<Jac> per_leaf) {
  std::size_t pos = 0;
  return arrange_like<Jac>(like, per_leaf, pos);
}

}  // namespace fnx::jacobian_internal
