// scan: thread a carry through f over the leading dim of xs and stack the
// per-step outputs. Reverse mode needs nothing special: grad's tape holds
// each step's residuals and its backward walks them in reverse (the reverse
// scan over saved carries). With checkpoint_every = k each block of k steps
// is one checkpoint, so the tape holds only the carry entering each block
// and the block is recomputed in the backward.
#include <algorithm>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/ops/ops.h"
#include "transforms/control/control_internal.h"
#include "transforms/control/control_util.h"
#include "transforms/custom/checkpoint_entry.h"

namespace fnx::control_internal {
namespace {

constexpr const char* kOp = "scan";

// Steps [begin, end) of xs (their indices into xs; xs may be a block that
// starts at `offset`). Returns the carry and the ys stacked in index order.
std::pair<TensorList, TensorList> run_steps(const FlatStep& step,
                                            TensorList carry,
                                            std::span<const Tensor> xs,
                                            int64_t length, bool reverse) {
  std::vector<TensorList> ys(static_cast<std::size_t>(length));
  TensorList x(xs.size());
  for (int64_t k = 0; k < length; ++k) {
    const int64_t i = reverse ? length - 1 - k : k;
    for (std::size_t j = 0; j < xs.size(); ++j) x[j] = select(xs[j], 0, i);
    auto [next, y] = step(carry, x);
    check_like(kOp, "f's carry", next, carry);
    carry = std::move(next);
    ys[static_cast<std::size_t>(i)] = std::move(y);
  }
  return {std::move(carry), stack_steps(kOp, ys)};
}

// The same with every block of `every` steps checkpointed.
std::pair<TensorList, TensorList> run_checkpointed(const FlatStep& step,
                                                   TensorList carry,
                                                   std::span<const Tensor> xs,
                                                   int64_t length, bool reverse,
                                                   int64_t every) {
  const std::size_t nc = carry.size();
  const int64_t blocks = (length - 1) / every + 1;
  std::vector<TensorList> block_ys(static_cast<std::size_t>(blocks));
  for (int64_t k = 0; k < blocks; ++k) {
    const int64_t b = reverse ? blocks - 1 - k : k;
    const int64_t start = b * every;
    const int64_t size = std::min(every, length - start);
    TensorList leaves = carry;
    for (const Tensor& x : xs) leaves.push_back(narrow(x, 0, start, size));
    const checkpoint_internal::FlatBody body =
        // By value: the backward recomputes the block after scan returned.
        [step, nc, size, reverse](std::span<const Tensor> in) {
          auto [c, ys] =
              run_steps(step, TensorList(in.begin(), in.begin() + nc),
                        in.subspan(nc), size, reverse);
          c.insert(c.end(), ys.begin(), ys.end());
          return c;
        };
    TensorList out =
        checkpoint_internal::entry().call(body, CheckpointPolicy{}, leaves, {});
    carry.assign(out.begin(), out.begin() + static_cast<int64_t>(nc));
    block_ys[static_cast<std::size_t>(b)].assign(
        out.begin() + static_cast<int64_t>(nc), out.end());
  }
  TensorList ys;
  for (std::size_t j = 0; j < block_ys[0].size(); ++j) {
    std::vector<Tensor> parts;
    for (const TensorList& block : block_ys) parts.push_back(block[j]);
    ys.push_back(parts.size() == 1 ? parts[0] : cat(parts, 0));
  }
  return {std::move(carry), std::move(ys)};
}

}  // namespace

std::pair<TensorList, TensorList> scan(const FlatStep& step,
                                       std::span<const Tensor> init,
                                       std::span<const Tensor> xs,
                                       const ScanOptions& options) {
  FNX_CHECK(options.unroll >= 1, kOp, "unroll is ", options.unroll,
            "; it must be >= 1");
  FNX_CHECK(options.checkpoint_every >= 0, kOp, "checkpoint_every is ",
            options.checkpoint_every, "; it must be >= 0 (0: keep every step)");
  FNX_CHECK(!options.length || *options.length >= 0, kOp, "length is ",
            options.length.value_or(0), "; it must be >= 0");
  for (std::size_t i = 0; i < init.size(); ++i) {
    FNX_CHECK(init[i].defined(), kOp, "init leaf ", i,
              " is an undefined tensor");
  }
  const int64_t length =
      leading_length(kOp, xs, options.length ? &*options.length : nullptr);
  FNX_CHECK(length > 0, kOp,
            "the length is 0; scan needs at least one step (its first step "
            "gives the shapes of ys)");
  TensorList carry(init.begin(), init.end());
  if (options.checkpoint_every > 0) {
    return run_checkpointed(step, std::move(carry), xs, length, options.reverse,
                            std::min(options.checkpoint_every, length));
  }
  return run_steps(step, std::move(carry), xs, length, options.reverse);
}

}  // namespace fnx::control_internal
