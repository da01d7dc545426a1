// The Tensor methods of core/tensor.h: thin forwards to the op API, so a
// method call is exactly the free function (and every transform sees it).
#include <algorithm>
#include <cstdint>

#include "core/error.h"
#include "core/ops/ops.h"
#include "core/tensor.h"

namespace fnx {

Tensor Tensor::reshape(const Shape& shape) const {
  return fnx::reshape(*this, shape);
}

// reshape() that must not copy. For a dense tensor the result must share
// this tensor's storage; a transform wrapper has no storage of its own, and
// its transform keeps reshape a view wherever the strides allow.
Tensor Tensor::view(const Shape& shape) const {
  Tensor out = fnx::reshape(*this, shape);
  // A transform's value carries the layout of the memory it stands for
  // (under vmap: each example's), so view refuses under every transform
  // exactly where it would refuse on that memory.
  FNX_CHECK(!is_wrapper() || numel() == 0 ||
                view_strides(this->shape(), strides(), out.shape()),
            "view", "shape ", shape_str(shape),
            " cannot be a view of a tensor of shape ", shape_str(this->shape()),
            " with strides ",
            shape_str(Shape(strides().begin(), strides().end())),
            " (it would need a copy); use reshape()");
  if (is_wrapper() || numel() == 0) return out;
  FNX_CHECK(out.impl()->storage == impl_->storage, "view", "shape ",
            shape_str(shape), " cannot be a view of a tensor of shape ",
            shape_str(this->shape()), " with strides ",
            shape_str(Shape(strides().begin(), strides().end())),
            " (it would need a copy); use reshape()");
  return out;
}

Tensor Tensor::new_full(const Shape& shape, double value) const {
  Tensor out = fnx::full(shape, value, dtype(), device());
  if (!is_wrapper()) return out;
  // A `false` computed from this tensor (x < x is false for every value,
  // NaN included, on at most one element of it) carries its transform
  // levels: selecting with it makes the new tensor batched like this one.
  const Tensor flat = fnx::reshape(*this, {-1});
  const Tensor one = fnx::narrow(flat, 0, 0, std::min<int64_t>(1, numel()));
  const Tensor never = fnx::stop_gradient(fnx::cast(
      fnx::sum(fnx::cast(fnx::lt(one, one), DType::Int64)), DType::Bool));
  return fnx::where(never, out, out);
}

Tensor Tensor::new_zeros(const Shape& shape) const {
  return new_full(shape, 0.0);
}
Tensor Tensor::new_ones(const Shape& shape) const {
  return new_full(shape, 1.0);
}
Tensor Tensor::new_empty(const Shape& shape) const {
  return new_full(shape, 0.0);
}

Tensor Tensor::view_as(const Tensor& other) const {
  return view(other.shape());
}

Tensor Tensor::permute(const Dims& perm) const {
  return fnx::permute(*this, perm);
}

Tensor Tensor::transpose(int64_t d0, int64_t d1) const {
  return fnx::transpose(*this, d0, d1);
}

// Swaps the last two dims; a 0-d or 1-d tensor comes back as a view of
// itself, as torch's t().
Tensor Tensor::t() const {
  if (dim() < 2) return fnx::reshape(*this, shape());
  return fnx::transpose(*this, -2, -1);
}

Tensor Tensor::expand(const Shape& shape) const {
  return fnx::expand(*this, shape);
}

Tensor Tensor::slice(int64_t dim, int64_t start, int64_t stop,
                     int64_t step) const {
  return fnx::slice(*this, dim, start, stop, step);
}

Tensor Tensor::select(int64_t dim, int64_t index) const {
  return fnx::select(*this, dim, index);
}

Tensor Tensor::squeeze() const { return fnx::squeeze(*this); }

Tensor Tensor::squeeze(int64_t dim) const { return fnx::squeeze(*this, dim); }

Tensor Tensor::unsqueeze(int64_t dim) const {
  return fnx::unsqueeze(*this, dim);
}

Tensor Tensor::flatten(int64_t start, int64_t end) const {
  return fnx::flatten(*this, start, end);
}

Tensor Tensor::contiguous() const { return fnx::contiguous(*this); }

Tensor Tensor::clone() const { return fnx::clone(*this); }
Tensor Tensor::detach() const { return fnx::stop_gradient(*this); }

// Same dtype: this tensor itself, as torch's .to().
Tensor Tensor::to(DType dtype) const {
  return dtype == this->dtype() ? *this : fnx::cast(*this, dtype);
}

Tensor Tensor::to(Device device) const { return fnx::to_device(*this, device); }

Tensor Tensor::sum() const { return fnx::sum(*this); }

Tensor Tensor::sum(const Dims& dims, bool keepdim) const {
  return fnx::sum(*this, dims, keepdim);
}

Tensor Tensor::mean() const { return fnx::mean(*this); }

Tensor Tensor::mean(const Dims& dims, bool keepdim) const {
  return fnx::mean(*this, dims, keepdim);
}

Tensor Tensor::max() const { return fnx::amax(*this); }

Tensor Tensor::min() const { return fnx::amin(*this); }

Tensor Tensor::abs() const { return fnx::abs(*this); }

Tensor Tensor::exp() const { return fnx::exp(*this); }

Tensor Tensor::log() const { return fnx::log(*this); }

Tensor Tensor::sqrt() const { return fnx::sqrt(*this); }

Tensor Tensor::pow(const Tensor& exponent) const {
  return fnx::pow(*this, exponent);
}

Tensor Tensor::matmul(const Tensor& other) const {
  return fnx::matmul(*this, other);
}

Tensor& Tensor::copy_(const Tensor& src) { return fnx::copy_(*this, src); }

Tensor& Tensor::add_(const Tensor& other) { return fnx::add_(*this, other); }

Tensor& Tensor::sub_(const Tensor& other) { return fnx::sub_(*this, other); }

Tensor& Tensor::mul_(const Tensor& other) { return fnx::mul_(*this, other); }

Tensor& Tensor::div_(const Tensor& other) { return fnx::div_(*this, other); }

Tensor& Tensor::add_(double other) { return fnx::add_(*this, other); }

Tensor& Tensor::sub_(double other) { return fnx::sub_(*this, other); }

Tensor& Tensor::mul_(double other) { return fnx::mul_(*this, other); }

Tensor& Tensor::div_(double other) { return fnx::div_(*this, other); }

Tensor& Tensor::fill_(double value) { return fnx::fill_(*this, value); }

Tensor& Tensor::zero_() { return fnx::zero_(*this); }

Tensor& Tensor::clamp_(std::optional<double> min, std::optional<double> max) {
  return fnx::clamp_(*this, min, max);
}

Tensor& Tensor::relu_() { return fnx::relu_(*this); }

Tensor& Tensor::masked_fill_(const Tensor& mask, double value) {
  return fnx::masked_fill_(*this, mask, value);
}

Tensor& Tensor::index_add_(int64_t dim, const Tensor& index,
                           const Tensor& src) {
  return fnx::index_add_(*this, dim, index, src);
}

Tensor& Tensor::index_copy_(int64_t dim, const Tensor& index,
                            const Tensor& src) {
  return fnx::index_copy_(*this, dim, index, src);
}

Tensor& Tensor::index_put_(const Tensor& index, const Tensor& values,
                           bool accumulate) {
  return fnx::index_put_(*this, index, values, accumulate);
}

Tensor& Tensor::scatter_add_(int64_t dim, const Tensor& index,
                             const Tensor& src) {
  return fnx::scatter_add_(*this, dim, index, src);
}

}  // namespace fnx
