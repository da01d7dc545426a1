// Control flow under transforms: cond, switch_case, while_loop, fori_loop,
// scan and map (JAX's lax.cond, lax.switch, lax.while_loop, lax.fori_loop,
// lax.scan, lax.map). They compose with every transform (vmap, grad, vjp,
// jvp, the jacobians, functionalize) and with each other, on every backend.
//
//   // A branch on a value: under vmap each example takes its own branch.
//   Tensor y = cond(x.sum() > 0.0, [](const Tensor& v) { return sin(v); },
//                   [](const Tensor& v) { return cos(v); }, x);
//
//   // Newton's method, a different number of steps per example under vmap.
//   Tensor r = while_loop(
//       [&](const Tensor& z) { return abs(z * z - a) > 1e-9; },
//       [&](const Tensor& z) { return z - (z * z - a) / (2.0 * z); }, a);
//
//   // An RNN: the carry is the hidden state, ys every step's output.
//   auto [h, hs] = scan(
//       [&](const Tensor& h, const Tensor& x) {
//         Tensor n = tanh(matmul(h, w) + x);
//         return std::pair{n, n};
//       },
//       h0, xs);
//
// What each does:
// - cond(pred, true_fn, false_fn, operands...): pred is a scalar tensor (any
//   dtype, nonzero is true) or a bool. Not batched: one branch runs (plain
//   C++ branching). Batched under vmap, with examples that disagree: both
//   branches run on the whole batch and every example takes its own
//   branch's result (JAX's semantics); both results must then agree in
//   shape and dtype leaf by leaf (an fnx::Error says which leaf differs).
//   Both branches must return the same C++ type.
// - switch_case<Out>(index, {branches...}, operands...): index (an integer
//   scalar tensor or an int64_t) picks a branch, clamped to the branches as
//   in JAX; per example under vmap, running each branch some example picks.
// - while_loop(cond_fn, body_fn, init, {.max_steps}): body_fn maps the
//   carry to a carry of the same structure, shapes and dtypes while
//   cond_fn(carry) (a scalar) holds. Under vmap with a condition that
//   differs between examples it runs until every example is done, and a
//   finished example's carry stays as it is. With max_steps it stops after
//   that many iterations. Forward mode (jvp, jacfwd) works as it is;
//   reverse mode (grad, vjp, jacrev) needs max_steps, and is an fnx::Error
//   without it.
// - fori_loop(lower, upper, body_fn, init): body_fn(i, carry) -> carry for
//   i = lower, ..., upper - 1.
// - scan(f, init, xs, {.length, .reverse, .unroll, .checkpoint_every}):
//   f(carry, x) -> std::pair{carry, y} over the leading dim of every leaf
//   of xs; returns the final carry and the ys stacked along a new leading
//   dim. checkpoint_every = k keeps only every k-th carry for reverse mode
//   and recomputes the rest; f is then copied and called again in the
//   backward, after scan returned: let it capture by value.
// - map(f, xs, {.batch_size}): f over the leading dim of xs, one example at
//   a time, or vmapped over chunks of batch_size.
//
// How: fnx is eager, so a loop runs as a loop and every transform sees the
// ops each step makes: grad's tape holds each step's residuals, and its
// backward is the reverse scan over them; jvp carries tangents along; vmap
// runs each step batched. What no plain C++ loop can do under vmap — branch
// or stop per example — is what these functions add: they read every
// example's predicate (vmap_all_gather) and select with where(). Functions
// may capture tensors (weights in an RNN cell) as any C++ lambda does,
// except scan's step with checkpoint_every (a checkpoint takes what it
// differentiates as arguments).
//
// This header is thin: the plugin (//transforms/control or
// libfnx_control.so) does the work, found in the registry at call time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/ops/ops.h"
#include "core/tensor.h"
#include "core/tree.h"
#include "transforms/control/control_entry.h"

