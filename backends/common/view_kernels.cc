#include "backends/common/view_kernels.h"

#include "core/error.h"

namespace fnx::backend {

std::pair<const char*, const char*> byte_extent(const Tensor& t,
                                                const char* base) {
  const int64_t item = static_cast<int64_t>(itemsize(t.dtype()));
  int64_t lo = 0, hi = 0;
  for (int64_t d = 0; d < t.dim(); ++d) {
    const int64_t span = (t.shape()[d] - 1) * t.strides()[d];
    (span < 0 ? lo : hi) += span;
  }
  return {base + lo * item, base + hi * item + item};
}

std::optional<Tensor> reshape_view(const OpCall& call) {
  const Tensor& x = call.inputs[0];
  const Shape& shape = call.attr<ShapeAttrs>().shape;
  FNX_CHECK(numel(shape) == x.numel(), call.name(), "cannot reshape ",
            shape_str(x.shape()), " (", x.numel(), " elements) to ",
            shape_str(shape));
  if (auto strides = view_strides(x.shape(), x.strides(), shape)) {
    return make_view(x, shape, std::move(*strides), x.offset());
  }
  return std::nullopt;
}

Tensor permute_kernel(const OpCall& call, const OutMeta&) {
  const Tensor& x = call.inputs[0];
  const Dims& perm = call.attr<PermuteAttrs>().perm;
  FNX_CHECK(static_cast<int64_t>(perm.size()) == x.dim(), call.name(),
            "permutation of length ", perm.size(), " for a tensor of shape ",
            shape_str(x.shape()));
  Shape shape(perm.size());
  Strides strides(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) {
    shape[i] = x.shape()[perm[i]];
    strides[i] = x.strides()[perm[i]];
  }
  return make_view(x, std::move(shape), std::move(strides), x.offset());
}

Tensor expand_kernel(const OpCall& call, const OutMeta&) {
  const Tensor& x = call.inputs[0];
  const Shape& shape = call.attr<ShapeAttrs>().shape;
  FNX_CHECK(shape.size() >= x.shape().size(), call.name(), "cannot expand ",
            shape_str(x.shape()), " to fewer dims: ", shape_str(shape));
  const size_t lead = shape.size() - x.shape().size();
  Strides strides(shape.size(), 0);
  for (size_t d = lead; d < shape.size(); ++d) {
    const int64_t size = x.shape()[d - lead];
    FNX_CHECK(size == shape[d] || size == 1, call.name(), "cannot expand ",
              shape_str(x.shape()), " to ", shape_str(shape));
    strides[d] = size == shape[d] ? x.strides()[d - lead] : 0;
  }
  return make_view(x, shape, std::move(strides), x.offset());
}

Tensor slice_kernel(const OpCall& call, const OutMeta&) {
  const Tensor& x = call.inputs[0];
  const auto& a = call.attr<SliceAttrs>();
  FNX_CHECK(a.dim >= 0 && a.dim < x.dim() && a.step >= 1 && a.start >= 0 &&
                a.stop <= x.shape()[a.dim],
            call.name(), "invalid slice (dim ", a.dim, ", ", a.start, ":",
            a.stop, ":", a.step, ") of a tensor of shape ",
            shape_str(x.shape()));
  Shape shape = x.shape();
  Strides strides = x.strides();
  // (stop - start + step - 1) / step without overflow for huge steps.
  const int64_t len = a.stop > a.start ? (a.stop - a.start - 1) / a.step + 1 : 0;
  shape[a.dim] = len;
  const int64_t offset =
      x.offset() + (len > 0 ? a.start * x.strides()[a.dim] : 0);
  // One element needs no step (a huge step must not overflow the stride).
  if (len > 1) strides[a.dim] *= a.step;
  return make_view(x, std::move(shape), std::move(strides), offset);
}

Tensor identity_kernel(const OpCall& call, const OutMeta&) {
  const Tensor& x = call.inputs[0];
  return make_view(x, x.shape(), x.strides(), x.offset());
}

}  // namespace fnx::backend
