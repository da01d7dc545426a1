// VJP rules of matmul, the convolution family and unfold/fold. Conv's
// transposes are primitives themselves (conv_input_grad, conv_weight_grad),
// so the three rules close over each other and conv: every order of
// derivative stays within the family. unfold and fold are each other's
// transpose, and so are max_pool_select and max_pool_scatter in their
// second argument (x only chooses the places: zero derivative).
#include <algorithm>

#include "core/ops/ops.h"
#include "transforms/grad/rule_helpers.h"
#include "transforms/grad/vjp_rule.h"

namespace fnx::grad_internal {
namespace {

// a (..., m, k) @ b (..., k, n), batch dims broadcasting:
//   grad_a = g @ b^T (contracting n), grad_b = a^T @ g (contracting m).
// A contraction over a dim of size 1 is an outer product: computed as a
// broadcasting multiply, one pass over the result instead of a GEMM that
// first zeroes it (per-sample weight gradients of a linear layer under vmap
// are exactly this).
Tensor contract(const Tensor& x, const Tensor& y, int64_t contracted) {
  return contracted == 1 ? mul(x, y) : matmul(x, y);
}

// When b is one matrix shared by every batch entry of a (a linear layer's
// weight: x (..., m, k) @ w^T), grad_b sums a_i^T g_i over the batch: one
// GEMM contracting over all the rows, (k, batch * m) @ (batch * m, n),
// instead of a product per batch entry and a reduction over them. Rows of
// one (m = 1: vector-matrix products batched by an inner vmap) keep the
// outer products and their sum, the same sums a per-example backward (a
// checkpointed block under vmap) makes, so the two agree bit for bit.
bool shared_right_matrix(const Tensor& a, const Tensor& g, int64_t b_rank) {
  // a's batch dims and rows are g's: none of them is broadcast.
  return b_rank == 2 && a.dim() > 2 && a.dim() == g.dim() &&
         std::equal(a.shape().begin(), a.shape().end() - 1, g.shape().begin());
}

void matmul_vjp(const VjpArgs& v, const Tensor& g, std::span<Tensor> grads) {
  const Tensor& a = v.input(0);
  const Tensor& b = v.input(1);
  const int64_t m = g.shape()[g.dim() - 2], n = g.shape()[g.dim() - 1];
  if (v.needs(0)) {
    grads[0] = sum_to(contract(g, transpose(b, -1, -2), n), v.meta[0].shape);
  }
  if (!v.needs(1)) return;
  const int64_t b_rank = static_cast<int64_t>(v.meta[1].shape.size());
  if (m > 1 && shared_right_matrix(a, g, b_rank)) {
    const int64_t k = a.shape().back();
    const Tensor rows_a = reshape(a, {-1, k});
    const Tensor rows_g = reshape(g, {-1, n});
    grads[1] = contract(transpose(rows_a, 0, 1), rows_g, rows_a.shape()[0]);
    return;
  }
  grads[1] = sum_to(contract(transpose(a, -1, -2), g, m), v.meta[1].shape);
}

ConvOptions options_of(const VjpArgs& v) {
  return conv_options(v.attr<ConvAttrs>());
}

// y = conv(x, w).
void conv_vjp(const VjpArgs& v, const Tensor& g, std::span<Tensor> grads) {
  const ConvOptions o = options_of(v);
  if (v.needs(0)) {
    grads[0] = conv_input_grad(g, v.input(1), v.meta[0].shape, o);
  }
  if (v.needs(1)) {
    grads[1] = conv_weight_grad(v.input(0), g, v.meta[1].shape, o);
  }
}

// x_bar = conv_input_grad(y_bar, w) is linear in both: <G, x_bar> =
// <conv(G, w), y_bar>.
void conv_input_grad_vjp(const VjpArgs& v, const Tensor& g,
                         std::span<Tensor> grads) {
  const ConvOptions o = options_of(v);
  if (v.needs(0)) grads[0] = conv(g, v.input(1), o);
  if (v.needs(1)) {
    grads[1] = conv_weight_grad(g, v.input(0), v.meta[1].shape, o);
  }
}

// w_bar = conv_weight_grad(x, y_bar): <G, w_bar> = <conv(x, G), y_bar>.
void conv_weight_grad_vjp(const VjpArgs& v, const Tensor& g,
                          std::span<Tensor> grads) {
  const ConvOptions o = options_of(v);
  if (v.needs(0)) {
    grads[0] = conv_input_grad(v.input(1), g, v.meta[0].shape, o);
  }
  if (v.needs(1)) grads[1] = conv(v.input(0), g, o);
}

// Patches back onto the input (overlaps summed; padding dropped).
void unfold_vjp(const VjpArgs& v, const Tensor& g, std::span<Tensor> grads) {
  if (!v.needs(0)) return;
  const Shape& in = v.meta[0].shape;
  const Shape spatial(in.begin() + 2, in.end());
  grads[0] = fold(g, spatial, pool_options(v.attr<UnfoldAttrs>()));
}

void fold_vjp(const VjpArgs& v, const Tensor& g, std::span<Tensor> grads) {
  if (v.needs(0)) grads[0] = unfold(g, pool_options(v.attr<UnfoldAttrs>()), 0);
}

// y = max_pool_select(x, v): v_bar = max_pool_scatter(x, y_bar).
void max_pool_select_vjp(const VjpArgs& v, const Tensor& g,
                         std::span<Tensor> grads) {
  const PoolOptions o = pool_options(v.attr<UnfoldAttrs>());
  if (v.needs(1)) grads[1] = max_pool_scatter(v.input(0), g, o);
}

// y = max_pool_scatter(x, h): h_bar = max_pool_select(x, y_bar).
void max_pool_scatter_vjp(const VjpArgs& v, const Tensor& g,
                          std::span<Tensor> grads) {
  const PoolOptions o = pool_options(v.attr<UnfoldAttrs>());
  if (v.needs(1)) grads[1] = max_pool_select(v.input(0), g, o);
}

constexpr VjpRule kMatmul{&matmul_vjp, kSave0 | kSave1, false, true};
constexpr VjpRule kConv{&conv_vjp, kSave0 | kSave1, false, true};
constexpr VjpRule kConvInputGrad{&conv_input_grad_vjp, kSave0 | kSave1, false,
                                 true};
constexpr VjpRule kConvWeightGrad{&conv_weight_grad_vjp, kSave0 | kSave1, false,
                                  true};
constexpr VjpRule kUnfold{&unfold_vjp, kSaveNone, false, true};
constexpr VjpRule kFold{&fold_vjp, kSaveNone, false, true};
constexpr VjpRule kMaxPoolSelect{&max_pool_select_vjp, kSave0, false, true};
constexpr VjpRule kMaxPoolScatter{&max_pool_scatter_vjp, kSave0, false, true};

}  // namespace

void register_linalg_rules(Registrar& r) {
  add_rule(r, Prim::Matmul, kMatmul);
  add_rule(r, Prim::Conv, kConv);
  add_rule(r, Prim::ConvInputGrad, kConvInputGrad);
  add_rule(r, Prim::ConvWeightGrad, kConvWeightGrad);
  add_rule(r, Prim::Unfold, kUnfold);
  add_rule(r, Prim::Fold, kFold);
  add_rule(r, Prim::MaxPoolSelect, kMaxPoolSelect);
  add_rule(r, Prim::MaxPoolScatter, kMaxPoolScatter);
}

}  // namespace fnx::grad_internal
