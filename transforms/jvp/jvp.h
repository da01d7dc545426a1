// Forward-mode differentiation: jvp and linearize, as torch.func's, in C++
// spelling.
//
//   auto f = [](const Tensor& x, const Tensor& y) { return sin(x) * y; };
//   auto [out, t] = jvp(f, std::tuple{x, y}, std::tuple{tx, ty});
//   auto [out2, t2] = jvp(g, x, tx);              // one argument: no tuple
//   auto [o, t, aux] = jvp(h, std::tuple{x}, std::tuple{tx},
//                          {.has_aux = true});    // h returns pair{out, aux}
//   auto [y, jvp_fn] = linearize(f, x, y);        // f runs once, here
//   Tensor t3 = jvp_fn(tx, ty);                   // no primal recomputation
//
// - primals: a std::tuple of f's arguments (each a tree: Tensor,
//   std::vector, ParamDict, FNX_TREE_STRUCT...); anything else is f's only
//   argument. tangents: the same structure, each tangent with its primal's
//   shape and dtype (an fnx::Error says which one differs). An undefined
//   Tensor() tangent is a zero tangent that allocates nothing; integer and
//   bool primals take only that.
// - Returns std::tuple{output, output tangent} (or {output, tangent, aux}
//   with has_aux). Outputs that do not depend on the primals get zero
//   tangents ({.strict = true}: an fnx::Error instead, as torch's strict).
//   With has_aux, f returns std::pair{output, aux}; aux is
//   returned as is. A std::pair return always means (output, aux): return
//   several outputs as a std::tuple or std::vector.
// - Each call is its own level: nested jvp, and jvp mixed with grad and
//   vmap in any order, never confuse their perturbations; tensors captured
//   from outside f are constants.
// - linearize(f, primals...) runs f once and records the tangent
//   computation; jvp_fn(tangents...) replays only that (it is itself
//   transformable: vmap(jvp_fn) gives a Jacobian). Call jvp_fn outside any
//   transform that was active inside f only if f's values did not come
//   from it.
//
// The templates only flatten and rebuild trees; the work happens in the jvp
// plugin (//transforms/jvp, or libfnx_jvp.so loaded at run time), found
// through the registry when called.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/leaf_names.h"
#include "core/str_cat.h"
#include "core/tree.h"
#include "core/tree_paths.h"
#include "transforms/common/argument_selection.h"
#include "transforms/jvp/jvp_api.h"

namespace fnx {

struct JvpOptions {
  bool has_aux = false;  // f returns std::pair{output, aux}
  // torch's strict=True: an output that does not depend on the primals is
  // an fnx::Error instead of getting a zero tangent.
  bool strict = false;
};

// Whether jvp levels carry tangents on this thread: true unless a
// NoFwdGradGuard is active (jvp and linearize turn it on for their f).
inline bool is_fwd_grad_enabled() {
  const jvp_internal::JvpTransform* t = jvp_internal::find_transform();
  return t == nullptr || t->is_fwd_grad_enabled();
}

// Sets the thread's forward-grad mode for a scope and restores it on exit
// (torch's fwd-grad disable). Values computed with it off carry no tangent
// for any jvp level: they are constants to forward mode. As with
// NoGradGuard, jvp ignores a guard around its call for its own f, while
// the enclosing jvp levels keep it: inside an outer jvp, a guard around an
// inner jvp makes the inner results constants to the outer one.
class FwdGradModeGuard {
 public:
  explicit FwdGradModeGuard(bool enabled) : t_(jvp_internal::find_transform()) {
    if (t_ == nullptr) return;
    prev_ = t_->is_fwd_grad_enabled();
    t_->set_fwd_grad_enabled(enabled);
  }
  ~FwdGradModeGuard() {
    if (t_ != nullptr) t_->set_fwd_grad_enabled(prev_);
  }
  FwdGradModeGuard(const FwdGradModeGuard&) = delete;
  FwdGradModeGuard& operator=(const FwdGradModeGuard&) = delete;

