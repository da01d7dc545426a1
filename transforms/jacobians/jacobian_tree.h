// How every Jacobian API (jacrev, jacfwd, jacobian, value_and_jac*,
// hessian) arranges its result: per output leaf, Jacobian trees shaped like
// the selected arguments, arranged like f's output.
#pragma once

#include <cstddef>
#include <span>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/tree.h"

namespace fnx::jacobian_internal {

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

// The Jacobian trees from blocks[o * n_in + i] (d output leaf o / d
// selected leaf i, of shape output.shape + leaf.shape): per output leaf,
// trees shaped like the selected arguments (sel, a Selected or
// RuntimeSelected), arranged like the output `like`.
template <typename Sel, typename Out>
auto assemble_jacobian(const Sel& sel, const Out& like,
                       const std::vector<Tensor>& blocks,
                       std::size_t num_outputs) {
  const std::size_t n_in = num_outputs == 0 ? 0 : blocks.size() / num_outputs;
  using Jac = decltype(sel.like_selected(std::span<const Tensor>()));
  std::vector<Jac> per_output;
  per_output.reserve(num_outputs);
  for (std::size_t o = 0; o < num_outputs; ++o) {
    per_output.push_back(sel.like_selected(
        std::span<const Tensor>(blocks).subspan(o * n_in, n_in)));
  }
  return arrange_like<Jac>(like, std::move(per_output));
}

}  // namespace fnx::jacobian_internal
