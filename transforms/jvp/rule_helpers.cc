#include "transforms/jvp/rule_helpers.h"

#include "absl/container/inlined_vector.h"
#include "core/dispatch.h"

namespace fnx::jvp_internal {

Tensor fit(const Tensor& t, const Shape& shape) {
  if (!t.defined() || t.shape() == shape) return t;
  return expand(t, shape);
}

Tensor add_tangents(const Tensor& a, const Tensor& b) {
  if (!a.defined()) return b;
  if (!b.defined()) return a;
  return add(a, b);
}

Tensor zero_like(const Tensor& x) {
  return expand(scalar_tensor(0, x.dtype(), x.device()), x.shape());
}

Tensor reduce_sum(const Tensor& t, const Dims& dims, bool keepdim) {
  if (dims.empty()) return t;
  return sum(t, dims, keepdim);
}

Tensor same_op(const JvpArgs& a, const Attrs& attrs,
               std::span<const Tensor> inputs) {
  return dispatch(a.prim, attrs, inputs);
}

Tensor binary_terms(const JvpArgs& a, BinaryD da, BinaryD db) {
  const Tensor& x = a.input(0);
  const Tensor& y = a.input(1);
  Tensor t;
  if (a.has(0)) t = fit(da(a.tangent(0), x, y, a.out), a.out.shape());
  if (a.has(1)) {
    t = add_tangents(t, fit(db(a.tangent(1), x, y, a.out), a.out.shape()));
  }
  return t;
}

namespace {

// The attributes of the tangent's call: constants the primal call adds
// (a pad value, unfold's padding value) contribute nothing to the tangent.
Attrs tangent_attrs(const Attrs& attrs) {
  if (const auto* p = std::get_if<PadAttrs>(&attrs)) {
    PadAttrs z = *p;
    z.value = 0;
    return z;
  }
  if (const auto* u = std::get_if<UnfoldAttrs>(&attrs)) {
    UnfoldAttrs z = *u;
    z.pad_value = 0;
    return z;
  }
  return attrs;
}

}  // namespace

Tensor linear_in(const JvpArgs& a, uint32_t mask) {
  absl::InlinedVector<Tensor, 4> in(a.inputs.begin(), a.inputs.end());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (i >= 32 || !((mask >> i) & 1)) continue;
    in[i] = a.has(i) ? a.tangent(i) : zero_like(a.input(i));
  }
  return same_op(a, tangent_attrs(a.attrs),
                 std::span<const Tensor>(in.data(), in.size()));
}

Tensor bilinear(const JvpArgs& a) {
  Tensor t;
  if (a.has(0)) {
    const Tensor in[2] = {a.tangent(0), a.input(1)};
    t = same_op(a, a.attrs, in);
  }
  if (a.has(1)) {
    const Tensor in[2] = {a.input(0), a.tangent(1)};
    t = add_tangents(t, same_op(a, a.attrs, in));
  }
  return t;
}

}  // namespace fnx::jvp_internal
