// jacobian: the Jacobian by whichever mode is cheaper (users ask for this:
// pytorch#94395), and value_and_jacrev, the reverse-mode counterpart of
// value_and_jacfwd (jax#2109, functorch#502).
//
//   Tensor J = jacobian(f)(x);                      // mode automatic
//   Tensor J2 = jacobian<1>(f, {.mode = JacobianMode::reverse})(w, x);
//   auto [value, J3] = value_and_jacrev(f)(x);      // one evaluation of f
//
// - JacobianMode::automatic finds the output's size from f's shapes alone
//   (f runs on shape-only values, no kernel runs on the inputs' data; if f
//   reads values, f runs once instead) and picks jacfwd when the selected
//   inputs have fewer elements than the outputs (one jvp per input
//   element), jacrev otherwise (one vjp per output element).
//   JacobianMode::forward / reverse force jacfwd / jacrev.
// - The result has jacfwd's and jacrev's structure (they agree); has_aux
//   and chunk_size are passed on. jacobian(f).mode_for(args...) says what
//   automatic picks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <tuple>
#include <utility>
#include <vector>

#include "transforms/common/argument_selection.h"
#include "transforms/jacobians/jacfwd.h"
#include "transforms/jacobians/jacrev.h"
#include "transforms/jvp/jvp_api.h"

namespace fnx {

enum class JacobianMode : uint8_t { automatic, forward, reverse };

struct JacobianOptions {
  JacobianMode mode = JacobianMode::automatic;
  bool has_aux = false;  // f returns std::pair{output, aux}
  std::optional<int64_t> chunk_size = std::nullopt;
};

namespace jacobian_internal {

using transform_internal::kIsPair;
using transform_internal::SplitAux;
using transform_internal::Value;

// Total elements of the outputs f returns for these selected arguments
// (sel), from its shapes.
template <typename Sel>
int64_t output_numel(const Sel& sel) {
  using R = transform_internal::SelectedResult<decltype(sel)>;
  using Split = SplitAux<R>;
  std::optional<typename Split::Out> out_like;
  std::optional<typename Split::Aux> aux_like;
  const FlatFn flat = transform_internal::flat_function(sel, out_like, aux_like);
  int64_t n = 0;
  try {
    for (const OutMeta& m : jvp_internal::transform("jacobian")
                                .eval_shape(flat, sel.leaves(), "jacobian")) {
      n += numel(m.shape);
    }
  } catch (const Error&) {
    // f needs values (it reads one, or branches on data): run it.
    n = 0;
    for (const Tensor& t : flat(sel.leaves()).outputs) {
      n += t.defined() ? t.numel() : 0;
    }
  }
  return n;
}

inline int64_t total_numel(const std::vector<Tensor>& leaves) {
  int64_t n = 0;
  for (const Tensor& t : leaves) n += t.defined() ? t.numel() : 0;
  return n;
}

// jacobian, with the differentiated arguments named by Selection.
template <typename F, typename Selection>
class JacobianFn {
 public:
  JacobianFn(F f, Selection selection, JacobianOptions options)
      : f_(std::move(f)), selection_(std::move(selection)), options_(options) {}

  // What automatic mode picks for these arguments (forward or reverse).
  template <typename... Args>
  JacobianMode mode_for(const Args&... args) const {
    if (options_.mode != JacobianMode::automatic) return options_.mode;
    const std::tuple<const Args&...> all(args...);
    const auto sel = selection_.select("jacobian", f_, all);
    return total_numel(sel.leaves()) < output_numel(sel)
               ? JacobianMode::forward
               : JacobianMode::reverse;
  }

  template <typename... Args>
  auto operator()(const Args&... args) const {
    if (mode_for(args...) == JacobianMode::forward) {
      return jacfwd_internal::JacfwdFn<false, F, Selection>(
          f_, selection_,
          {.has_aux = options_.has_aux, .chunk_size = options_.chunk_size})(
          args...);
    }
    return jacrev_internal::JacrevFn<F, Selection>(
        f_, selection_,
        {.has_aux = options_.has_aux, .chunk_size = options_.chunk_size})(
        args...);
  }