 private:
  const jvp_internal::JvpTransform* t_;
  bool prev_ = true;
};

class NoFwdGradGuard : public FwdGradModeGuard {
 public:
  NoFwdGradGuard() : FwdGradModeGuard(false) {}
};

class EnableFwdGradGuard : public FwdGradModeGuard {
 public:
  EnableFwdGradGuard() : FwdGradModeGuard(true) {}
};

namespace jvp_internal {

using transform_internal::kIsPair;
using transform_internal::SplitAux;
using transform_internal::StaticArgnums;
using transform_internal::Value;

// The arguments f is called with: a tuple's elements, or the value itself.
template <typename P>
std::tuple<const P&> arguments_of(const P& p) {
  return {p};
}
template <typename... Ts>
const std::tuple<Ts...>& arguments_of(const std::tuple<Ts...>& p) {
  return p;
}

// Every argument of `args` (a tuple) selected.
template <typename F, typename Args>
auto select_all(std::string_view caller, const F& f, const Args& args) {
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return StaticArgnums<I...>().select(caller, f, args);
  }
  (std::make_index_sequence<std::tuple_size_v<Args>>());
}

template <typename P, typename T>
void check_structure(std::string_view caller, const P& primals,
                     const T& tangents) {
  bool same;
  if constexpr (std::is_same_v<Value<P>, Value<T>>) {
    same = tree_same_structure(primals, tangents);
  } else {
    same = tree_structure(primals) == tree_structure(tangents);
  }
  if (!same) {
    fail(caller, "the tangents have structure ", tree_structure(tangents),
         " but the primals have structure ", tree_structure(primals),
         "; pass one tangent per primal, in the same tree");
  }
}

// jvp, with `caller` naming the API in messages (hvp is built on it).
template <typename F, typename P, typename T>
auto jvp_as(std::string_view caller, const F& f, const P& primals,
            const T& tangents, JvpOptions options) {
  const auto& args = arguments_of(primals);
  const auto sel = select_all(caller, f, args);
  using R = transform_internal::SelectedResult<decltype(sel)>;
  using Split = SplitAux<R>;
  static_assert(is_tree_v<typename Split::Out>,
                "jvp: f must return a tree of tensors (Tensor, std::vector, "
                "std::tuple, ParamDict, FNX_TREE_STRUCT...)");
  check_has_aux(caller, kIsPair<R>, options.has_aux);
  check_structure(caller, primals, tangents);
  std::optional<typename Split::Out> out_like;
  std::optional<typename Split::Aux> aux_like;
  const FlatFn flat = transform_internal::flat_function(sel, out_like, aux_like);
  const std::vector<Tensor> leaves = sel.leaves();
  const LeafNames names(leaves, [&] { return sel.leaf_names(); });
  JvpResult r =
      transform(caller).jvp(flat, leaves, tree_flatten(tangents), caller);
  if (options.strict) {
    for (std::size_t i = 0; i < r.independent.size(); ++i) {
      if (r.independent[i]) {
        const std::string path = tree_leaf_paths(*out_like)[i];
        fail(caller, "strict: output leaf ", i,
             path.empty() ? std::string() : str_cat(" at ", path),
             " does not depend on the primals (its tangent would be zero); "
             "this is not allowed with {.strict = true}");
      }
    }
  }
  auto out = tree_unflatten(*out_like, r.outputs);
  auto tangent_out = tree_unflatten(*out_like, r.tangents);
  if constexpr (kIsPair<R>) {
    return std::tuple{std::move(out), std::move(tangent_out),
                      tree_unflatten(*aux_like, r.aux)};
  } else {
    return std::tuple{std::move(out), std::move(tangent_out)};
  }
}

}  // namespace jvp_internal

// (output, jvp_out) of f at `primals` along `tangents`; with has_aux,
// (output, jvp_out, aux).
template <typename F, typename P, typename T>
auto jvp(const F& f, const P& primals, const T& tangents,
         JvpOptions options = {}) {
  return jvp_internal::jvp_as("jvp", f, primals, tangents, options);
}

// An fnx op named by its overloaded name: jvp(sin, x, t) picks fnx::sin.
inline auto jvp(Tensor (*f)(const Tensor&), const Tensor& primal,
                const Tensor& tangent, JvpOptions options = {}) {
  return jvp_internal::jvp_as("jvp", f, primal, tangent, options);
}

// The linear map linearize returns: tangents shaped like the primals in
// (one argument per primal; undefined Tensor() leaves are zeros), the
// output's tangent out. Copies share the recorded program.
template <typename Out, typename... Primals>
class LinearizedFn {
 public:
  LinearizedFn(std::shared_ptr<const jvp_internal::Linearized> fn, Out out_like,
               std::tuple<Primals...> primals_like)
      : fn_(std::move(fn)),
        out_like_(std::move(out_like)),
        primals_like_(std::move(primals_like)) {}

  Out operator()(const Primals&... tangents) const {
    std::apply(
        [&](const Primals&... like) {
          (jvp_internal::check_structure("linearize", like, tangents), ...);
        },
        primals_like_);
    std::vector<Tensor> flat;
    (tree_flatten_into(tangents, flat), ...);
    return tree_unflatten(out_like_, fn_->apply(flat));
  }
  // Primitive calls one application replays (the recorded tangent
  // computation, after dropping what the output does not need).
  int64_t num_steps() const { return fn_->num_steps(); }

 private:
  std::shared_ptr<const jvp_internal::Linearized> fn_;
  Out out_like_;
  std::tuple<Primals...> primals_like_;
};

// (output, jvp_fn): f's output at `primals`, and its linearization there.
template <typename F, typename... Primals>
auto linearize(const F& f, const Primals&... primals) {
  using namespace jvp_internal;
  static_assert(sizeof...(Primals) > 0, "linearize: needs at least one primal");
  const std::tuple<const Primals&...> args(primals...);
  const auto sel = select_all("linearize", f, args);
  using R = transform_internal::SelectedResult<decltype(sel)>;
  static_assert(!kIsPair<R>,
                "linearize: f returned a std::pair; return several outputs as "
                "a std::tuple or std::vector");
  static_assert(is_tree_v<R>, "linearize: f must return a tree of tensors");
  std::optional<R> out_like;
  std::optional<std::tuple<>> aux_like;
  const FlatFn flat = transform_internal::flat_function(sel, out_like, aux_like);
  const std::vector<Tensor> leaves = sel.leaves();
  const LeafNames names(leaves, [&] { return sel.leaf_names(); });
  LinearizeResult r =
      transform("linearize").linearize(flat, leaves, "linearize");
  R out = tree_unflatten(*out_like, r.out.outputs);
  LinearizedFn<R, Value<Primals>...> fn(
      std::move(r.fn), tree_structure_only(out),
      std::tuple<Value<Primals>...>(tree_structure_only(primals)...));
  return std::tuple{std::move(out), std::move(fn)};
}

}  // namespace fnx
