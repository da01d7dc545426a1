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
//   and chunk_size are passed on. jacobian_mode() says what automatic picks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "transforms/jacobians/jacfwd.h"
#include "transforms/jacobians/jacobian_util.h"
#include "transforms/jacobians/argument_selection.h"
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

// Total elements of f's outputs at these arguments, from its shapes.
template <std::size_t... I, typename F, typename... Args>
int64_t output_numel(const F& f, const Args&... args) {
  using All = std::tuple<const Args&...>;
  using R = Value<std::invoke_result_t<const F&, const Args&...>>;
  using Split = SplitAux<R>;
  const All all(args...);
  const Selected<F, All, I...> sel(f, all);
  std::optional<typename Split::Out> out_like;
  std::optional<typename Split::Aux> aux_like;
  const jvp_internal::FlatFn flat = [&](const std::vector<Tensor>& leaves) {
    return sel.template call<R>(leaves, out_like, aux_like);
  };
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

template <std::size_t... I, typename... Args>
int64_t input_numel(const Args&... args) {
  const std::tuple<const Args&...> all(args...);
  int64_t n = 0;
  auto count = [&](const auto& tree) {
    for (const Tensor& t : tree_flatten(tree)) n += t.defined() ? t.numel() : 0;
  };
  (count(std::get<I>(all)), ...);
  return n;
}

template <typename F, std::size_t... I>
class JacobianFn {
 public:
  JacobianFn(F f, JacobianOptions options)
      : f_(std::move(f)), options_(options) {}

  // What automatic mode picks for these arguments (forward or reverse).
  template <typename... Args>
  JacobianMode mode_for(const Args&... args) const {
    if (options_.mode != JacobianMode::automatic) return options_.mode;
    return input_numel<I...>(args...) < output_numel<I...>(f_, args...)
               ? JacobianMode::forward
               : JacobianMode::reverse;
  }

  template <typename... Args>
  auto operator()(const Args&... args) const {
    if (mode_for(args...) == JacobianMode::forward) {
      return jacfwd<I...>(f_, {.has_aux = options_.has_aux,
                               .chunk_size = options_.chunk_size})(args...);
    }
    return jacrev<I...>(f_, {.has_aux = options_.has_aux,
                             .chunk_size = options_.chunk_size})(args...);
  }

 private:
  F f_;
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

template <typename F, std::size_t... I>
class ValueAndJacrevFn {
 public:
  ValueAndJacrevFn(F f, JacrevOptions options)
      : g_(WithValueAsAux<F>{std::move(f)}), options_(options) {}

  template <typename... Args>
  auto operator()(const Args&... args) const {
    using R = Value<std::invoke_result_t<const F&, const Args&...>>;
    check_has_aux("value_and_jacrev", kIsPair<R>, options_.has_aux);
    JacrevOptions o = options_;
    o.has_aux = true;
    auto [jac, value] = jacrev<I...>(g_, o)(args...);
    return std::pair{std::move(value), std::move(jac)};
  }

 private:
  WithValueAsAux<F> g_;
  JacrevOptions options_;
};

}  // namespace jacobian_internal

// The Jacobian of f w.r.t. arguments Argnums... (default: the first) by
// forward or reverse mode.
template <std::size_t... Argnums, typename F>
  requires(jacobian_internal::distinct_argnums<Argnums...>())
auto jacobian(F f, JacobianOptions options = {}) {
  if constexpr (sizeof...(Argnums) == 0) {
    return jacobian_internal::JacobianFn<F, 0>(std::move(f), options);
  } else {
    return jacobian_internal::JacobianFn<F, Argnums...>(std::move(f), options);
  }
}

// (value, Jacobian) by reverse mode from one evaluation of f; with has_aux,
// (std::pair{value, aux}, Jacobian).
template <std::size_t... Argnums, typename F>
  requires(jacobian_internal::distinct_argnums<Argnums...>())
auto value_and_jacrev(F f, JacrevOptions options = {}) {
  if constexpr (sizeof...(Argnums) == 0) {
    return jacobian_internal::ValueAndJacrevFn<F, 0>(std::move(f), options);
  } else {
    return jacobian_internal::ValueAndJacrevFn<F, Argnums...>(std::move(f),
                                                              options);
  }
}

}  // namespace fnx
