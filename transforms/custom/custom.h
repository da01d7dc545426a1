// Custom functions: your own op, with your own derivative and batching
// rules, that every transform composes with (torch.autograd.Function,
// JAX's custom_vjp / custom_jvp / custom_vmap, MLX's custom_function).
//
//   // A custom vjp: gradient clipping on the way back.
//   auto clip = custom_function(
//       [](const Tensor& x) { return x; },
//       {.vjp = {.bwd = [](const TensorList& res, const Tensor& g) {
//          return TensorList{clamp(g, -1.0, 1.0)};
//        }}});
//   Tensor g = grad([&](const Tensor& x) { return (clip(x) * 3.0).sum(); })(x);
//
//   // A custom jvp: a stable formula for softplus's derivative.
//   auto softplus = custom_function(
//       [](const Tensor& x) { return log1p(exp(-abs(x))) + relu(x); },
//       {.jvp = [](const Tensor& x, const Tensor& t) {
//          return std::pair{log1p(exp(-abs(x))) + relu(x), sigmoid(x) * t};
//        }});
//
//   // A custom vmap rule: one call for the whole batch.
//   auto rowsum = custom_function(
//       [](const Tensor& x) { return x.sum(); },
//       {.vmap = [](const VmapInfo& info, const Tensor& x) {
//          return std::pair{x.sum({info.in_dims[0] == 0 ? 1 : 0}),
//                           std::vector<int64_t>{0}};
//        }});
//
// The function (fwd) takes any arguments: trees of tensors (a Tensor, a
// vector, a tuple, a ParamDict, your FNX_TREE_STRUCT), numbers and other
// static data (passed through as they are), and NonDiff{tensor} for a
// tensor that is never differentiated. It returns a tree. Its parameter
// types must be spelled out (no `auto` parameters): the rules' signatures
// are derived from them.
//
// The rules (any subset; a missing one is derived):
//   .vjp = {.fwd_with_residuals, .bwd}
//       fwd_with_residuals(args...) -> std::pair{out, TensorList residuals}
//         (optional: without it the residuals are the argument tensors
//         followed by the output tensors, in tree order);
//       bwd(residuals, out_cotangent) -> TensorList, one cotangent per
//         differentiated argument tensor in order (NonDiff ones skipped;
//         an undefined Tensor is a zero cotangent). Inside bwd,
//         custom_needs_input_grad(i) says whether argument tensor i (in
//         tree order, NonDiff ones counted) needs its cotangent at all
//         (torch's ctx.needs_input_grad): skip the others.
//   .jvp(args..., tangents...) -> std::pair{out, out_tangent}: the tangents
//       have the arguments' types (zeros where an argument has none; static
//       data repeated).
//   .vmap(info, args...) -> std::pair{out, std::vector<int64_t> out_dims}:
//       called once per batch with the batched arguments; info.in_dims has
//       one entry per argument tensor (-1: not batched), out_dims one per
//       output tensor (-1: the same for every example).
//
// What each transform does:
//   grad/vjp  the user's bwd; else the transpose of jvp; else through fwd.
//   jvp       the user's jvp; else the transpose of bwd (reverse mode
//             through bwd in its cotangent, which it is linear in: forward
//             mode works with only a custom vjp); else through fwd.
//   vmap      the user's vmap rule once per batch (vmap of vmap merges the
//             batches); else vmap of fwd. The derivative rules stay: bwd
//             and jvp run batched, and cotangents of unbatched arguments
//             are summed over the batch.
//   functionalize  fwd and the rules run functionalized.
// A tensor of an enclosing transform that fwd or a rule uses without
// taking it as an argument is an fnx::Error naming the function. fwd and
// the rules must not write into their arguments.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/custom_function.h"
#include "core/error.h"
#include "core/tree.h"

namespace fnx {

// An argument tensor that is never differentiated (JAX's nondiff_argnums):
// it is batched by vmap but gets no cotangent and no tangent.
struct NonDiff {
  Tensor value;
};
FNX_TREE_STRUCT(NonDiff, value);

// What a custom vmap rule is told about its batch.
struct VmapInfo {
  int64_t batch_size = 0;
  std::vector<int64_t> in_dims;  // per argument tensor; -1: not batched
};

template <typename Out, typename... Args>
struct CustomRules {
  struct Vjp {
    std::function<std::pair<Out, TensorList>(const Args&...)>
        fwd_with_residuals;
    std::function<TensorList(const TensorList& residuals, const Out& ct)> bwd;
  };
  Vjp vjp;
  std::function<std::pair<Out, Out>(const Args&..., const Args&...)> jvp;
  std::function<std::pair<Out, std::vector<int64_t>>(const VmapInfo&,
                                                     const Args&...)>
      vmap;
  std::string name = "custom_function";
};

namespace custom_internal {

// The parameter and result types of a callable with one operator().
template <typename T>
struct Signature : Signature<decltype(&T::operator())> {};
template <typename R, typename... A>
struct Signature<R (*)(A...)> {
  using Out = std::remove_cvref_t<R>;
  template <template <typename...> class Tmpl>
  using Apply = Tmpl<Out, std::remove_cvref_t<A>...>;
};
template <typename C, typename R, typename... A>
struct Signature<R (C::*)(A...) const> : Signature<R (*)(A...)> {};
template <typename C, typename R, typename... A>
struct Signature<R (C::*)(A...)> : Signature<R (*)(A...)> {};

template <typename F>
using RulesFor =
    typename Signature<std::decay_t<F>>::template Apply<CustomRules>;

template <typename A>
inline constexpr bool kIsNonDiff =
    std::is_same_v<std::remove_cvref_t<A>, NonDiff>;

// A custom function bound to its fwd and rules; calling it makes one
// custom_call primitive.
template <typename Out, typename... Args>
class CustomFn {
 public:
  using Rules = CustomRules<Out, Args...>;
  using ArgTuple = std::tuple<Args...>;

