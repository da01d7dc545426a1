// Reverse-mode differentiation: grad, grad_and_value, vjp, and the grad
// mode guards. torch.func's semantics, in C++ spelling:
//
//   auto f = [](const Tensor& x) { return sin(x).sum(); };
//   Tensor g = grad(f)(x);                        // cos(x)
//   Tensor h = grad(grad(f))(x);                  // any order
//   auto [gw, gb] = grad<0, 1>(loss)(w, b, data); // argnums: a tuple of
//                                                 // gradients, each shaped
//                                                 // like its argument
//   std::vector<Tensor> gs =
//       grad(loss, Argnums{0, 1})(w, b, data);    // argnums at run time
//   ParamDict gp = grad(loss)(params, x);         // trees: a ParamDict in,
//                                                 // a ParamDict out
//   auto [g, aux] = grad(f2, {.has_aux = true})(x);   // f2 returns
//                                                     // std::pair{loss, aux}
//   auto [g, value] = grad_and_value(f)(x);       // grad first, as torch
//   auto [out, vjp_fn] = vjp(f, x, y);            // w.r.t. every primal
//   auto [gx, gy] = vjp_fn(cotangent);            // callable many times
//
// - grad's f returns a 0-d Tensor (or std::pair{0-d Tensor, aux} with
//   has_aux); gradients of outputs that do not depend on an input are
//   zeros, as torch.func. Differentiated leaves must be floating point.
// - With has_aux, f returns std::pair{output, aux}; aux is returned as it
//   is, never differentiated. A std::pair return always means (output,
//   aux): return several outputs as a std::tuple or std::vector.
// - Arguments that are not selected (and non-tensor arguments) pass
//   through untouched and are constants.
// - Grad mode: NoGradGuard inside f stops recording (values computed under
//   it are constants); grad ignores a NoGradGuard around the grad call for
//   its own f, but the enclosing grad levels keep it: inside an outer
//   grad, a NoGradGuard around an inner grad makes the inner result a
//   constant to the outer one (torch.func's nesting rule).
// - Levels: each grad/vjp call records on its own tape, so nested grads of
//   the same variable do not confuse their perturbations. Tensors captured
//   from outside f (and an outer grad's values, to an inner one) are
//   constants.
// - In place (copy_): writing into a tracked value, or a view of one, is
//   differentiated (the base is rebased, as in torch), and views taken
//   before the write follow it when read. Writing a tracked value into an
//   argument that is not differentiated (y.copy_(x), written whole) makes
//   it tracked, as torch.func does; its memory is the caller's, so the
//   caller sees the value. Writing a tracked value into a captured tensor,
//   a view of a non-differentiated argument, or a view of a buffer built
//   only from constants is an error, as is writing into an input being
//   differentiated; a tensor the tape saved and that was overwritten since
//   is an error when the gradient needs it.
//
// The templates only flatten and rebuild trees; the work happens in the
// grad plugin (//transforms/grad, or libfnx_grad.so loaded at run time),
// found through the registry when called.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <span>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/interpreter.h"
#include "core/leaf_names.h"
#include "core/tree.h"
#include "transforms/common/argument_selection.h"
#include "transforms/grad/grad_api.h"

namespace fnx {

struct GradOptions {
  bool has_aux = false;  // f returns std::pair{output, aux}
};
struct VjpOptions {
  bool has_aux = false;  // f returns std::pair{output, aux}
};

// Whether operations are recorded for differentiation on this thread.
// True unless a NoGradGuard is active (grad turns it on for f).
inline bool is_grad_enabled() {
  const grad_internal::GradTransform* t = grad_internal::find_transform();
  return t == nullptr || t->is_grad_enabled();
}

// Sets the thread's grad mode for a scope and restores it on exit. Without
// the grad plugin nothing is ever recorded, so they do nothing.
class GradModeGuard {
 public:
  explicit GradModeGuard(bool enabled) : t_(grad_internal::find_transform()) {
    if (t_ == nullptr) return;
    prev_ = t_->is_grad_enabled();
    t_->set_grad_enabled(enabled);
  }
  ~GradModeGuard() {
    if (t_ != nullptr) t_->set_grad_enabled(prev_);
  }
  GradModeGuard(const GradModeGuard&) = delete;
  GradModeGuard& operator=(const GradModeGuard&) = delete;

 private:
  const grad_internal::GradTransform* t_;
  bool prev_ = true;
};

// torch.no_grad(): values computed in the scope are constants to every
// grad level. grad(f) respects one inside f and ignores one around it.
class NoGradGuard : public GradModeGuard {
 public:
  NoGradGuard() : GradModeGuard(false) {}
};

// torch.enable_grad(): recording on again inside a NoGradGuard.
class EnableGradGuard : public GradModeGuard {
 public:
  EnableGradGuard() : GradModeGuard(true) {}
};

namespace grad_internal {

using transform_internal::kIsPair;
using transform_internal::RuntimeArgnums;
using transform_internal::SplitAux;
using transform_internal::StaticArgnums;
using transform_internal::Value;

// grad and grad_and_value, with the differentiated arguments named by
// Selection (StaticArgnums<I...> or RuntimeArgnums<T>).
template <bool kWithValue, typename F, typename Selection>
class GradFn {
 public:
  GradFn(F f, Selection selection, GradOptions options)
      : f_(std::move(f)), selection_(std::move(selection)), options_(options) {}

