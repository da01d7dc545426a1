// jacfwd: the Jacobian by forward mode, as torch.func.jacfwd: jvp vmapped
// over the standard basis of the inputs, in C++ spelling, with a chunk_size
// (which torch.func's jacfwd lacks) to bound memory.
//
//   Tensor J = jacfwd(f)(x);                      // shape out.shape + x.shape
//   auto [Jw, Jb] = jacfwd<0, 1>(f)(w, b, x);
//   auto [J, aux] = jacfwd(g, {.has_aux = true})(x);  // g returns
//                                                     // std::pair{out, aux}
//   jacfwd(f, {.chunk_size = 64})(x);             // 64 basis tangents per vmap
//   auto [value, J] = value_and_jacfwd(f)(x);     // f's value too, same cost
//
// - argnums select arguments (default: the first); each Jacobian tree is
//   shaped like its argument with leaves of shape out.shape + leaf.shape.
//   A std::tuple or std::vector output gives the same structure with the
//   Jacobian of each leaf in its place; other tree outputs a std::vector
//   with one entry per output leaf (in tree_flatten order). The same
//   conventions as jacrev, so the two agree.
// - randomness is passed to the vmap over the basis (Randomness::error,
//   different, same); chunk_size maps that many basis tangents at a time
//   (unset: all at once). The result does not depend on chunk_size.
// - value_and_jacfwd returns std::pair{value, jacobian}; with has_aux,
//   std::pair{std::pair{value, aux}, jacobian} (JAX's value_and_grad order).
// - Composes: jacfwd(jacrev(f)) is the Hessian (hessian.h), vmap(jacfwd(f))
//   batches it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "core/interpreter.h"
#include "core/leaf_names.h"
#include "core/tree.h"
#include "transforms/common/argument_selection.h"
#include "transforms/jacobians/jacobian_tree.h"
#include "transforms/jvp/jvp_api.h"
#include "transforms/vmap/vmap_entry.h"

namespace fnx {

struct JacfwdOptions {
  bool has_aux = false;  // f returns std::pair{output, aux}
  Randomness randomness = Randomness::error;
  std::optional<int64_t> chunk_size = std::nullopt;
};

namespace jacfwd_internal {

struct FlatJacobian {
  std::vector<Tensor> values;  // f's output leaves
  std::vector<Tensor> aux;
  // blocks[o * primals.size() + i]: d output o / d primal i, of shape
  // output.shape + primal.shape.
  std::vector<Tensor> blocks;
};

// The work, on flat lists (transforms/jacobians/jacfwd.cc): one jvp vmapped
// over the basis of every primal leaf.
FlatJacobian jacfwd_flat(const FlatFn& f, std::span<const Tensor> primals,
                         const JacfwdOptions& options, std::string_view caller);

// jacfwd and value_and_jacfwd, with the differentiated arguments named by
// Selection (StaticArgnums<I...> or RuntimeArgnums<T>).
template <bool kWithValue, typename F, typename Selection>
class JacfwdFn {
 public:
  JacfwdFn(F f, Selection selection, JacfwdOptions options)
      : f_(std::move(f)), selection_(std::move(selection)), options_(options) {}

  template <typename... Args>
  auto operator()(const Args&... args) const {
    using namespace transform_internal;
    const char* caller = kWithValue ? "value_and_jacfwd" : "jacfwd";
    using All = std::tuple<const Args&...>;
    const All all(args...);
    const auto sel = selection_.select(caller, f_, all);
    using R = transform_internal::SelectedResult<decltype(sel)>;
    using Split = SplitAux<R>;
    check_has_aux(caller, kIsPair<R>, options_.has_aux);
    std::optional<typename Split::Out> out_like;
    std::optional<typename Split::Aux> aux_like;
    const FlatFn flat = transform_internal::flat_function(sel, out_like, aux_like);
    // The other arguments may be written with duals (y.copy_(x)).
    const PassiveArguments passive(sel.unselected_leaves());
    const std::vector<Tensor> leaves = sel.leaves();
    const LeafNames names(leaves, [&] { return sel.leaf_names(); });
    FlatJacobian r = jacfwd_flat(flat, leaves, options_, caller);
    auto jac = jacobian_internal::assemble_jacobian(sel, *out_like, r.blocks,
                                                    r.values.size());
    if constexpr (kWithValue) {
      auto value = tree_unflatten(*out_like, r.values);
      if constexpr (kIsPair<R>) {
        return std::pair{
            std::pair{std::move(value), tree_unflatten(*aux_like, r.aux)},
            std::move(jac)};
      } else {
        return std::pair{std::move(value), std::move(jac)};
      }
    } else if constexpr (kIsPair<R>) {
      return std::pair{std::move(jac), tree_unflatten(*aux_like, r.aux)};
    } else {
      return jac;
    }
  }

 private:
  F f_;
  Selection selection_;
  JacfwdOptions options_;
};

template <bool kWithValue, std::size_t... Argnums, typename F>
auto make_jacfwd(F f, JacfwdOptions options) {
  using transform_internal::StaticArgnums;
  if constexpr (sizeof...(Argnums) == 0) {
    return JacfwdFn<kWithValue, F, StaticArgnums<0>>(std::move(f), {}, options);
  } else {
    return JacfwdFn<kWithValue, F, StaticArgnums<Argnums...>>(std::move(f), {},
                                                              options);
  }
}

template <bool kWithValue, typename F, typename T>
auto make_jacfwd(F f, const Argnums<T>& argnums, JacfwdOptions options) {
  using Selection = transform_internal::RuntimeArgnums<T>;
  return JacfwdFn<kWithValue, F, Selection>(
      std::move(f), Selection{argnums.positions()}, options);
}

}  // namespace jacfwd_internal

// The Jacobian of f w.r.t. arguments Argnums... (default: the first).
template <std::size_t... Argnums, typename F>
requires(transform_internal::distinct_argnums<Argnums...>()) auto jacfwd(
    F f, JacfwdOptions options = {}) {
  return jacfwd_internal::make_jacfwd<false, Argnums...>(std::move(f), options);
}

// An fnx op named by its overloaded name: jacfwd(sin) picks fnx::sin.
inline auto jacfwd(Tensor (*f)(const Tensor&), JacfwdOptions options = {}) {
  return jacfwd_internal::make_jacfwd<false, 0>(f, options);
}

// Argnums chosen at run time: a std::vector with one Jacobian tree per
// position, in place of the tuple (the arguments share a type).
template <typename F, typename T>
auto jacfwd(F f, const Argnums<T>& argnums, JacfwdOptions options = {}) {
  return jacfwd_internal::make_jacfwd<false>(std::move(f), argnums, options);
}

// (value, Jacobian) from one evaluation of f.
template <std::size_t... Argnums, typename F>
requires(transform_internal::distinct_argnums<
         Argnums...>()) auto value_and_jacfwd(F f, JacfwdOptions options = {}) {
  return jacfwd_internal::make_jacfwd<true, Argnums...>(std::move(f), options);
}
template <typename F, typename T>
auto value_and_jacfwd(F f, const Argnums<T>& argnums,
                      JacfwdOptions options = {}) {
  return jacfwd_internal::make_jacfwd<true>(std::move(f), argnums, options);
}

}  // namespace fnx
