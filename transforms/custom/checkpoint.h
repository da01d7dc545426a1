// Gradient checkpointing (rematerialization): under grad, the forward of a
// checkpointed function keeps none of its intermediates (only its
// arguments, and what the policy saves), and the backward recomputes them.
//
//   auto block = [&](const Tensor& x) { return gelu(linear(x, w, b)); };
//   auto ckpt = checkpoint(block);                 // save nothing
//   auto dots = checkpoint(block, CheckpointPolicy::dots_saveable());
//   auto named = checkpoint(
//       [&](const Tensor& x) { return gelu(checkpoint_name(linear(x, w, b),
//                                                          "pre")); },
//       CheckpointPolicy::save_only_these_names({"pre"}));
//   Tensor g = grad([&](const Tensor& x) { return ckpt(x).sum(); })(x);
//
// - grad(checkpoint(f)) equals grad(f) bit for bit: the recomputation runs
//   the same kernels, and random ops (dropout) draw the same numbers again
//   (fnx's random numbers are keyed by counters, replayed in order).
// - Composes with every transform: vmap (per-sample gradients of a
//   checkpointed model), jvp (forward mode runs f itself: nothing to save),
//   grad of grad, functionalize.
// - It is a custom function (custom.h) named "checkpoint": its bwd is the
//   recomputation, its jvp is forward mode through f.
// - f's parameter types must be spelled out (no `auto` parameters); its
//   arguments and result are trees, NonDiff{tensor} marks a tensor that is
//   not differentiated. Tensors f captures are constants (as in grad): pass
//   what you differentiate as arguments.
//
// Named `checkpoint` for the transform; nn's file checkpoints are
// nn::save / nn::load.
#pragma once

#include <memory>
#include <optional>
#include <string_view>
#include <tuple>
#include <utility>

#include "core/tree.h"
#include "transforms/custom/checkpoint_entry.h"
#include "transforms/custom/custom.h"

namespace fnx {

// x itself; inside a function checkpointed with
// CheckpointPolicy::save_only_these_names({..., name, ...}) the forward
// keeps it for the backward instead of recomputing it.
inline Tensor checkpoint_name(const Tensor& x, std::string_view name) {
  return checkpoint_internal::entry().name(x, name);
}

namespace checkpoint_internal {

template <typename Out, typename... Args>
class CheckpointFn {
 public:
  using ArgTuple = std::tuple<Args...>;

  template <typename F>
  CheckpointFn(F f, CheckpointPolicy policy)
      : f_(std::move(f)), policy_(std::move(policy)) {}

  Out operator()(const Args&... args) const {
    auto like = std::make_shared<const ArgTuple>(
        tree_structure_only(ArgTuple(args...)));
    auto out_like = std::make_shared<std::optional<Out>>();
    auto f = f_;
    const FlatBody body = [f, like, out_like](std::span<const Tensor> x) {
      Out out = std::apply(f, tree_unflatten(*like, x));
      if (!*out_like) out_like->emplace(tree_structure_only(out));
      return tree_flatten(out);
    };
    std::vector<char> mask;
    (mask.insert(mask.end(), tree_num_leaves(args),
                 !custom_internal::kIsNonDiff<Args>),
     ...);
    const TensorList outs = entry().call(
        body, policy_, tree_flatten(std::tuple<const Args&...>(args...)),
        std::move(mask));
    return tree_unflatten(**out_like, outs);
  }

 private:
  std::function<Out(const Args&...)> f_;
  CheckpointPolicy policy_;
};

template <typename F>
using CheckpointFnFor = typename custom_internal::Signature<
    std::decay_t<F>>::template Apply<CheckpointFn>;

}  // namespace checkpoint_internal

// f, checkpointed: see the top of this file.
template <typename F>
auto checkpoint(F f, CheckpointPolicy policy = {}) {
  return checkpoint_internal::CheckpointFnFor<F>(std::move(f),
                                                 std::move(policy));
}

}  // namespace fnx
