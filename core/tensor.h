// Tensor: a shared handle to a TensorImpl. A TensorImpl is either dense
// (storage + shape/strides/offset; views share storage) or a transform
// wrapper (a value seen by one active transform level, wrapping another
// Tensor, so wrappers nest). The op API lives in core/ops/ops.h; the
// methods declared here forward to it.
#pragma once

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/device.h"
#include "core/dtype.h"
#include "core/shape.h"
#include "core/storage.h"

namespace fnx {

class Tensor;
class LevelHandle;

// Transform-specific data a wrapper carries (vmap's batch dim, grad's tape
// node, jvp's tangent...). Plugins subclass it.
class WrapperPayload {
 public:
  virtual ~WrapperPayload() = default;
};

struct WrapperState;

struct TensorImpl {
  Shape shape;
  Strides strides;
  int64_t offset = 0;  // in elements
  DType dtype = DType::Float32;
  Device device;
  std::shared_ptr<Storage> storage;       // dense; optional on wrappers
                                          // (see memory_of)
  std::unique_ptr<WrapperState> wrapper;  // transform wrappers only

  TensorImpl();
  ~TensorImpl();
};

class Tensor {
 public:
  Tensor() = default;  // undefined: holds nothing
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // Scalars and lists, as torch::tensor: Tensor(2.0) is a 0-d float32 tensor
  // ({1, 2} with an explicit dtype: see from_vector in core/ops/ops.h).
  Tensor(double value);  // NOLINT(runtime/explicit): float32, like torch
  Tensor(std::initializer_list<double> values);  // 1-d float32

  bool defined() const { return impl_ != nullptr; }
  // Metadata of an undefined tensor is an fnx::Error, never a crash.
  const Shape& shape() const { return checked().shape; }
  int64_t dim() const { return static_cast<int64_t>(checked().shape.size()); }
  int64_t size(int64_t d) const;  // negative d counts from the end
  int64_t numel() const { return fnx::numel(checked().shape); }
  const Strides& strides() const { return checked().strides; }
  int64_t offset() const { return checked().offset; }
  DType dtype() const { return checked().dtype; }
  Device device() const { return checked().device; }
  bool is_contiguous() const;
  bool is_wrapper() const { return impl_ && impl_->wrapper != nullptr; }

  TensorImpl* impl() const { return impl_.get(); }
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool is_same(const Tensor& other) const { return impl_ == other.impl_; }

  // The dense tensor behind this one. Dead wrappers are peeled; a live
  // wrapper asks its transform (vmap, for instance, refuses: the value
  // depends on the example).
  Tensor concrete(std::string_view what) const;

  // Raw data of a dense CPU tensor (after concrete()).
  template <typename T>
  const T* data() const;
  template <typename T>
  T* mutable_data() const;
  void* raw_data() const;

  // The single element as T (cast from the stored dtype); an fnx::Error
  // unless numel() == 1.
  template <typename T>
  T item() const;
  // Element at a full index (for tests and debugging), cast to T.
  template <typename T>
  T at(std::initializer_list<int64_t> index) const;
  std::vector<double> to_vector() const;  // all elements, row-major

  std::string str() const;  // torch-like repr: tensor([[1., 2.]], ...)

