// What every Jacobian API (jacrev, jacfwd, jacobian, value_and_jac*)
// shares to differentiate with respect to some arguments only: calling f
// with the selected arguments replaced, and recognising a (output, aux)
// pair. Header-only templates over the public APIs.
#pragma once

#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

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

}  // namespace fnx::jacobian_internal
