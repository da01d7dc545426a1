// VJP rules of the elementwise families: unary, broadcasting binary (with
// sum-to-shape for broadcast operands), compare, where and cast. The unary,
// binary and constant primitives come from the table jvp registers from too
// (transforms/common/elementwise_table.h).
#include <iterator>
#include <utility>

#include "core/ops/ops.h"
#include "transforms/common/elementwise_table.h"
#include "transforms/grad/rule_helpers.h"
#include "transforms/grad/vjp_rule.h"

namespace fnx::grad_internal {
namespace {

namespace dv = derivatives;  // the d_* formulas, shared with jvp

// ---- unary: grads[0] = D(g, x, y) ----

template <dv::UnaryD D>
void unary_vjp(const VjpArgs& a, const Tensor& g, std::span<Tensor> grads) {
  if (a.needs(0)) grads[0] = D(g, a.input(0), a.output);
}

// The rule of dv::kUnary[K], saving what its derivative reads.
template <std::size_t K>
constexpr VjpRule kUnaryRule{
    &unary_vjp<dv::kUnary[K].d>,
    (dv::kUnary[K].reads & dv::kReadsInputs) ? kSave0 : kSaveNone,
    (dv::kUnary[K].reads & dv::kReadsOutput) != 0, true};

// ---- broadcasting binary: grads[i] = sum_to(Di(g, a, b, y), shape_i) ----

template <dv::BinaryD DA, dv::BinaryD DB>
void binary_vjp(const VjpArgs& v, const Tensor& g, std::span<Tensor> grads) {
  const Tensor& a = v.input(0);
  const Tensor& b = v.input(1);
  if (v.needs(0)) grads[0] = sum_to(DA(g, a, b, v.output), v.meta[0].shape);
  if (v.needs(1)) grads[1] = sum_to(DB(g, a, b, v.output), v.meta[1].shape);
}

template <std::size_t K>
constexpr VjpRule kBinaryRule{
    &binary_vjp<dv::kBinary[K].da, dv::kBinary[K].db>,
    (dv::kBinary[K].reads & dv::kReadsInputs) ? (kSave0 | kSave1) : kSaveNone,
    (dv::kBinary[K].reads & dv::kReadsOutput) != 0, true};

template <std::size_t... K>
void add_unary_rules(Registrar& r, std::index_sequence<K...>) {
  (add_rule(r, dv::kUnary[K].prim, kUnaryRule<K>), ...);
}
template <std::size_t... K>
void add_binary_rules(Registrar& r, std::index_sequence<K...>) {
  (add_rule(r, dv::kBinary[K].prim, kBinaryRule<K>), ...);
}

// ---- where(cond, a, b) ----

void where_vjp(const VjpArgs& v, const Tensor& g, std::span<Tensor> grads) {
  const Tensor& cond = v.input(0);
  const Tensor zero = scalar_like(0, g);
  if (v.needs(1)) grads[1] = sum_to(where(cond, g, zero), v.meta[1].shape);
  if (v.needs(2)) grads[2] = sum_to(where(cond, zero, g), v.meta[2].shape);
}
constexpr VjpRule kWhere{&where_vjp, kSave0, false, true};

// ---- cast: the cotangent goes back to the input's dtype ----

void cast_vjp(const VjpArgs& v, const Tensor& g, std::span<Tensor> grads) {
  if (v.needs(0)) grads[0] = cast(g, v.meta[0].dtype);
}
constexpr VjpRule kCast{&cast_vjp, kSaveNone, false, true};

}  // namespace

void register_elementwise_rules(Registrar& r) {
  add_unary_rules(r, std::make_index_sequence<std::size(dv::kUnary)>());
  add_binary_rules(r, std::make_index_sequence<std::size(dv::kBinary)>());
  for (Prim p : dv::kConstant) add_rule(r, p, kConstantRule);
  add_rule(r, Prim::Where, kWhere);
  add_rule(r, Prim::Cast, kCast);
}

}  // namespace fnx::grad_internal