namespace fnx {
namespace control_internal {

template <typename T>
using Plain = std::remove_cvref_t<T>;

template <typename T>
void check_same_structure(const char* op, const char* what, const T& got,
                          const T& want) {
  FNX_CHECK(tree_same_structure(got, want), op, what, " returned ",
            tree_structure(got), " but the carry is ", tree_structure(want),
            "; return a carry of the same structure");
}

// A branch as a function of no arguments returning flat leaves; the first
// branch run records the output structure.
template <typename Out, typename F, typename... Ops>
Thunk branch_thunk(const F& fn, std::optional<Out>& out_like,
                   const Ops&... operands) {
  return [&fn, &out_like, &operands...] {
    Out out = fn(operands...);
    if (!out_like) out_like.emplace(tree_structure_only(out));
    return tree_flatten(out);
  };
}

}  // namespace control_internal

template <typename TrueFn, typename FalseFn, typename... Ops>
auto cond(bool pred, const TrueFn& true_fn, const FalseFn& false_fn,
          const Ops&... operands) {
  using Out = control_internal::Plain<
      std::invoke_result_t<const TrueFn&, const Ops&...>>;
  static_assert(
      std::is_same_v<Out, control_internal::Plain<std::invoke_result_t<
                              const FalseFn&, const Ops&...>>>,
      "cond: both branches must return the same type");
  return pred ? Out(true_fn(operands...)) : Out(false_fn(operands...));
}

template <typename TrueFn, typename FalseFn, typename... Ops>
auto cond(const Tensor& pred, const TrueFn& true_fn, const FalseFn& false_fn,
          const Ops&... operands) {
  using Out = control_internal::Plain<
      std::invoke_result_t<const TrueFn&, const Ops&...>>;
  static_assert(
      std::is_same_v<Out, control_internal::Plain<std::invoke_result_t<
                              const FalseFn&, const Ops&...>>>,
      "cond: both branches must return the same type");
  static_assert(is_tree_v<Out>,
                "cond: the branches must return a tree of tensors");
  std::optional<Out> out_like;
  const std::vector<control_internal::Thunk> branches{
      control_internal::branch_thunk<Out>(false_fn, out_like, operands...),
      control_internal::branch_thunk<Out>(true_fn, out_like, operands...)};
  FNX_CHECK(pred.defined(), "cond", "pred is an undefined tensor");
  const TensorList outs =
      control_internal::entry().switch_case("cond", pred, branches);
  return tree_unflatten(*out_like, outs);
}

// Spell Out: switch_case<Tensor>(i, {f0, f1, f2}, x).
template <typename Out, typename... Ops>
Out switch_case(const Tensor& index,
                const std::vector<std::function<Out(const Ops&...)>>& branches,
                const Ops&... operands) {
  static_assert(is_tree_v<Out>,
                "switch_case: the branches must return a tree of tensors");
  FNX_CHECK(!branches.empty(), "switch_case", "no branches; pass at least one");
  std::optional<Out> out_like;
  std::vector<control_internal::Thunk> thunks;
  for (const auto& b : branches) {
    thunks.push_back(
        control_internal::branch_thunk<Out>(b, out_like, operands...));
  }
  const TensorList outs =
      control_internal::entry().switch_case("switch_case", index, thunks);
  return tree_unflatten(*out_like, outs);
}

template <typename Out, typename... Ops>
Out switch_case(int64_t index,
                const std::vector<std::function<Out(const Ops&...)>>& branches,
                const Ops&... operands) {
  FNX_CHECK(!branches.empty(), "switch_case", "no branches; pass at least one");
  const int64_t last = static_cast<int64_t>(branches.size()) - 1;
  const int64_t i = index < 0 ? 0 : (index > last ? last : index);
  return branches[static_cast<std::size_t>(i)](operands...);
}

template <typename CondFn, typename BodyFn, typename Carry>
Carry while_loop(const CondFn& cond_fn, const BodyFn& body_fn,
                 const Carry& init, const WhileLoopOptions& options = {}) {
  static_assert(is_tree_v<Carry>, "while_loop: the carry must be a tree");
  const Carry like = tree_structure_only(init);
  const control_internal::FlatPredicate flat_cond =
      [&](std::span<const Tensor> c) -> Tensor {
    return cond_fn(tree_unflatten(like, c));
  };
  const control_internal::FlatFn flat_body = [&](std::span<const Tensor> c) {
    const Carry out = body_fn(tree_unflatten(like, c));
    control_internal::check_same_structure("while_loop", "body_fn", out, like);
    return tree_flatten(out);
  };
  const TensorList leaves = tree_flatten(init);
  return tree_unflatten(like, control_internal::entry().while_loop(
                                  flat_cond, flat_body, leaves, options));
}

template <typename F, typename Carry, typename Xs>
auto scan(const F& f, const Carry& init, const Xs& xs,
          const ScanOptions& options = {}) {
  using Result = control_internal::Plain<
      std::invoke_result_t<const F&, const Carry&, const Xs&>>;
  using Y = control_internal::Plain<typename Result::second_type>;
  static_assert(is_tree_v<Carry> && is_tree_v<Xs> && is_tree_v<Y>,
                "scan: f(carry, x) must return std::pair{carry, y} of trees");
  // Shared and owned: with checkpoint_every the backward calls the step
  // again after scan has returned.
  struct State {
    F f;
    Carry like;
    Xs x_like;
    std::optional<Y> y_like;
  };
  auto state = std::make_shared<State>(
      State{f, tree_structure_only(init), tree_structure_only(xs), {}});
  const control_internal::FlatStep step = [state](std::span<const Tensor> c,
                                                  std::span<const Tensor> x) {
    Result r = state->f(tree_unflatten(state->like, c),
                        tree_unflatten(state->x_like, x));
    control_internal::check_same_structure("scan", "f", r.first, state->like);
    if (!state->y_like) state->y_like.emplace(tree_structure_only(r.second));
    return std::pair{tree_flatten(r.first), tree_flatten(r.second)};
  };
  const TensorList init_leaves = tree_flatten(init);
  const TensorList x_leaves = tree_flatten(xs);
  auto [carry, ys] =
      control_internal::entry().scan(step, init_leaves, x_leaves, options);
  return std::pair<Carry, Y>{tree_unflatten(state->like, carry),
                             tree_unflatten(*state->y_like, ys)};
}

template <typename BodyFn, typename Carry>
Carry fori_loop(int64_t lower, int64_t upper, const BodyFn& body_fn,
                const Carry& init) {
  FNX_CHECK(upper >= lower, "fori_loop", "upper ", upper, " is below lower ",
            lower, "; pass lower <= upper");
  if (upper == lower) return init;
  int64_t i = lower;
  auto step = [&](const Carry& c, const std::tuple<>&) {
    Carry next = body_fn(i++, c);
    return std::pair<Carry, std::tuple<>>{std::move(next), {}};
  };
  return scan(step, init, std::tuple<>{}, {.length = upper - lower}).first;
}

template <typename F, typename Xs>
auto map(const F& f, const Xs& xs, const MapOptions& options = {}) {
  using Y = control_internal::Plain<std::invoke_result_t<const F&, const Xs&>>;
  static_assert(is_tree_v<Xs> && is_tree_v<Y>,
                "map: f must map a tree of tensors to a tree of tensors");
  const Xs x_like = tree_structure_only(xs);
  std::optional<Y> y_like;
  const control_internal::FlatFn flat = [&](std::span<const Tensor> x) {
    Y y = f(tree_unflatten(x_like, x));
    if (!y_like) y_like.emplace(tree_structure_only(y));
    return tree_flatten(y);
  };
  const TensorList leaves = tree_flatten(xs);
  const TensorList ys = control_internal::entry().map(flat, leaves, options);
  return tree_unflatten(*y_like, ys);
}

}  // namespace fnx
