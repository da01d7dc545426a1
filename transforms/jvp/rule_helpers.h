// The family helpers every JVP rule is built from: unary (tangent times the
// derivative), broadcasting binary (a sum of partial terms), linear ops (the
// same primitive applied to the tangents) and bilinear ops (one term per
// argument, each the same primitive with that argument's tangent). All are
// written with public ops, so rules compose with every other transform.
#pragma once

#include <cstdint>
#include <span>

#include "core/ops/ops.h"
#include "core/primitive.h"
#include "core/tensor.h"
#include "transforms/jvp/jvp_rule.h"

namespace fnx::jvp_internal {

// `t` broadcast (expanded, no copy) to `shape` when broadcasting made the
// output bigger than the input it belongs to.
Tensor fit(const Tensor& t, const Shape& shape);

// a + b where either may be undefined (a zero tangent).
Tensor add_tangents(const Tensor& a, const Tensor& b);

// A zero with x's shape, dtype and device that holds one element (an
// expanded 0-d tensor): what a linear op sees for an input with no tangent.
Tensor zero_like(const Tensor& x);

// sum(t, dims, keepdim), where empty dims reduce nothing (as the Reduce
// primitives' attributes say; the op API would reduce everything).
Tensor reduce_sum(const Tensor& t, const Dims& dims, bool keepdim);

// The call's primitive applied to `inputs` with `attrs`, through dispatch
// (so the levels below see it like any public op).
Tensor same_op(const JvpArgs& a, const Attrs& attrs,
               std::span<const Tensor> inputs);

// ---- unary: tangent = D(t, x, y) ----
using UnaryD = Tensor (*)(const Tensor& t, const Tensor& x, const Tensor& y);

template <UnaryD D>
Tensor unary(const JvpArgs& a) {
  return D(a.tangent(0), a.input(0), a.out);
}

// ---- broadcasting binary: tangent = fit(DA(ta, ...)) + fit(DB(tb, ...)),
// each term computed only when its input has a tangent ----
using BinaryD = Tensor (*)(const Tensor& t, const Tensor& a, const Tensor& b,
                           const Tensor& y);

Tensor binary_terms(const JvpArgs& a, BinaryD da, BinaryD db);

template <BinaryD DA, BinaryD DB>
Tensor binary(const JvpArgs& a) {
  return binary_terms(a, DA, DB);
}

// ---- linear ops: the same primitive applied to the tangents of the inputs
// in `mask` (bit i: input i), with a zero for those that have none; other
// inputs (indices, conditions) are passed as they are. Constants that the
// attributes add (a pad value) become zero. ----
Tensor linear_in(const JvpArgs& a, uint32_t mask);

template <uint32_t kMask>
Tensor linear(const JvpArgs& a) {
  return linear_in(a, kMask);
}

inline constexpr uint32_t kArg0 = 1u << 0;
inline constexpr uint32_t kArg1 = 1u << 1;
inline constexpr uint32_t kArg2 = 1u << 2;
inline constexpr uint32_t kAllArgs = ~0u;

// ---- bilinear ops (mul, matmul, conv and its transposes):
// op(ta, b) + op(a, tb) ----
Tensor bilinear(const JvpArgs& a);

template <JvpFn F>
constexpr JvpRule rule() {
  return JvpRule{JvpRule::Kind::kRule, F};
}

}  // namespace fnx::jvp_internal
