// JVP rules of the reductions: sum is linear (the same sum of the tangent);
// amax/amin take the mean of the tangent over the extreme elements (ties
// share evenly, the transpose of grad's split); argmax/argmin are constants.
// softmax: t_y = y * (t - sum(y * t)) along the dim; log_softmax:
// y = x - logsumexp(x), so t_y = t - sum(softmax(x) * t), with
// softmax(x) = exp(y).
#include "core/ops/ops.h"
#include "transforms/jvp/jvp_rule.h"
#include "transforms/jvp/rule_helpers.h"

namespace fnx::jvp_internal {
namespace {

// y with the reduced dims back as size 1, so it broadcasts against x.
Tensor keep_reduced_dims(const Tensor& y, const Shape& in_shape,
                         const ReduceAttrs& a) {
  if (a.keepdim || a.dims.empty()) return y;
  Shape kept = in_shape;
  for (int64_t d : a.dims) kept[d] = 1;
  return reshape(y, kept);
}

Tensor extreme_jvp(const JvpArgs& a) {
  const auto& attrs = a.attr<ReduceAttrs>();
  const Tensor& x = a.input(0);
  const Tensor& t = a.tangent(0);
  const Tensor y = keep_reduced_dims(a.out, x.shape(), attrs);
  const Tensor hit = cast(eq(x, y), t.dtype());
  const Tensor count = reduce_sum(hit, attrs.dims, /*keepdim=*/true);
  return reduce_sum(t * (hit / count), attrs.dims, attrs.keepdim);
}

Tensor softmax_jvp(const JvpArgs& a) {
  const Dims dim{a.attr<DimAttrs>().dim};
  const Tensor& t = a.tangent(0);
  const Tensor& y = a.out;
  return y * (t - reduce_sum(y * t, dim, /*keepdim=*/true));
}

Tensor log_softmax_jvp(const JvpArgs& a) {
  const Dims dim{a.attr<DimAttrs>().dim};
  const Tensor& t = a.tangent(0);
  return t - reduce_sum(exp(a.out) * t, dim, /*keepdim=*/true);
}

constexpr JvpRule kSum = rule<&linear<kArg0>>();
constexpr JvpRule kSoftmax = rule<&softmax_jvp>();
constexpr JvpRule kLogSoftmax = rule<&log_softmax_jvp>();
constexpr JvpRule kExtreme = rule<&extreme_jvp>();

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

}  // namespace fnx::jvp_internal
