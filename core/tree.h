// Trees (pytrees for C++): nested containers of tensors that transforms take
// and return. A tree is a Tensor (one leaf), a std::vector, std::array,
// std::tuple, std::pair or std::optional of trees, a ParamDict, or a user
// struct that opts in with FNX_TREE_STRUCT. Anything else (numbers, strings,
// enums, types with no traits) is static data: it has no tensor leaves and
// passes through flatten/unflatten/map untouched.
//
// Leaves are listed depth first: containers in element order, ParamDict in
// insertion order, structs in the order their fields are named in
// FNX_TREE_STRUCT. An undefined Tensor is still a leaf.
//
//   struct Params { Tensor w, b; std::string name; };
//   FNX_TREE_STRUCT(Params, w, b, name);   // at namespace scope, after it
//
//   std::vector<Tensor> leaves = tree_flatten(p);   // {p.w, p.b}
//   Params q = tree_map(p, [](const Tensor& t) { return t * 2.0; });
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/param_dict.h"
#include "core/tensor.h"

namespace fnx {

// What every TreeTraits<T> provides:
//   static constexpr bool kIsTree;   // false only for static (non-tree) data
//   static void flatten(const T&, std::vector<Tensor>& out);   // appends
//   static T unflatten(const T& like, std::span<const Tensor> leaves,
//                      std::size_t& pos);   // consumes leaves from pos
//   static std::size_t num_leaves(const T&);
//   static bool same_structure(const T& a, const T& b);
//   static void structure(const T&, std::string& out);   // appends
// The primary template is the static (pass-through) case; user structs that
// used FNX_TREE_STRUCT get their traits from the constrained specialization.
template <typename T>
struct TreeTraits;

namespace tree_internal {

[[noreturn]] void fail_leaf_count(std::string_view op, std::size_t expected,
                                  std::size_t got,
                                  const std::string& structure);
[[noreturn]] void fail_out_of_leaves(std::size_t needed, std::size_t got);
[[noreturn]] void fail_mismatch(std::string_view op, const std::string& a,
                                const std::string& b);
// Appends "name[n](...)" for sequences whose element strings are `parts`,
// collapsing to one element string when all are equal.
void append_sequence(std::string& out, std::string_view name,
                     const std::vector<std::string>& parts);

template <typename T>
using Traits = TreeTraits<std::remove_cvref_t<T>>;

template <typename T>
std::string structure_of(const T& value) {
  std::string out;
  Traits<T>::structure(value, out);
  return out;
}

// The container kinds a tree walk distinguishes (tree_paths.h and vmap's
// in_dims matching walk trees by them).
template <typename T>
struct IsSequence : std::false_type {};
template <typename T, typename A>
struct IsSequence<std::vector<T, A>> : std::true_type {};
template <typename T, std::size_t N>
struct IsSequence<std::array<T, N>> : std::true_type {};

template <typename T>
struct IsTupleLike : std::false_type {};
template <typename... Ts>
struct IsTupleLike<std::tuple<Ts...>> : std::true_type {};
template <typename A, typename B>
struct IsTupleLike<std::pair<A, B>> : std::true_type {};

template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};

// A user struct opted in with FNX_TREE_STRUCT: the macro defines these two
// functions next to the struct, found by argument-dependent lookup.
template <typename T>
concept OptedInStruct = requires(const T* p) {
  { fnx_tree_struct_name(p) } -> std::convertible_to<std::string_view>;
};

// Shared by the sequence containers (vector, array).
template <typename Seq>
struct SequenceTraits {
  using Elem = std::remove_cvref_t<typename Seq::value_type>;

  static void flatten(const Seq& s, std::vector<Tensor>& out) {
    for (const auto& e : s) TreeTraits<Elem>::flatten(e, out);
  }
  static std::size_t num_leaves(const Seq& s) {
    std::size_t n = 0;
    for (const auto& e : s) n += TreeTraits<Elem>::num_leaves(e);
    return n;
  }
  static bool same_structure(const Seq& a, const Seq& b) {
    if (a.size() != b.size()) return false;
    auto ib = b.begin();
    for (const auto& e : a) {
      if (!TreeTraits<Elem>::same_structure(e, *ib++)) return false;
    }
    return true;
  }
  static void structure(const Seq& s, std::string& out, std::string_view name) {
    std::vector<std::string> parts;
    parts.reserve(s.size());
    for (const auto& e : s) parts.push_back(structure_of(e));
    append_sequence(out, name, parts);
  }
};

}  // namespace tree_internal

