#include "core/tensor.h"

#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "core/error.h"
#include "core/interpreter.h"
#include "core/ops/ops.h"

namespace fnx {

TensorImpl::TensorImpl() = default;
TensorImpl::~TensorImpl() = default;

Tensor::Tensor(double value) : Tensor(scalar_tensor(value)) {}

Tensor::Tensor(std::initializer_list<double> values)
    : Tensor(from_vector(std::vector<double>(values), DType::Float32)) {}

void Tensor::throw_undefined() {
  fail("tensor", "this tensor is undefined (default-constructed or moved ",
       "from); give it a value before using it");
}

const TensorImpl& Tensor::visible_wrapper_impl() const {
  const TensorImpl* impl = impl_.get();
  while (impl->wrapper != nullptr && !impl->wrapper->owner->alive()) {
    impl = impl->wrapper->inner.impl();
  }
  return *impl;
}

int64_t Tensor::size(int64_t d) const {
  return shape()[normalize_dim(d, dim(), "size")];
}

bool Tensor::is_contiguous() const {
  return fnx::is_contiguous(shape(), strides());
}

Tensor Tensor::concrete(std::string_view what) const {
  FNX_CHECK(defined(), what, "the tensor is undefined (default-constructed)");
  Tensor t = *this;
  while (t.is_wrapper()) {
    const WrapperState& w = *t.impl()->wrapper;
    Interpreter* owner = w.owner->interpreter();
    t = owner != nullptr ? owner->concrete(t, what) : w.inner;
  }
  return t;
}

void* Tensor::raw_data() const {
  FNX_CHECK(defined() && !is_wrapper(), "data",
            "raw data needs a dense tensor; call concrete() first");
  FNX_CHECK(impl_->device.type == DeviceType::CPU, "data",
            "the data of a tensor on ", impl_->device.str(),
            " is not host memory; copy it with to(Device::cpu()) first "
            "(item(), at(), to_vector() and str() do that for you)");
  return static_cast<char*>(impl_->storage->data()) +
         impl_->offset * static_cast<int64_t>(itemsize(impl_->dtype));
}

template <typename T>
const T* Tensor::data() const {
  FNX_CHECK(dtype() == dtype_of<T>(), "data", "tensor has dtype ",
            dtype_name(dtype()), " but data<", dtype_name(dtype_of<T>()),
            "> was asked for");
  return static_cast<const T*>(raw_data());
}

template <typename T>
T* Tensor::mutable_data() const {
  return const_cast<T*>(data<T>());
}

namespace {

// A dense CPU tensor with the same values (the host copy of device data).
Tensor host_concrete(const Tensor& t, std::string_view what) {
  Tensor c = t.concrete(what);
  if (c.device().type != DeviceType::CPU) c = to_device(c, Device::cpu());
  return c;
}

// One element converted to T straight from its own type (an int64 never
// passes through double, so 2^53 + 1 stays exact).
template <typename T>
T element_as(const Tensor& t, int64_t linear_offset) {
  const char* base = static_cast<const char*>(t.impl()->storage->data());
  return FNX_DISPATCH_ALL_TYPES(t.dtype(), [&] {
    return static_cast<T>(
        reinterpret_cast<const scalar_t*>(base)[linear_offset]);
  });
}

double element_as_double(const Tensor& t, int64_t linear_offset) {
  return element_as<double>(t, linear_offset);
}

}  // namespace

template <typename T>
T Tensor::item() const {
  Tensor c = host_concrete(*this, "item");
  FNX_CHECK(c.numel() == 1, "item", "a tensor of shape ",
            shape_str(c.shape()), " has ",
            c.numel() == 0 ? "no elements" : "more than one element",
            "; item() needs exactly one");
  return element_as<T>(c, c.offset());
}

template <typename T>
T Tensor::at(std::initializer_list<int64_t> index) const {
  Tensor c = host_concrete(*this, "at");
  FNX_CHECK(static_cast<int64_t>(index.size()) == c.dim(), "at", "index of ",
            index.size(), " entries for a tensor of shape ",
            shape_str(c.shape()));
  int64_t off = c.offset();
  int64_t d = 0;
  for (int64_t i : index) {
    FNX_CHECK(i >= 0 && i < c.shape()[d], "at", "index ", i,
              " is out of range for dim ", d, " of shape ",
              shape_str(c.shape()));
    off += i * c.strides()[d];
    ++d;
  }
  return element_as<T>(c, off);
}

std::vector<double> Tensor::to_vector() const {
  Tensor c = host_concrete(*this, "to_vector");
  std::vector<double> out;
  out.reserve(c.numel());
  const int64_t n = c.numel();
  const int64_t rank = c.dim();
  Shape idx(rank, 0);
  for (int64_t k = 0; k < n; ++k) {
    int64_t off = c.offset();
    for (int64_t d = 0; d < rank; ++d) off += idx[d] * c.strides()[d];
    out.push_back(element_as_double(c, off));
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++idx[d] < c.shape()[d]) break;
      idx[d] = 0;
    }
  }
  return out;
}

#define FNX_INSTANTIATE_ACCESSORS(T)                            \
  template const T* Tensor::data<T>() const;                    \
  template T* Tensor::mutable_data<T>() const;                  \
  template T Tensor::item<T>() const;                           \
  template T Tensor::at<T>(std::initializer_list<int64_t>) const;
FNX_INSTANTIATE_ACCESSORS(bool)
FNX_INSTANTIATE_ACCESSORS(int32_t)
FNX_INSTANTIATE_ACCESSORS(int64_t)
FNX_INSTANTIATE_ACCESSORS(float)
FNX_INSTANTIATE_ACCESSORS(double)
#undef FNX_INSTANTIATE_ACCESSORS

const std::shared_ptr<Storage>& memory_of(const Tensor& t) {
  static const std::shared_ptr<Storage> kNone;
  const TensorImpl* p = t.impl();
  while (p != nullptr) {
    if (p->storage != nullptr || p->wrapper == nullptr) return p->storage;
    p = p->wrapper->inner.impl();
  }
  return kNone;
}

Tensor empty(const Shape& shape, DType dtype, Device device) {
  check_shape(shape, "empty", itemsize(dtype));
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  impl->device = device;
  impl->storage = Storage::allocate(
      static_cast<std::size_t>(fnx::numel(shape)) * itemsize(dtype), device);
  return Tensor(std::move(impl));
}

Tensor make_view(const Tensor& base, Shape shape, Strides strides,
                 int64_t offset) {
  auto impl = std::make_shared<TensorImpl>();
  impl->shape = std::move(shape);
  impl->strides = std::move(strides);
  impl->offset = offset;
  impl->dtype = base.dtype();
  impl->device = base.device();
  impl->storage = base.impl()->storage;
  return Tensor(std::move(impl));
}

}  // namespace fnx
