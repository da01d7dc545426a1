// Host-side helpers the kernel files share: device pointers and element
// types of tensors, iteration spaces (kernels.h's Loop) built from shapes
// and strides, and the few device operations other kernels build on
// (strided copy with a cast, fill, contiguous copies).
#pragma once

#include <array>
#include <string_view>

#include "backends/cuda/kernels.h"
#include "backends/cuda/runtime.h"
#include "core/primitive.h"
#include "core/tensor.h"

namespace fnx::cuda {

Scalar scalar_of(DType dtype);
// Device address of element 0 (storage base + offset).
char* dptr(const Tensor& t);
// The context of the device a call runs on (made current).
inline Context& context_of(const OutMeta& out) { return context(out.device); }
// A fresh contiguous result with the given metadata.
inline Tensor make_result(const OutMeta& out) {
  return empty(out.shape, out.dtype, out.device);
}
// Throws fnx::Error naming `what` unless a launch succeeded.
void launched(cudaError_t status, std::string_view what);

// t's strides (elements) for reading it broadcast to `shape`.
Strides broadcast_strides(const Tensor& t, const Shape& shape);

// N operands over `shape`: element strides and item sizes per operand.
// Size-1 dims are dropped and dims every operand steps through as one are
// merged; more than kMaxDims left is an fnx::Error naming `op`.
template <int N>
Loop<N> make_loop(std::string_view op, const Shape& shape,
                  const std::array<char*, N>& ptrs,
                  const std::array<const Strides*, N>& strides,
                  const std::array<int64_t, N>& items);

// dst (shape, dst_strides) = src (shape, src_strides) converted; strides
// in elements, pointers at element 0.
void strided_copy(const Context& ctx, const Shape& shape, char* dst,
                  DType dst_dtype, const Strides& dst_strides, const char* src,
                  DType src_dtype, const Strides& src_strides);
void fill(const Context& ctx, char* dst, DType dtype, int64_t n, double value);

Tensor contiguous_copy(const Tensor& t, DType dtype);
// t itself when contiguous (and of `dtype`), else a converted copy.
Tensor contiguous(const Tensor& t);
Tensor cast_to(const Tensor& t, DType dtype);

// The window geometry (window.h) of an Unfold/Fold/max-pooling call over
// `images` images of spatial shape `spatial` (defined in unfold.cc).
WindowGeometry window_geometry(const OpCall& call, int64_t images,
                               const Shape& spatial);

}  // namespace fnx::cuda