// ---- Static data: no leaves, passed through as is ----
template <typename T>
struct TreeTraits {
  static constexpr bool kIsTree = false;
  static void flatten(const T&, std::vector<Tensor>&) {}
  static T unflatten(const T& like, std::span<const Tensor>, std::size_t&) {
    return like;
  }
  static std::size_t num_leaves(const T&) { return 0; }
  static bool same_structure(const T&, const T&) { return true; }
  static void structure(const T&, std::string& out) { out += "static"; }
};

// ---- Tensor: one leaf ----
template <>
struct TreeTraits<Tensor> {
  static constexpr bool kIsTree = true;
  static void flatten(const Tensor& t, std::vector<Tensor>& out) {
    out.push_back(t);
  }
  static Tensor unflatten(const Tensor&, std::span<const Tensor> leaves,
                          std::size_t& pos) {
    if (pos >= leaves.size()) {
      tree_internal::fail_out_of_leaves(pos + 1, leaves.size());
    }
    return leaves[pos++];
  }
  static std::size_t num_leaves(const Tensor&) { return 1; }
  static bool same_structure(const Tensor&, const Tensor&) { return true; }
  static void structure(const Tensor&, std::string& out) { out += "Tensor"; }
};

// ---- std::vector ----
template <typename T, typename A>
struct TreeTraits<std::vector<T, A>>
    : tree_internal::SequenceTraits<std::vector<T, A>> {
  using Base = tree_internal::SequenceTraits<std::vector<T, A>>;
  static constexpr bool kIsTree = true;
  static std::vector<T, A> unflatten(const std::vector<T, A>& like,
                                     std::span<const Tensor> leaves,
                                     std::size_t& pos) {
    std::vector<T, A> out;
    out.reserve(like.size());
    for (const auto& e : like) {
      out.push_back(TreeTraits<T>::unflatten(e, leaves, pos));
    }
    return out;
  }
  static void structure(const std::vector<T, A>& v, std::string& out) {
    Base::structure(v, out, "vector");
  }
};

// ---- std::array ----
template <typename T, std::size_t N>
struct TreeTraits<std::array<T, N>>
    : tree_internal::SequenceTraits<std::array<T, N>> {
  using Base = tree_internal::SequenceTraits<std::array<T, N>>;
  static constexpr bool kIsTree = true;
  static std::array<T, N> unflatten(const std::array<T, N>& like,
                                    std::span<const Tensor> leaves,
                                    std::size_t& pos) {
    return unflatten_impl(like, leaves, pos, std::make_index_sequence<N>());
  }
  static void structure(const std::array<T, N>& a, std::string& out) {
    Base::structure(a, out, "array");
  }

 private:
  template <std::size_t... I>
  static std::array<T, N> unflatten_impl(const std::array<T, N>& like,
                                         std::span<const Tensor> leaves,
                                         std::size_t& pos,
                                         std::index_sequence<I...>) {
    // Braced initializers evaluate left to right: leaves stay in order.
    return {{TreeTraits<T>::unflatten(like[I], leaves, pos)...}};
  }
};

// ---- std::tuple (elements may be references for flatten) ----
template <typename... Ts>
struct TreeTraits<std::tuple<Ts...>> {
  using Tuple = std::tuple<Ts...>;
  static constexpr bool kIsTree = true;

  static void flatten(const Tuple& t, std::vector<Tensor>& out) {
    std::apply(
        [&](const auto&... e) {
          (tree_internal::Traits<decltype(e)>::flatten(e, out), ...);
        },
        t);
  }
  static Tuple unflatten(const Tuple& like, std::span<const Tensor> leaves,
                         std::size_t& pos) {
    static_assert((!std::is_reference_v<Ts> && ...),
                  "tree_unflatten cannot rebuild a tuple of references");
    return std::apply(
        [&](const auto&... e) {
          return Tuple{
              tree_internal::Traits<decltype(e)>::unflatten(e, leaves, pos)...};
        },
        like);
  }
  static std::size_t num_leaves(const Tuple& t) {
    return std::apply(
        [](const auto&... e) {
          return (std::size_t{0} + ... +
                  tree_internal::Traits<decltype(e)>::num_leaves(e));
        },
        t);
  }
  static bool same_structure(const Tuple& a, const Tuple& b) {
    return same_impl(a, b, std::index_sequence_for<Ts...>());
  }
  static void structure(const Tuple& t, std::string& out) {
    out += "tuple(";
    std::size_t i = 0;
    std::apply(
        [&](const auto&... e) {
          ((out += (i++ == 0 ? "" : ", "),
            tree_internal::Traits<decltype(e)>::structure(e, out)),
           ...);
        },
        t);
    out += ")";
  }

