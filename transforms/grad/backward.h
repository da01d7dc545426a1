// The backward pass of one grad level: reverse accumulation over the tape.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "core/tensor.h"
#include "transforms/grad/tape.h"

namespace fnx::grad_internal {

// Propagates `cotangents` (one per root; undefined = zero) from `roots`
// (null = an output that does not depend on the inputs) back to the leaves.
// Returns one cotangent per leaf index in [0, num_leaves), undefined where
// nothing reached it. Its ops run below the finished level, so outer
// levels record them (the backward pass is differentiable and batchable).
// `on_final`, when given, is called with a leaf's index and gradient as
// soon as no node left to process can add to it (after its first use in
// the forward pass has been processed), at most once per leaf; the
// returned vector still holds every leaf's gradient.
using LeafFinal = std::function<void(std::size_t leaf, const Tensor& grad)>;
std::vector<Tensor> backward(std::span<const std::shared_ptr<Node>> roots,
                             std::span<const Tensor> cotangents,
                             std::size_t num_leaves,
                             const LeafFinal* on_final = nullptr);

}  // namespace fnx::grad_internal
