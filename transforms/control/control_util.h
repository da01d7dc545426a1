// What cond, while_loop, scan and map share: reading every example's value
// of a predicate, checking that two lists of leaves agree, selecting per
// example, and noticing reverse mode.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/custom_function.h"
#include "core/tensor.h"

namespace fnx::control_internal {

// Every example's value of the scalar `x`: x itself (a 0-d tensor no
// transform batches) when no vmap level batches it, otherwise the values
// of all examples of every level that does, stacked (no gradient).
Tensor every_example(const Tensor& x, const char* op);

// fnx::Error unless `t` is a defined tensor with one element.
void check_scalar(const char* op, const char* what, const Tensor& t);

// fnx::Error unless `got` has as many leaves as `want`, each of the same
// shape and dtype. `what` says whose leaves `got` are ("body_fn's carry").
void check_like(const char* op, const char* what, std::span<const Tensor> got,
                std::span<const Tensor> want);

// Per leaf: where(pick, a, b); pick is a 0-d bool tensor (batched or not).
TensorList select(const Tensor& pick, std::span<const Tensor> a,
                  std::span<const Tensor> b);

// Whether a reverse-mode transform (grad, vjp, jacrev, linearize) records
// `t`: a live wrapper of one of them at any of its levels.
bool reverse_mode_tracks(const Tensor& t);

// The leading size every leaf of xs shares (the scan length); `length`
// when xs has no leaves. fnx::Error when they differ or a leaf is 0-d.
int64_t leading_length(const char* op, std::span<const Tensor> xs,
                       const int64_t* length);

// Leaf i's slices stacked along a new leading dim, for every leaf: the
// inner vectors are the steps' outputs in step order.
TensorList stack_steps(const char* op, const std::vector<TensorList>& steps);

}  // namespace fnx::control_internal