 private:
  template <std::size_t... I>
  static bool same_impl(const Tuple& a, const Tuple& b,
                        std::index_sequence<I...>) {
    return (
        tree_internal::Traits<std::tuple_element_t<I, Tuple>>::same_structure(
            std::get<I>(a), std::get<I>(b)) &&
        ...);
  }
};

// ---- std::pair ----
template <typename A, typename B>
struct TreeTraits<std::pair<A, B>> {
  using Pair = std::pair<A, B>;
  using TA = tree_internal::Traits<A>;
  using TB = tree_internal::Traits<B>;
  static constexpr bool kIsTree = true;

  static void flatten(const Pair& p, std::vector<Tensor>& out) {
    TA::flatten(p.first, out);
    TB::flatten(p.second, out);
  }
  static Pair unflatten(const Pair& like, std::span<const Tensor> leaves,
                        std::size_t& pos) {
    static_assert(!std::is_reference_v<A> && !std::is_reference_v<B>,
                  "tree_unflatten cannot rebuild a pair of references");
    return Pair{TA::unflatten(like.first, leaves, pos),
                TB::unflatten(like.second, leaves, pos)};
  }
  static std::size_t num_leaves(const Pair& p) {
    return TA::num_leaves(p.first) + TB::num_leaves(p.second);
  }
  static bool same_structure(const Pair& a, const Pair& b) {
    return TA::same_structure(a.first, b.first) &&
           TB::same_structure(a.second, b.second);
  }
  static void structure(const Pair& p, std::string& out) {
    out += "pair(";
    TA::structure(p.first, out);
    out += ", ";
    TB::structure(p.second, out);
    out += ")";
  }
};

// ---- std::optional: nullopt has no leaves ----
template <typename T>
struct TreeTraits<std::optional<T>> {
  static constexpr bool kIsTree = true;
  static void flatten(const std::optional<T>& o, std::vector<Tensor>& out) {
    if (o) TreeTraits<T>::flatten(*o, out);
  }
  static std::optional<T> unflatten(const std::optional<T>& like,
                                    std::span<const Tensor> leaves,
                                    std::size_t& pos) {
    if (!like) return std::nullopt;
    return TreeTraits<T>::unflatten(*like, leaves, pos);
  }
  static std::size_t num_leaves(const std::optional<T>& o) {
    return o ? TreeTraits<T>::num_leaves(*o) : 0;
  }
  static bool same_structure(const std::optional<T>& a,
                             const std::optional<T>& b) {
    if (a.has_value() != b.has_value()) return false;
    return !a || TreeTraits<T>::same_structure(*a, *b);
  }
  static void structure(const std::optional<T>& o, std::string& out) {
    if (!o) {
      out += "nullopt";
      return;
    }
    out += "optional(";
    TreeTraits<T>::structure(*o, out);
    out += ")";
  }
};

// ---- ParamDict: one leaf per entry, in insertion order ----
template <>
struct TreeTraits<ParamDict> {
  static constexpr bool kIsTree = true;
  static void flatten(const ParamDict& d, std::vector<Tensor>& out) {
    for (const auto& item : d) out.push_back(item.second);
  }
  static ParamDict unflatten(const ParamDict& like,
                             std::span<const Tensor> leaves, std::size_t& pos) {
    if (pos > leaves.size() || leaves.size() - pos < like.size()) {
      tree_internal::fail_out_of_leaves(pos + like.size(), leaves.size());
    }
    ParamDict out(like);
    for (auto& item : out) item.second = leaves[pos++];
    return out;
  }
  static std::size_t num_leaves(const ParamDict& d) { return d.size(); }
  static bool same_structure(const ParamDict& a, const ParamDict& b) {
    return a.same_keys(b);
  }
  static void structure(const ParamDict& d, std::string& out) {
    out += "ParamDict";
    out += d.keys_str();
  }
};