 private:
  F f_;
  Selection selection_;
  JacobianOptions options_;
};

// value_and_jacrev: jacrev of f with its own output as aux.
template <typename F>
struct WithValueAsAux {
  F f;
  template <typename... Args>
  auto operator()(const Args&... args) const {
    auto r = f(args...);
    if constexpr (kIsPair<decltype(r)>) {  // (out, aux) -> (out, (out, aux))
      auto out = r.first;
      return std::pair{std::move(out), std::move(r)};
    } else {
      auto out = r;
      return std::pair{std::move(out), std::move(r)};
    }
  }
};

template <typename F, typename Selection>
class ValueAndJacrevFn {
 public:
  ValueAndJacrevFn(F f, Selection selection, JacrevOptions options)
      : f_(std::move(f)), selection_(std::move(selection)), options_(options) {}

  template <typename... Args>
  auto operator()(const Args&... args) const {
    const std::tuple<const Args&...> all(args...);
    using R = Value<decltype(selection_.select("value_and_jacrev", f_, all)
                                 .call(std::span<const Tensor>()))>;
    check_has_aux("value_and_jacrev", kIsPair<R>, options_.has_aux);
    JacrevOptions o = options_;
    o.has_aux = true;
    auto [jac, value] = jacrev_internal::JacrevFn<WithValueAsAux<F>, Selection>(
        WithValueAsAux<F>{f_}, selection_, o)(args...);
    return std::pair{std::move(value), std::move(jac)};
  }

 private:
  F f_;
  Selection selection_;
  JacrevOptions options_;
};

template <template <typename, typename> class Fn, std::size_t... Argnums,
          typename F, typename Options>
auto make_static(F f, Options options) {
  using transform_internal::StaticArgnums;
  if constexpr (sizeof...(Argnums) == 0) {
    return Fn<F, StaticArgnums<0>>(std::move(f), {}, options);
  } else {
    return Fn<F, StaticArgnums<Argnums...>>(std::move(f), {}, options);
  }
}

template <template <typename, typename> class Fn, typename F, typename T,
          typename Options>
auto make_runtime(F f, const Argnums<T>& argnums, Options options) {
  using Selection = transform_internal::RuntimeArgnums<T>;
  return Fn<F, Selection>(std::move(f), Selection{argnums.positions()},
                          options);
}

}  // namespace jacobian_internal

// The Jacobian of f w.r.t. arguments Argnums... (default: the first) by
// forward or reverse mode.
template <std::size_t... Argnums, typename F>
requires(transform_internal::distinct_argnums<Argnums...>()) auto jacobian(
    F f, JacobianOptions options = {}) {
  return jacobian_internal::make_static<jacobian_internal::JacobianFn,
                                        Argnums...>(std::move(f), options);
}
template <typename F, typename T>
auto jacobian(F f, const Argnums<T>& argnums, JacobianOptions options = {}) {
  return jacobian_internal::make_runtime<jacobian_internal::JacobianFn>(
      std::move(f), argnums, options);
}

// (value, Jacobian) by reverse mode from one evaluation of f; with has_aux,
// (std::pair{value, aux}, Jacobian).
template <std::size_t... Argnums, typename F>
requires(transform_internal::distinct_argnums<
         Argnums...>()) auto value_and_jacrev(F f, JacrevOptions options = {}) {
  return jacobian_internal::make_static<jacobian_internal::ValueAndJacrevFn,
                                        Argnums...>(std::move(f), options);
}
template <typename F, typename T>
auto value_and_jacrev(F f, const Argnums<T>& argnums,
                      JacrevOptions options = {}) {
  return jacobian_internal::make_runtime<jacobian_internal::ValueAndJacrevFn>(
      std::move(f), argnums, options);
}

}  // namespace fnx
