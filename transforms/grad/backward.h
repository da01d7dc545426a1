// The backward pass of one grad level: reverse accumulation over the tape.
#pragma once

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
std::vector<Tensor> backward(std::span<const std::shared_ptr<Node>> roots,
                             std::span<const Tensor> cotangents,
                             std::size_t num_leaves);

}  // namespace fnx::grad_internal