// ---- User structs opted in with FNX_TREE_STRUCT ----
template <typename T>
requires tree_internal::OptedInStruct<T>
struct TreeTraits<T> {
  static constexpr bool kIsTree = true;

  static void flatten(const T& s, std::vector<Tensor>& out) {
    visit([&](std::string_view, auto member) {
      tree_internal::Traits<decltype(s.*member)>::flatten(s.*member, out);
    });
  }
  static T unflatten(const T& like, std::span<const Tensor> leaves,
                     std::size_t& pos) {
    T out(like);
    visit([&](std::string_view, auto member) {
      out.*member = tree_internal::Traits<decltype(like.*member)>::unflatten(
          like.*member, leaves, pos);
    });
    return out;
  }
  static std::size_t num_leaves(const T& s) {
    std::size_t n = 0;
    visit([&](std::string_view, auto member) {
      n += tree_internal::Traits<decltype(s.*member)>::num_leaves(s.*member);
    });
    return n;
  }
  static bool same_structure(const T& a, const T& b) {
    bool same = true;
    visit([&](std::string_view, auto member) {
      same = same && tree_internal::Traits<decltype(a.*member)>::same_structure(
                         a.*member, b.*member);
    });
    return same;
  }
  static void structure(const T& s, std::string& out) {
    out += fnx_tree_struct_name(static_cast<const T*>(nullptr));
    out += "{";
    bool first = true;
    visit([&](std::string_view name, auto member) {
      out += first ? "" : ", ";
      first = false;
      out += name;
      out += ": ";
      tree_internal::Traits<decltype(s.*member)>::structure(s.*member, out);
    });
    out += "}";
  }

 private:
  template <typename V>
  static void visit(V&& visitor) {
    fnx_tree_struct_fields(static_cast<const T*>(nullptr),
                           std::forward<V>(visitor));
  }
};

// True for every type with tree traits (Tensor, the containers, ParamDict,
// opted-in structs); false for static data.
template <typename T>
inline constexpr bool is_tree_v = tree_internal::Traits<T>::kIsTree;

// ---------------- the tree functions ----------------

// Appends the leaves of `tree` to `out` (for flattening several arguments
// into one list).
template <typename T>
void tree_flatten_into(const T& tree, std::vector<Tensor>& out) {
  tree_internal::Traits<T>::flatten(tree, out);
}

// The tensor leaves, in the deterministic order described at the top.
template <typename T>
std::vector<Tensor> tree_flatten(const T& tree) {
  std::vector<Tensor> out;
  tree_internal::Traits<T>::flatten(tree, out);
  return out;
}

template <typename T>
std::size_t tree_num_leaves(const T& tree) {
  return tree_internal::Traits<T>::num_leaves(tree);
}

// "tuple(Tensor, vector[3](Tensor), ParamDict{w, b})", for messages.
template <typename T>
std::string tree_structure(const T& tree) {
  return tree_internal::structure_of(tree);
}

// Same structure: equal container sizes, ParamDict keys (and order) and
// optional engagement all the way down. Static values are not compared.
template <typename T>
bool tree_same_structure(const T& a, const T& b) {
  return tree_internal::Traits<T>::same_structure(a, b);
}

// Rebuilds `like`'s structure from leaves[pos...], advancing pos (for
// unflattening several arguments from one list). fnx::Error when the leaves
// run out.
template <typename T>
std::remove_cvref_t<T> tree_unflatten_from(const T& like,
                                           std::span<const Tensor> leaves,
                                           std::size_t& pos) {
  return tree_internal::Traits<T>::unflatten(like, leaves, pos);
}

// Rebuilds `like`'s structure with new leaves (static data copied from
// `like`). fnx::Error unless leaves.size() == tree_num_leaves(like).
template <typename T>
std::remove_cvref_t<T> tree_unflatten(const T& like,
                                      std::span<const Tensor> leaves) {
  const std::size_t expected = tree_num_leaves(like);
  if (leaves.size() != expected) {
    tree_internal::fail_leaf_count("tree_unflatten", expected, leaves.size(),
                                   tree_structure(like));
  }
  std::size_t pos = 0;
  return tree_internal::Traits<T>::unflatten(like, leaves, pos);
}

// Applies f (Tensor -> Tensor) to every leaf; returns the same structure.
template <typename T, typename F>
std::remove_cvref_t<T> tree_map(const T& tree, F&& f) {
  std::vector<Tensor> leaves = tree_flatten(tree);
  for (Tensor& leaf : leaves) leaf = f(std::as_const(leaf));
  std::size_t pos = 0;
  return tree_internal::Traits<T>::unflatten(tree, leaves, pos);
}

