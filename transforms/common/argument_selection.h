// The template layer every differentiating API shares (grad, vjp, jvp,
// linearize, jacrev, jacfwd, jacobian, hessian): which arguments are
// differentiated (argnums, fixed at compile time or chosen at run time),
// calling f with those arguments rebuilt around new leaves, splitting an
// (output, aux) pair, and shaping results like the selected arguments.
// Written once here; the transform headers only say what they do with it.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <span>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/str_cat.h"
#include "core/tree.h"
#include "core/tree_paths.h"
#include "transforms/common/flat_function.h"

namespace fnx {

// Argument positions chosen at run time: grad(f, Argnums{0, 2}). The
// gradients come back as a std::vector, one per position, so the selected
// arguments must have one type: the type every tree argument of f has, or
// the one named (Argnums<Tensor>{1, 2} when f also takes a ParamDict). For
// arguments of different types, pass the argnums as template arguments
// (grad<0, 2>(f)), which return a std::tuple.
template <typename T = void>
class Argnums {
 public:
  Argnums(std::initializer_list<std::size_t> positions)
      : positions_(positions) {}
  explicit Argnums(std::vector<std::size_t> positions)
      : positions_(std::move(positions)) {}
  const std::vector<std::size_t>& positions() const { return positions_; }

 private:
  std::vector<std::size_t> positions_;
};
Argnums(std::initializer_list<std::size_t>)->Argnums<void>;
Argnums(std::vector<std::size_t>)->Argnums<void>;

namespace transform_internal {

template <typename T>
using Value = std::remove_cvref_t<T>;

template <typename T>
inline constexpr bool kIsPair = is_std_pair_v<T>;

template <typename T>
inline constexpr bool kIsTuple = false;
template <typename... Ts>
inline constexpr bool kIsTuple<std::tuple<Ts...>> = true;

// f's result split under the has_aux convention: a std::pair is (output,
// aux); anything else is the output, with no aux.
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

// Position of J in I..., or -1.
template <std::size_t J, std::size_t... I>
constexpr int index_in() {
  int pos = 0, found = -1;
  ((found = (found < 0 && I == J) ? pos : found, ++pos), ...);
  return found;
}

// Whether the argnums I... name each argument at most once (grad<0, 0>
// would differentiate one argument twice: a compile error).
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

// f with argument J taken from `selected` when J is in I..., else from
// `args` (a tuple of all arguments).
template <std::size_t... I, typename F, typename Args, typename Selected>
decltype(auto) call_with_selected(const F& f, const Args& args,
                                  const Selected& selected) {
  return [&]<std::size_t... J>(std::index_sequence<J...>)->decltype(auto) {
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
  (std::make_index_sequence<std::tuple_size_v<Args>>());
}

// Arguments I... of `args` rebuilt around leaves[pos...], in argnums order.
template <std::size_t... I, typename Args>
auto rebuild_selected(const Args& args, std::span<const Tensor> leaves,
                      std::size_t& pos) {
  // Braced initialization runs left to right: leaves are consumed in order.
  return std::tuple<Value<std::tuple_element_t<I, Args>>...>{
      tree_unflatten_from(std::get<I>(args), leaves, pos)...};
}

// Appends "argument <position>[ at <path>]" for each leaf of `arg`.
template <typename T>
void append_leaf_names(std::size_t position, const T& arg,
                       std::vector<std::string>& out) {
  std::vector<std::string> paths;
  tree_leaf_paths_into(arg, "", paths);
  for (const std::string& path : paths) {
    out.push_back(path.empty() ? str_cat("argument ", position)
                               : str_cat("argument ", position, " at ", path));
  }
}

// A tuple of one element is that element (one argnum: one tree).
template <typename Tuple>
auto one_or_tuple(Tuple&& trees) {
  if constexpr (std::tuple_size_v<Value<Tuple>> == 1) {
    return std::get<0>(std::forward<Tuple>(trees));
  } else {
    return Value<Tuple>(std::forward<Tuple>(trees));
  }
}

// f's arguments as a tuple of references, with arguments I... selected
// (compile-time argnums).
template <typename F, typename Args, std::size_t... I>
class Selected {
 public:
  Selected(const F& f, const Args& args) : f_(f), args_(args) {}

  // The selected arguments' leaves (the primals).
  std::vector<Tensor> leaves() const {
    std::vector<Tensor> out;
    (tree_flatten_into(std::get<I>(args_), out), ...);
    return out;
  }

  // The other arguments' leaves.
  std::vector<Tensor> unselected_leaves() const {
    return tree_flatten_unselected<I...>(args_);
  }

  // The selected leaves as the user wrote them, for error messages:
  // "argument 1", "argument 0 at [\"fc1.weight\"]".
  std::vector<std::string> leaf_names() const {
    std::vector<std::string> names;
    (append_leaf_names(I, std::get<I>(args_), names), ...);
    return names;
  }

  // Trees shaped like the selected arguments from leaves[pos...]: one tree
  // for one argnum, a tuple of them for several.
  auto like_selected(std::span<const Tensor> leaves, std::size_t& pos) const {
    return one_or_tuple(rebuild_selected<I...>(args_, leaves, pos));
  }
  auto like_selected(std::span<const Tensor> leaves) const {
    std::size_t pos = 0;
    return like_selected(leaves, pos);
  }

  // f's result with the selected arguments rebuilt from `leaves`.
  decltype(auto) call(std::span<const Tensor> leaves) const {
    std::size_t pos = 0;
    const auto rebuilt = rebuild_selected<I...>(args_, leaves, pos);
    return call_with_selected<I...>(f_, args_, rebuilt);
  }

 private:
  const F& f_;
  const Args& args_;
};

// What f returns for a selection (Selected or RuntimeSelected).
template <typename Sel>
using SelectedResult =
    Value<decltype(std::declval<const Sel&>().call(std::span<const Tensor>()))>;

// f for the plugins: calls it as sel.call does and flattens its result
// (output and, for a std::pair, aux), remembering their structure in
// out_like / aux_like, which must outlive the returned function.
template <typename Sel, typename OutLike, typename AuxLike>
FlatFn flat_function(const Sel& sel, std::optional<OutLike>& out_like,
                     std::optional<AuxLike>& aux_like) {
  return [&sel, &out_like, &aux_like](const std::vector<Tensor>& leaves) {
    FlatOut out;
    flatten_output_and_aux(sel.call(leaves), out.outputs, out.aux, out_like,
                           aux_like);
    return out;
  };
}

// The same with argnums chosen at run time: every selected argument has
// type T, and results come as a std::vector<T> in argnums order.
template <typename T, typename F, typename Args>
class RuntimeSelected {
 public:
  RuntimeSelected(std::string_view caller, const F& f, const Args& args,
                  const std::vector<std::size_t>& positions)
      : f_(f), args_(args), positions_(positions) {
    constexpr std::size_t n = std::tuple_size_v<Args>;
    FNX_CHECK(!positions_.empty(), caller, "argnums must not be empty");
    std::vector<bool> seen(n, false);
    for (std::size_t p : positions_) {
      FNX_CHECK(p < n, caller, "argnum ", p, " is past the last argument (f ",
                "is called with ", n, " arguments)");
      FNX_CHECK(!seen[p], caller, "argnum ", p,
                " is given twice; name each argument once");
      FNX_CHECK(type_at(p), caller, "argument ", p,
                " does not have the type of the other selected arguments; "
                "argnums chosen at run time select arguments of one type "
                "(pass argnums as template arguments, grad<0, 1>(f), for "
                "arguments of different types)");
      seen[p] = true;
    }
  }

  std::vector<Tensor> leaves() const {
    std::vector<Tensor> out;
    for (std::size_t p : positions_) tree_flatten_into(argument(p), out);
    return out;
  }

  std::vector<Tensor> unselected_leaves() const {
    std::vector<Tensor> out;
    for_each_argument([&]<std::size_t J>() {
      if (!selected(J)) tree_flatten_into(std::get<J>(args_), out);
    });
    return out;
  }

  std::vector<std::string> leaf_names() const {
    std::vector<std::string> names;
    for (std::size_t p : positions_) append_leaf_names(p, argument(p), names);
    return names;
  }

  std::vector<T> like_selected(std::span<const Tensor> leaves) const {
    std::size_t pos = 0;
    std::vector<T> trees;
    trees.reserve(positions_.size());
    for (std::size_t p : positions_) {
      trees.push_back(tree_unflatten_from(argument(p), leaves, pos));
    }
    return trees;
  }

  decltype(auto) call(std::span<const Tensor> leaves) const {
    // rebuilt[J]: argument J rebuilt around its leaves when selected.
    std::vector<std::optional<T>> rebuilt(std::tuple_size_v<Args>);
    std::size_t pos = 0;
    for (std::size_t p : positions_) {
      rebuilt[p].emplace(tree_unflatten_from(argument(p), leaves, pos));
    }
    return [&]<std::size_t... J>(std::index_sequence<J...>)->decltype(auto) {
      auto pick = [&]<std::size_t K>() -> decltype(auto) {
        using A = Value<std::tuple_element_t<K, Args>>;
        if constexpr (std::is_same_v<A, T>) {
          return rebuilt[K] ? static_cast<const T&>(*rebuilt[K])
                            : static_cast<const T&>(std::get<K>(args_));
        } else {
          return std::get<K>(args_);
        }
      };
      return f_(pick.template operator()<J>()...);
    }
    (std::make_index_sequence<std::tuple_size_v<Args>>());
  }

 private:
  template <typename G>
  static void for_each_argument(G&& g) {
    [&]<std::size_t... J>(std::index_sequence<J...>) {
      (g.template operator()<J>(), ...);
    }
    (std::make_index_sequence<std::tuple_size_v<Args>>());
  }
  bool selected(std::size_t j) const {
    for (std::size_t p : positions_) {
      if (p == j) return true;
    }
    return false;
  }
  static bool type_at(std::size_t j) {
    bool same = false;
    for_each_argument([&]<std::size_t J>() {
      if (J == j)
        same = std::is_same_v<Value<std::tuple_element_t<J, Args>>, T>;
    });
    return same;
  }
  // Argument j, which has type T (checked in the constructor).
  const T& argument(std::size_t j) const {
    const T* found = nullptr;
    for_each_argument([&]<std::size_t J>() {
      if constexpr (std::is_same_v<Value<std::tuple_element_t<J, Args>>, T>) {
        if (J == j) found = &std::get<J>(args_);
      }
    });
    return *found;
  }

  const F& f_;
  const Args& args_;
  std::vector<std::size_t> positions_;
};

// The one type f's tree arguments share, which Argnums{...} selects: void
// when they have none, or several.
template <typename... Args>
struct CommonTreeType {
  using type = void;
};
template <typename A, typename... Rest>
struct CommonTreeType<A, Rest...> {
  using Tail = typename CommonTreeType<Rest...>::type;
  using type = std::conditional_t<
      !is_tree_v<Value<A>>, Tail,
      std::conditional_t<std::is_void_v<Tail> || std::is_same_v<Tail, Value<A>>,
                         Value<A>, void>>;
};

// The type Argnums<Named> selects among f's arguments Args...
template <typename Named, typename... Args>
using SelectedType =
    std::conditional_t<std::is_void_v<Named>,
                       typename CommonTreeType<Args...>::type, Named>;

template <typename Named, typename Args>
struct SelectedTypeOf;
template <typename Named, typename... A>
struct SelectedTypeOf<Named, std::tuple<A...>> {
  using type = SelectedType<Named, Value<A>...>;
};

// The two ways of naming the selected arguments, each making the matching
// Selected / RuntimeSelected for a call's arguments (a tuple of
// references).
template <std::size_t... I>
struct StaticArgnums {
  static_assert(sizeof...(I) > 0, "argnums must not be empty");
  static_assert(distinct_argnums<I...>(), "argnums must be distinct");

  template <typename F, typename Args>
  Selected<F, Args, I...> select(std::string_view, const F& f,
                                 const Args& args) const {
    static_assert(((I < std::tuple_size_v<Args>)&&...),
                  "an argnum is past the last argument");
    static_assert((is_tree_v<Value<std::tuple_element_t<I, Args>>> && ...),
                  "a selected argument has no tensors (not a Tensor, "
                  "container of tensors, ParamDict or FNX_TREE_STRUCT)");
    return Selected<F, Args, I...>(f, args);
  }
};

template <typename Named>
struct RuntimeArgnums {
  std::vector<std::size_t> positions;

  template <typename F, typename Args>
  auto select(std::string_view caller, const F& f, const Args& args) const {
    using T = typename SelectedTypeOf<Named, Args>::type;
    static_assert(!std::is_void_v<T>,
                  "Argnums{...}: f's tensor arguments have different types, "
                  "so a std::vector cannot hold their results; name the type "
                  "to select (Argnums<Tensor>{1, 2}), or pass argnums as "
                  "template arguments (grad<0, 1>(f)) for a std::tuple");
    static_assert(is_tree_v<T>, "Argnums<T>: T must be a tree of tensors");
    return RuntimeSelected<T, F, Args>(caller, f, args, positions);
  }
};

}  // namespace transform_internal
}  // namespace fnx