  template <typename... Args>
  auto operator()(const Args&... args) const {
    const char* caller = kWithValue ? "grad_and_value" : "grad";
    using Args_ = std::tuple<const Args&...>;
    const Args_ all(args...);
    const auto sel = selection_.select(caller, f_, all);
    using R = transform_internal::SelectedResult<decltype(sel)>;
    using Split = SplitAux<R>;
    static_assert(std::is_same_v<typename Split::Out, Tensor>,
                  "grad: f must return a Tensor (a 0-d one), or "
                  "std::pair{Tensor, aux} with has_aux");
    constexpr bool kAux = kIsPair<R>;
    check_has_aux(caller, kAux, options_.has_aux);
    std::optional<Tensor> out_like;
    std::optional<typename Split::Aux> aux_like;
    const GradTransform& t = transform(caller);
    const std::vector<Tensor> primals = sel.leaves();
    // The other arguments may be written with tracked values (y.copy_(x)).
    const PassiveArguments passive(sel.unselected_leaves());
    const LeafNames names(primals, [&] { return sel.leaf_names(); });
    const FlatFn flat = transform_internal::flat_function(sel, out_like, aux_like);
    GradResult r = t.grad(flat, primals, caller);
    auto grads = sel.like_selected(r.grads);
    if constexpr (kAux) {
      auto aux = tree_unflatten(*aux_like, r.aux);
      if constexpr (kWithValue) {
        return std::pair{std::move(grads),
                         std::pair{std::move(r.value), std::move(aux)}};
      } else {
        return std::pair{std::move(grads), std::move(aux)};
      }
    } else if constexpr (kWithValue) {
      return std::pair{std::move(grads), std::move(r.value)};
    } else {
      return grads;
    }
  }

 private:
  F f_;
  Selection selection_;
  GradOptions options_;
};

template <bool kWithValue, std::size_t... Argnums, typename F>
auto make_grad(F f, GradOptions options) {
  if constexpr (sizeof...(Argnums) == 0) {
    return GradFn<kWithValue, F, StaticArgnums<0>>(std::move(f), {}, options);
  } else {
    return GradFn<kWithValue, F, StaticArgnums<Argnums...>>(std::move(f), {},
                                                            options);
  }
}

template <bool kWithValue, typename T, typename F>
auto make_grad(F f, const Argnums<T>& argnums, GradOptions options) {
  return GradFn<kWithValue, F, RuntimeArgnums<T>>(
      std::move(f), RuntimeArgnums<T>{argnums.positions()}, options);
}

// (value, gradient) from grad_and_value's (gradient, value).
template <typename G>
auto value_first(G inner) {
  return [inner = std::move(inner)](const auto&... args) {
    auto [g, value] = inner(args...);
    return std::pair{std::move(value), std::move(g)};
  };
}

}  // namespace grad_internal

// The gradient of f (which returns a 0-d Tensor) w.r.t. arguments
// Argnums... (default: the first), shaped like them: one tree for one
// argnum, a std::tuple for several.
template <std::size_t... Argnums, typename F>
requires(transform_internal::distinct_argnums<Argnums...>()) auto grad(
    F f, GradOptions options = {}) {
  return grad_internal::make_grad<false, Argnums...>(std::move(f), options);
}

// Argnums chosen at run time: grad(f, Argnums{0, 2})(x, y, z) is a
// std::vector of gradients, one per position (the arguments share a type).
template <typename F, typename T>
auto grad(F f, const Argnums<T>& argnums, GradOptions options = {}) {
  return grad_internal::make_grad<false>(std::move(f), argnums, options);
}

// (gradient, value), or (gradient, (value, aux)) with has_aux.
template <std::size_t... Argnums, typename F>
requires(transform_internal::distinct_argnums<
         Argnums...>()) auto grad_and_value(F f, GradOptions options = {}) {
  return grad_internal::make_grad<true, Argnums...>(std::move(f), options);
}
template <typename F, typename T>
auto grad_and_value(F f, const Argnums<T>& argnums, GradOptions options = {}) {
  return grad_internal::make_grad<true>(std::move(f), argnums, options);
}

// JAX's order: (value, gradient), or ((value, aux), gradient) with has_aux.
//
//   | fnx                | returns                  | torch.func / JAX   |
//   |--------------------|--------------------------|--------------------|
//   | grad(f)            | g                        | grad               |
//   | grad_and_value(f)  | (g, value)               | torch's order      |
//   | value_and_grad(f)  | (value, g)               | JAX's order        |
//   | value_and_jacrev/fwd(f) | (value, J)          | (jacobians/)       |
template <std::size_t... Argnums, typename F>
requires(transform_internal::distinct_argnums<
         Argnums...>()) auto value_and_grad(F f, GradOptions options = {}) {
  return grad_internal::value_first(
      grad_and_value<Argnums...>(std::move(f), options));
}
template <typename F, typename T>
auto value_and_grad(F f, const Argnums<T>& argnums, GradOptions options = {}) {
  return grad_internal::value_first(
      grad_and_value(std::move(f), argnums, options));
}

// A plain function named by its overloaded name: grad(sin) with <cmath> in
// scope picks fnx::sin (the only overload taking a Tensor).
template <std::size_t... Argnums>
auto grad(Tensor (*f)(const Tensor&), GradOptions options = {}) {
  return grad_internal::make_grad<false, Argnums...>(f, options);
}

// The pullback vjp returns: cotangents shaped like the output tree in, one
// gradient tree per primal out (always a tuple, as torch.func). Copies
// share the tape, which is freed when the last copy goes.
template <typename Out, typename... Primals>
class VjpFn {
 public:
  VjpFn(std::shared_ptr<const grad_internal::Pullback> pullback, Out out_like,
        std::tuple<Primals...> primals_like)
      : pullback_(std::move(pullback)),
        out_like_(std::move(out_like)),
        primals_like_(std::move(primals_like)) {}