// Applies f (Tensor, Tensor -> Tensor) to matching leaves of two trees of
// the same structure (static data is taken from `a`); fnx::Error naming
// both structures when they differ.
template <typename T, typename F>
std::remove_cvref_t<T> tree_map2(const T& a, const T& b, F&& f) {
  if (!tree_same_structure(a, b)) {
    tree_internal::fail_mismatch("tree_map2", tree_structure(a),
                                 tree_structure(b));
  }
  std::vector<Tensor> la = tree_flatten(a);
  const std::vector<Tensor> lb = tree_flatten(b);
  for (std::size_t i = 0; i < la.size(); ++i) {
    la[i] = f(std::as_const(la[i]), lb[i]);
  }
  std::size_t pos = 0;
  return tree_internal::Traits<T>::unflatten(a, la, pos);
}

// One argument of a transformed call, rebuilt from the transform's leaves
// (its own start at `start`): a tree gets the new leaves; anything else
// (static data) is passed through by reference, untouched.
template <typename A>
decltype(auto) tree_rebuild_argument(const A& arg,
                                     std::span<const Tensor> leaves,
                                     std::size_t start) {
  if constexpr (is_tree_v<A>) {
    std::size_t pos = start;
    return tree_unflatten_from(arg, leaves, pos);
  } else {
    return static_cast<const A&>(arg);
  }
}

namespace tree_internal {
template <typename F, std::size_t N, std::size_t... I, typename... Args>
decltype(auto) invoke_rebuilt(
    F& f, [[maybe_unused]] std::span<const Tensor> leaves,
    [[maybe_unused]] const std::array<std::size_t, N>& starts,
    std::index_sequence<I...>, const Args&... args) {
  return std::invoke(f, tree_rebuild_argument(args, leaves, starts[I])...);
}
}  // namespace tree_internal

// Calls f with each argument rebuilt from `leaves`; starts[i] is the first
// leaf of argument i (the thin transform headers flatten the arguments,
// hand the leaves to their plugin and call f back through this).
template <typename F, std::size_t N, typename... Args>
decltype(auto) tree_invoke_rebuilt(F& f, std::span<const Tensor> leaves,
                                   const std::array<std::size_t, N>& starts,
                                   const Args&... args) {
  return tree_internal::invoke_rebuilt(
      f, leaves, starts, std::index_sequence_for<Args...>{}, args...);
}

namespace tree_internal {
template <std::size_t J, std::size_t... I>
inline constexpr bool kNotSelected = ((J != I) && ...);

template <std::size_t... I, typename Tuple, std::size_t... J>
void flatten_unselected(const Tuple& args, std::vector<Tensor>& out,
                        std::index_sequence<J...>) {
  (
      [&] {
        using E = std::remove_cvref_t<std::tuple_element_t<J, Tuple>>;
        if constexpr (is_tree_v<E> && kNotSelected<J, I...>) {
          tree_flatten_into(std::get<J>(args), out);
        }
      }(),
      ...);
}
}  // namespace tree_internal

// The leaves of the elements of the tuple `args` other than I... (the
// arguments a transform does not differentiate), in order; static data is
// skipped.
template <std::size_t... I, typename Tuple>
std::vector<Tensor> tree_flatten_unselected(const Tuple& args) {
  std::vector<Tensor> out;
  tree_internal::flatten_unselected<I...>(
      args, out, std::make_index_sequence<std::tuple_size_v<Tuple>>());
  return out;
}

// A copy of `tree` with its leaves dropped: its structure (to rebuild the
// tree later) without keeping the values, or what they hold, alive.
template <typename T>
std::remove_cvref_t<T> tree_structure_only(const T& tree) {
  return tree_map(tree, [](const Tensor&) { return Tensor(); });
}

namespace tree_internal {
template <typename T>
struct IsStdPair : std::false_type {};
template <typename A, typename B>
struct IsStdPair<std::pair<A, B>> : std::true_type {};
}  // namespace tree_internal

// Whether a result is a std::pair, which the has_aux convention reads as
// (output, aux).
template <typename T>
inline constexpr bool is_std_pair_v =
    tree_internal::IsStdPair<std::remove_cvref_t<T>>::value;