  template <typename F>
  CustomFn(F fwd, Rules rules)
      : fwd_(std::move(fwd)),
        rules_(std::make_shared<const Rules>(std::move(rules))) {}

  Out operator()(const Args&... args) const {
    // The arguments' structure without their tensors (a tape keeps the
    // function alive, and must not keep its own values alive through it).
    auto like = std::make_shared<const ArgTuple>(
        tree_structure_only(ArgTuple(args...)));
    const std::vector<Tensor> leaves =
        tree_flatten(std::tuple<const Args&...>(args...));
    auto out_like = std::make_shared<std::optional<Out>>();
    auto fn = std::make_shared<CustomFunction>();
    fn->name = rules_->name;
    fn->differentiable = differentiable_mask(args...);
    const std::vector<char> mask = fn->differentiable;
    auto fwd = fwd_;
    fn->fwd = [fwd, like, out_like](std::span<const Tensor> x) {
      return flat_out(std::apply(fwd, tree_unflatten(*like, x)), *out_like);
    };
    const std::shared_ptr<const Rules> rules = rules_;
    if (rules->vjp.bwd) {
      if (rules->vjp.fwd_with_residuals) {
        fn->fwd_with_residuals = [rules, like,
                                  out_like](std::span<const Tensor> x) {
          auto [out, res] = std::apply(rules->vjp.fwd_with_residuals,
                                       tree_unflatten(*like, x));
          return std::make_pair(flat_out(out, *out_like), std::move(res));
        };
      }
      fn->bwd = [rules, out_like, mask](std::span<const Tensor> res,
                                        std::span<const Tensor> cts) {
        const TensorList given =
            rules->vjp.bwd(TensorList(res.begin(), res.end()),
                           tree_unflatten(**out_like, cts));
        return spread_cotangents(rules->name, given, mask);
      };
    }
    if (rules->jvp) {
      fn->jvp = [rules, like, out_like](std::span<const Tensor> p,
                                        std::span<const Tensor> t) {
        auto [out, tout] = std::apply(
            rules->jvp,
            std::tuple_cat(tree_unflatten(*like, p), tree_unflatten(*like, t)));
        TensorList o = flat_out(out, *out_like);
        return std::make_pair(std::move(o), tree_flatten(tout));
      };
    }
    if (rules->vmap) {
      fn->vmap = [rules, like, out_like](int64_t size,
                                         std::span<const int64_t> in_dims,
                                         std::span<const Tensor> x) {
        const VmapInfo info{size, {in_dims.begin(), in_dims.end()}};
        auto [out, out_dims] = std::apply(
            rules->vmap, std::tuple_cat(std::tuple<const VmapInfo&>(info),
                                        tree_unflatten(*like, x)));
        return std::make_pair(flat_out(out, *out_like), std::move(out_dims));
      };
    }
    const TensorList outs = custom_call(std::move(fn), leaves);
    return tree_unflatten(**out_like, outs);
  }

 private:
  static TensorList flat_out(const Out& out, std::optional<Out>& like) {
    if (!like) like.emplace(tree_structure_only(out));
    return tree_flatten(out);
  }

  static std::vector<char> differentiable_mask(const Args&... args) {
    std::vector<char> mask;
    (mask.insert(mask.end(), tree_num_leaves(args), !kIsNonDiff<Args>), ...);
    return mask;
  }

  // bwd gives one cotangent per differentiated leaf; the core wants one per
  // leaf.
  static TensorList spread_cotangents(const std::string& name,
                                      const TensorList& given,
                                      const std::vector<char>& mask) {
    std::size_t want = 0;
    for (char m : mask) want += m ? 1 : 0;
    FNX_CHECK(given.size() == want, "custom_function", "the bwd of '", name,
              "' returned ", given.size(), " cotangents; it must return ", want,
              " (one per differentiated argument tensor, in order)");
    TensorList all(mask.size());
    std::size_t k = 0;
    for (std::size_t i = 0; i < mask.size(); ++i) {
      if (mask[i]) all[i] = given[k++];
    }
    return all;
  }

  std::function<Out(const Args&...)> fwd_;
  std::shared_ptr<const Rules> rules_;
};

template <typename F>
using CustomFnFor =
    typename Signature<std::decay_t<F>>::template Apply<CustomFn>;

}  // namespace custom_internal

// A custom function of `fwd` with the given rules (any subset).
template <typename F>
auto custom_function(F fwd, custom_internal::RulesFor<F> rules = {}) {
  return custom_internal::CustomFnFor<F>(std::move(fwd), std::move(rules));
}

}  // namespace fnx
