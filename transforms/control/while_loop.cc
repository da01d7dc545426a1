// while_loop: step the carry while the condition holds. Under vmap with a
// condition that differs between examples, step the whole batch until no
// example runs, and keep each finished example's carry as it was
// (where(running, next, carry)).
#include <cstdint>
#include <span>

#include "core/error.h"
#include "core/ops/ops.h"
#include "transforms/control/control_internal.h"
#include "transforms/control/control_util.h"

namespace fnx::control_internal {
namespace {

constexpr const char* kOp = "while_loop";

void check_no_reverse_mode(std::span<const Tensor> carry) {
  for (const Tensor& leaf : carry) {
    FNX_CHECK(!reverse_mode_tracks(leaf), kOp,
              "reverse-mode differentiation (grad, vjp, jacrev, hessian) of "
              "a while_loop needs a bound on its number of steps, since it "
              "keeps every step's values for the backward; pass "
              "{.max_steps = N}. Forward mode (jvp, jacfwd) needs none.");
  }
}

}  // namespace

TensorList while_loop(const FlatPredicate& cond, const FlatFn& body,
                      std::span<const Tensor> init,
                      const WhileLoopOptions& options) {
  FNX_CHECK(!options.max_steps || *options.max_steps >= 0, kOp, "max_steps is ",
            options.max_steps.value_or(0), "; it must be >= 0");
  for (std::size_t i = 0; i < init.size(); ++i) {
    FNX_CHECK(init[i].defined(), kOp, "init leaf ", i,
              " is an undefined tensor");
  }
  TensorList carry(init.begin(), init.end());
  for (int64_t step = 0;; ++step) {
    if (options.max_steps && step >= *options.max_steps) break;
    if (!options.max_steps) check_no_reverse_mode(carry);
    Tensor running = cond(carry);
    check_scalar(kOp, "cond_fn's result", running);
    running = reshape(cast(running, DType::Bool), {});
    const Tensor all = every_example(running, kOp);
    if (all.dim() == 0) {
      if (!all.item<bool>()) break;
      TensorList next = body(carry);
      check_like(kOp, "body_fn's carry", next, carry);
      carry = std::move(next);
      continue;
    }
    const int64_t count = sum(cast(all, DType::Int64)).item<int64_t>();
    if (count == 0) break;
    TensorList next = body(carry);
    check_like(kOp, "body_fn's carry", next, carry);
    carry =
        count == all.numel() ? std::move(next) : select(running, next, carry);
  }
  return carry;
}

}  // namespace fnx::control_internal