// What a transformed function returned, under the has_aux convention (a
// std::pair is (output, aux)): appends the output's leaves to `outputs` and
// the aux's to `aux`, and keeps each tree's structure in out_like /
// aux_like to rebuild them (grad, vjp, jvp, jacfwd and jacobian share it).
template <typename R, typename OutLike, typename AuxLike>
void flatten_output_and_aux(const R& result, std::vector<Tensor>& outputs,
                            std::vector<Tensor>& aux,
                            std::optional<OutLike>& out_like,
                            std::optional<AuxLike>& aux_like) {
  if constexpr (is_std_pair_v<R>) {
    tree_flatten_into(result.first, outputs);
    tree_flatten_into(result.second, aux);
    out_like.emplace(tree_structure_only(result.first));
    aux_like.emplace(tree_structure_only(result.second));
  } else {
    tree_flatten_into(result, outputs);
    out_like.emplace(tree_structure_only(result));
  }
}

// A transform with has_aux reads f's std::pair result as (output, aux):
// the option and the result's type must agree (grad, vjp, jvp, jacrev,
// jacfwd and value_and_jac* share this check).
inline void check_has_aux(std::string_view caller, bool returned_pair,
                          bool has_aux) {
  if (returned_pair && !has_aux) {
    fail(caller,
         "f returned a std::pair, which means (output, aux), but has_aux is "
         "not set; pass {.has_aux = true}, or return several outputs as a "
         "std::tuple or std::vector");
  }
  if (!returned_pair && has_aux) {
    fail(caller,
         "has_aux is set but f did not return a std::pair{output, aux}; "
         "return the pair, or leave has_aux unset");
  }
}

}  // namespace fnx

// ---------------- FNX_TREE_STRUCT ----------------
// FNX_TREE_STRUCT(Type, field1, field2, ...) makes a struct a tree. Write it
// after the struct, at namespace scope in the struct's own namespace (the
// traits find it by argument-dependent lookup). The named fields must be
// public and assignable; fields of non-tree types are static data. Leaves
// follow the order the fields are named here (up to 64 fields).
#define FNX_TREE_STRUCT(Type, ...)                                       \
  inline constexpr std::string_view fnx_tree_struct_name(const Type*) {  \
    return #Type;                                                        \
  }                                                                      \
  template <typename FnxTreeVisitor>                                     \
  void fnx_tree_struct_fields(const Type*, FnxTreeVisitor&& fnx_visit) { \
    static_cast<void>(fnx_visit);                                        \
    FNX_TREE_FOR_EACH_(Type, __VA_ARGS__)                                \
  }                                                                      \
  static_assert(std::is_class_v<Type>,                                   \
                "FNX_TREE_STRUCT expects a struct or class type")

// Implementation of FNX_TREE_STRUCT: calls fnx_visit("field", &Type::field)
// for each field, by repeated rescanning (C++20 __VA_OPT__).
#define FNX_TREE_PARENS_ ()
#define FNX_TREE_EXPAND_(...) \
  FNX_TREE_EXPAND3_(          \
      FNX_TREE_EXPAND3_(FNX_TREE_EXPAND3_(FNX_TREE_EXPAND3_(__VA_ARGS__))))
#define FNX_TREE_EXPAND3_(...) \
  FNX_TREE_EXPAND2_(           \
      FNX_TREE_EXPAND2_(FNX_TREE_EXPAND2_(FNX_TREE_EXPAND2_(__VA_ARGS__))))
#define FNX_TREE_EXPAND2_(...) \
  FNX_TREE_EXPAND1_(           \
      FNX_TREE_EXPAND1_(FNX_TREE_EXPAND1_(FNX_TREE_EXPAND1_(__VA_ARGS__))))
#define FNX_TREE_EXPAND1_(...) __VA_ARGS__
#define FNX_TREE_FOR_EACH_(Type, ...) \
  __VA_OPT__(FNX_TREE_EXPAND_(FNX_TREE_FOR_EACH_HELPER_(Type, __VA_ARGS__)))
#define FNX_TREE_FOR_EACH_HELPER_(Type, field, ...) \
  fnx_visit(#field, &Type::field);                  \
  __VA_OPT__(FNX_TREE_FOR_EACH_AGAIN_ FNX_TREE_PARENS_(Type, __VA_ARGS__))
#define FNX_TREE_FOR_EACH_AGAIN_() FNX_TREE_FOR_EACH_HELPER_
