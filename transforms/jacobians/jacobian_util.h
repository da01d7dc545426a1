// What the forward-mode Jacobian APIs (jacfwd, jacobian, value_and_jac*)
// share: calling f with its selected arguments replaced, flattening what it
// returns, and shaping Jacobian blocks like the selected arguments -- the
// same conventions as jacrev (transforms/jacobians/jacrev.h).
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/tree.h"
#include "transforms/jacobians/argument_selection.h"
#include "transforms/jvp/jvp_api.h"

namespace fnx::jacobian_internal {

template <typename R>
struct SplitAux {
  using Out = R;
  using Aux = std::tuple<>;
};
template <typename A, typename B>
struct SplitAux<std::pair<A, B>> {
  using Out = Value<A>;
  using Aux = Value<B>;
};

// The selected arguments rebuilt around leaves[pos...]: one tree for one
// argnum, a tuple of them for several.
template <std::size_t... I, typename All>
auto like_arguments(const All& all, std::span<const Tensor> leaves,
                    std::size_t& pos) {
  // Braced initialization runs left to right: leaves are consumed in order.
  std::tuple<Value<std::tuple_element_t<I, All>>...> trees{
      tree_unflatten_from(std::get<I>(all), leaves, pos)...};
  if constexpr (sizeof...(I) == 1) {
    return std::get<0>(std::move(trees));
  } else {
    return trees;
  }
}

// The result of f as a function of the selected arguments' leaves.
template <typename F, typename All, std::size_t... I>
class Selected {
 public:
  Selected(const F& f, const All& all) : f_(f), all_(all) {}

  // The selected arguments' leaves (the primals).
  std::vector<Tensor> leaves() const {
    std::vector<Tensor> out;
    (tree_flatten_into(std::get<I>(all_), out), ...);
    return out;
  }

  // Calls f with the selected arguments rebuilt from `leaves`, flattening
  // its output (and aux, for a std::pair return) and remembering their
  // structure in `out_like` / `aux_like`.
  template <typename R, typename OutLike, typename AuxLike>
  jvp_internal::FlatOut call(const std::vector<Tensor>& leaves,
                             std::optional<OutLike>& out_like,
                             std::optional<AuxLike>& aux_like) const {
    std::size_t pos = 0;
    const std::tuple<Value<std::tuple_element_t<I, All>>...> selected{
        tree_unflatten_from(std::get<I>(all_), leaves, pos)...};
    R result = call_with_selected<I...>(
        f_, all_, selected, std::make_index_sequence<std::tuple_size_v<All>>());
    jvp_internal::FlatOut out;
    flatten_output_and_aux(result, out.outputs, out.aux, out_like, aux_like);
    return out;
  }

  // Per output leaf, the Jacobian trees shaped like the selected arguments
  // from blocks[o * n_in + i] (output leaf o, input leaf i), arranged like
  // the output `like` (arrange_like).
  template <typename Out>
  auto assemble(const Out& like, const std::vector<Tensor>& blocks,
                std::size_t num_outputs) const {
    const std::size_t n_in = num_outputs == 0 ? 0 : blocks.size() / num_outputs;
    using Jac = decltype(like_arguments<I...>(all_, std::span<const Tensor>(),
                                              std::declval<std::size_t&>()));
    std::vector<Jac> per_output;
    per_output.reserve(num_outputs);
    for (std::size_t o = 0; o < num_outputs; ++o) {
      std::size_t pos = 0;
      per_output.push_back(like_arguments<I...>(
          all_, std::span<const Tensor>(blocks).subspan(o * n_in, n_in), pos));
    }
    return arrange_like<Jac>(like, std::move(per_output));
  }

 private:
  const F& f_;
  const All& all_;
};

}  // namespace fnx::jacobian_internal
