// VJP rules of the reductions: sum spreads the cotangent back over the
// reduced dims; amax/amin give it to the extreme elements, split evenly
// between ties; argmax/argmin are not differentiable. softmax:
// x_bar = y * (g - sum(g * y)) along the dim; log_softmax:
// y = x - logsumexp(x), so x_bar = g - softmax(x) * sum(g), with
// softmax(x) = exp(y). Both from the saved output.
#include "core/ops/ops.h"
#include "transforms/grad/rule_helpers.h"
#include "transforms/grad/vjp_rule.h"

namespace fnx::grad_internal {
namespace {

void sum_vjp(const VjpArgs& v, const Tensor& g, std::span<Tensor> grads) {
  if (!v.needs(0)) return;
  const auto& a = v.attr<ReduceAttrs>();
  grads[0] = unreduce(g, v.meta[0].shape, a.dims, a.keepdim);
}
constexpr VjpRule kSum{&sum_vjp, kSaveNone, false, true};

void extreme_vjp(const VjpArgs& v, const Tensor& g, std::span<Tensor> grads) {
  if (!v.needs(0)) return;
  const auto& a = v.attr<ReduceAttrs>();
  const Shape& shape = v.meta[0].shape;
  const Tensor& x = v.input(0);
  const Tensor y = unreduce(v.output, shape, a.dims, a.keepdim);
  const Tensor hit = cast(eq(x, y), g.dtype());
  const Tensor count = unreduce(sum_keepdim(hit, a.dims), shape, a.dims,
                                /*keepdim=*/true);
  grads[0] = unreduce(g, shape, a.dims, a.keepdim) * (hit / count);
}
constexpr VjpRule kExtreme{&extreme_vjp, kSave0, true, true};

void softmax_vjp(const VjpArgs& v, const Tensor& g, std::span<Tensor> grads) {
  if (!v.needs(0)) return;
  const Dims dim{v.attr<DimAttrs>().dim};
  const Tensor& y = v.output;
  grads[0] = y * (g - sum_keepdim(g * y, dim));
}
constexpr VjpRule kSoftmax{&softmax_vjp, kSaveNone, true, true};

void log_softmax_vjp(const VjpArgs& v, const Tensor& g,
                     std::span<Tensor> grads) {
  if (!v.needs(0)) return;
  const Dims dim{v.attr<DimAttrs>().dim};
  grads[0] = g - exp(v.output) * sum_keepdim(g, dim);
}
constexpr VjpRule kLogSoftmax{&log_softmax_vjp, kSaveNone, true, true};

}  // namespace

void register_reduce_rules(Registrar& r) {
  add_rule(r, Prim::Sum, kSum);
  add_rule(r, Prim::Amax, kExtreme);
  add_rule(r, Prim::Amin, kExtreme);
  add_rule(r, Prim::Argmax, kConstantRule);
  add_rule(r, Prim::Argmin, kConstantRule);
  add_rule(r, Prim::Softmax, kSoftmax);
  add_rule(r, Prim::LogSoftmax, kLogSoftmax);
}

}  // namespace fnx::grad_internal
