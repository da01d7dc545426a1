// Small helpers every CPU kernel file uses: typed data pointers, broadcast
// strides and strided copies (with a cast, scalar::convert in
// backends/common/scalar_ops.h) between arbitrary layouts.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "backends/common/scalar_ops.h"
#include "core/dtype.h"
#include "core/error.h"
#include "core/primitive.h"
#include "core/shape.h"
#include "core/tensor.h"

namespace fnx::cpu {

// Pointer to element 0 of a dense CPU tensor (storage base + offset).
template <typename T>
T* data_ptr(const Tensor& t) {
  return static_cast<T*>(t.impl()->storage->data()) + t.offset();
}
inline char* byte_ptr(const Tensor& t) {
  return static_cast<char*>(t.impl()->storage->data()) +
         t.offset() * static_cast<int64_t>(itemsize(t.dtype()));
}

// A fresh contiguous result with the given metadata.
inline Tensor make_result(const OutMeta& out) {
  return empty(out.shape, out.dtype, out.device);
}

// t's strides (elements) for reading it broadcast to `shape`: dims are
// right-aligned, missing or size-1-to-expand dims get stride 0.
Strides broadcast_strides(const Tensor& t, const Shape& shape);

// Copies the elements of a `shape`-shaped region from src to dst, casting
// from src_dtype to dst_dtype. Strides are in elements; pointers point at
// element 0 of each region. Parallel for large regions.
void strided_copy(const Shape& shape, void* dst, DType dst_dtype,
                  const Strides& dst_strides, const void* src, DType src_dtype,
                  const Strides& src_strides);

// A contiguous copy of t (in `dtype`, default t's own).
Tensor contiguous_copy(const Tensor& t);
Tensor contiguous_copy(const Tensor& t, DType dtype);
// t itself when it is contiguous, otherwise a contiguous copy.
Tensor contiguous(const Tensor& t);
// t itself when its dtype is already `dtype`, otherwise a converted copy.
Tensor cast_to(const Tensor& t, DType dtype);

// Fills `n` contiguous elements of dtype `dtype` at dst with `value`
// (converted with scalar::convert<>).
void fill(void* dst, DType dtype, int64_t n, double value);

}  // namespace fnx::cpu