  std::tuple<Primals...> operator()(const Out& cotangents) const {
    if (!tree_same_structure(out_like_, cotangents)) {
      fail("vjp", "the cotangents have structure ", tree_structure(cotangents),
           " but the output has structure ", tree_structure(out_like_),
           "; pass one cotangent per output, in the same tree");
    }
    const std::vector<Tensor> flat = tree_flatten(cotangents);
    const std::vector<Tensor> grads = pullback_->apply(flat);
    std::size_t pos = 0;
    return std::apply(
        [&](const Primals&... like) {
          return std::tuple<Primals...>{
              tree_unflatten_from(like, grads, pos)...};
        },
        primals_like_);
  }

 private:
  std::shared_ptr<const grad_internal::Pullback> pullback_;
  Out out_like_;
  std::tuple<Primals...> primals_like_;
};

namespace grad_internal {

template <typename F, typename... Primals>
auto vjp_impl(const F& f, VjpOptions options, const Primals&... primals) {
  static_assert(sizeof...(Primals) > 0, "vjp: needs at least one primal");
  using Args_ = std::tuple<const Primals&...>;
  const Args_ all(primals...);
  // Every primal is differentiated.
  const auto sel = [&]<std::size_t... I>(std::index_sequence<I...>) {
    return StaticArgnums<I...>().select("vjp", f, all);
  }
  (std::index_sequence_for<Primals...>());
  using R = transform_internal::SelectedResult<decltype(sel)>;
  using Split = SplitAux<R>;
  using Out = typename Split::Out;
  constexpr bool kAux = kIsPair<R>;
  check_has_aux("vjp", kAux, options.has_aux);
  std::optional<Out> out_like;
  std::optional<typename Split::Aux> aux_like;
  const GradTransform& t = transform("vjp");
  const FlatFn flat = transform_internal::flat_function(sel, out_like, aux_like);
  const std::vector<Tensor> leaves = sel.leaves();
  const LeafNames names(leaves, [&] { return sel.leaf_names(); });
  VjpResult r = t.vjp(flat, leaves, "vjp");
  Out out = tree_unflatten(*out_like, r.out.outputs);
  VjpFn<Out, Value<Primals>...> fn(
      std::move(r.pullback), tree_structure_only(out),
      std::tuple<Value<Primals>...>(tree_structure_only(primals)...));
  if constexpr (kAux) {
    return std::tuple{std::move(out), std::move(fn),
                      tree_unflatten(*aux_like, r.out.aux)};
  } else {
    return std::tuple{std::move(out), std::move(fn)};
  }
}

}  // namespace grad_internal

// (output, vjp_fn): f's output and its pullback w.r.t. every primal.
template <typename F, typename... Primals>
auto vjp(const F& f, const Primals&... primals) {
  return grad_internal::vjp_impl(f, VjpOptions{}, primals...);
}

// An fnx op named by its overloaded name: vjp(sin, x) picks fnx::sin.
inline auto vjp(Tensor (*f)(const Tensor&), const Tensor& primal) {
  return grad_internal::vjp_impl(f, VjpOptions{}, primal);
}

// With {.has_aux = true}: (output, vjp_fn, aux).
template <typename F, typename... Primals>
auto vjp(const F& f, VjpOptions options, const Primals&... primals) {
  return grad_internal::vjp_impl(f, options, primals...);
}

}  // namespace fnx
