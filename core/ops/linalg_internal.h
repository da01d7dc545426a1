// Helpers shared by the linear-algebra front ends (linalg_ops.cc) and
// composites (linalg_solvers.cc). Not a public header.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include "core/primitive.h"
#include "core/tensor.h"

namespace fnx::linalg_internal {

// Rank >= 2, floating, and square when asked: "[op] ..." errors.
void check_input(std::string_view op, const Tensor& a, bool square);
Shape batch_of(const Tensor& a);  // the dims before the last two
// Both operands promoted to one dtype and broadcast to one batch.
std::pair<Tensor, Tensor> broadcast_batch(std::string_view op, const Tensor& a,
                                          const Tensor& b);
// b's rows (left) or columns (right) match a's order n: "[op] a 3x3
// matrix cannot left-solve a right-hand side of shape ... (rows 4 != 3)".
void check_rhs(std::string_view op, const Tensor& a, const Tensor& b,
               bool left);
// (..., n) bool -> (...) int32: 1 + the index of the first true, or 0.
Tensor first_true_plus_one(const Tensor& bad);
// X of L U X = B for a right-hand side already in the pivoted order (P B):
// lu_solve's two triangular solves, for callers that build P B directly.
Tensor solve_pivoted(const Tensor& lu, const Tensor& pb);
Tensor linalg_call(Prim prim, const LinalgAttrs& attrs, const Tensor& a);
// The primitive's packed result as views of its parts.
std::vector<Tensor> linalg_parts_of(Prim prim, const LinalgAttrs& attrs,
                                    const Tensor& a);

}  // namespace fnx::linalg_internal