  // ---- Methods forwarding to the op API (core/ops/ops.h) ----
  Tensor reshape(const Shape& shape) const;
  Tensor view(const Shape& shape) const;  // reshape that must not copy
  Tensor view_as(const Tensor& other) const;  // view(other.shape())
  Tensor permute(const Dims& perm) const;
  Tensor transpose(int64_t d0, int64_t d1) const;
  Tensor t() const;  // transpose of the last two dims
  Tensor expand(const Shape& shape) const;
  Tensor slice(int64_t dim, int64_t start, int64_t stop, int64_t step = 1) const;
  Tensor select(int64_t dim, int64_t index) const;
  Tensor squeeze() const;
  Tensor squeeze(int64_t dim) const;
  Tensor unsqueeze(int64_t dim) const;
  Tensor flatten(int64_t start = 0, int64_t end = -1) const;
  Tensor contiguous() const;
  // A new tensor of `shape` with this tensor's dtype and device (torch's
  // new_full, new_zeros, new_ones, new_empty). Under vmap it is batched
  // like this tensor, so per-example values can be written into it;
  // new_empty is zeros (fnx never hands out uninitialized memory).
  Tensor new_full(const Shape& shape, double value) const;
  Tensor new_zeros(const Shape& shape) const;
  Tensor new_ones(const Shape& shape) const;
  Tensor new_empty(const Shape& shape) const;
  Tensor clone() const;
  Tensor detach() const;  // stop_gradient(*this)
  Tensor to(DType dtype) const;
  Tensor to(Device device) const;
  Tensor sum() const;
  Tensor sum(const Dims& dims, bool keepdim = false) const;
  Tensor mean() const;
  Tensor mean(const Dims& dims, bool keepdim = false) const;
  Tensor max() const;
  Tensor min() const;
  Tensor abs() const;
  Tensor exp() const;
  Tensor log() const;
  Tensor sqrt() const;
  Tensor pow(const Tensor& exponent) const;
  Tensor matmul(const Tensor& other) const;
  // In place (core/ops/ops.h has the rules); callable on temporaries, so
  // x.slice(0, 1, 3).mul_(2.0) writes into x.
  Tensor& copy_(const Tensor& src);
  Tensor& add_(const Tensor& other);
  Tensor& sub_(const Tensor& other);
  Tensor& mul_(const Tensor& other);
  Tensor& div_(const Tensor& other);
  Tensor& add_(double other);
  Tensor& sub_(double other);
  Tensor& mul_(double other);
  Tensor& div_(double other);
  Tensor& fill_(double value);
  Tensor& zero_();
  Tensor& clamp_(std::optional<double> min, std::optional<double> max);
  Tensor& relu_();
  Tensor& masked_fill_(const Tensor& mask, double value);
  Tensor& index_add_(int64_t dim, const Tensor& index, const Tensor& src);
  Tensor& index_copy_(int64_t dim, const Tensor& index, const Tensor& src);
  Tensor& index_put_(const Tensor& index, const Tensor& values,
                     bool accumulate = false);
  Tensor& scatter_add_(int64_t dim, const Tensor& index, const Tensor& src);
  Tensor operator[](int64_t index) const { return select(0, index); }

 private:
  // The metadata this tensor shows: its own, except that a wrapper whose
  // transform has ended shows the tensor it holds (it acts as that tensor).
  const TensorImpl& checked() const {
    if (impl_ == nullptr) [[unlikely]] throw_undefined();
    if (impl_->wrapper != nullptr) [[unlikely]] return visible_wrapper_impl();
    return *impl_;
  }
  const TensorImpl& visible_wrapper_impl() const;
  [[noreturn]] static void throw_undefined();

  std::shared_ptr<TensorImpl> impl_;
};

// What a transform wrapper holds. Only interpreters create wrappers (see
// core/interpreter.h: make_wrapper).
struct WrapperState {
  Tensor inner;
  std::shared_ptr<LevelHandle> owner;
  std::shared_ptr<WrapperPayload> payload;
};

// The storage standing for the memory `t` shows: a dense tensor's own; for
// a wrapper, the storage it carries if any (functionalization gives each
// aliasing group one, as its identity and version counter), else that of
// the tensor it wraps. Null for an undefined tensor. Transforms use it to
// tell which values alias and whether a saved value was written since.
const std::shared_ptr<Storage>& memory_of(const Tensor& t);

// Makes a dense tensor with fresh contiguous storage (uninitialized).
Tensor empty(const Shape& shape, DType dtype = DType::Float32,
             Device device = Device::cpu());
// A dense view of `base`'s storage with the given geometry.
Tensor make_view(const Tensor& base, Shape shape, Strides strides,
                 int64_t offset);

}  // namespace fnx
