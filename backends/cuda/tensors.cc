#include "backends/cuda/tensors.h"

#include "core/error.h"

namespace fnx::cuda {

Scalar scalar_of(DType dtype) { return static_cast<Scalar>(dtype); }

char* dptr(const Tensor& t) {
  return static_cast<char*>(t.impl()->storage->data()) +
         t.offset() * static_cast<int64_t>(itemsize(t.dtype()));
}

void launched(cudaError_t status, std::string_view what) {
  if (status == cudaErrorInvalidValue) {
    fail("cuda", what, ": no kernel for these element types (or an invalid ",
         "launch configuration)");
  }
  check(status, what);
}

Strides broadcast_strides(const Tensor& t, const Shape& shape) {
  return fnx::broadcast_strides(t.shape(), t.strides(), shape);
}

template <int N>
Loop<N> make_loop(std::string_view op, const Shape& shape,
                  const std::array<char*, N>& ptrs,
                  const std::array<const Strides*, N>& strides,
                  const std::array<int64_t, N>& items) {
  Loop<N> loop;
  loop.numel = numel(shape);
  for (int k = 0; k < N; ++k) loop.ptrs[k] = ptrs[k];
  if (loop.numel == 0) return loop;
  // Dims kept (size > 1), outermost first, merged where every operand's
  // outer stride equals its inner stride times the inner size.
  Shape sizes;
  std::array<Strides, N> steps;
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    bool merge = !sizes.empty();
    for (int k = 0; k < N && merge; ++k) {
      merge = steps[k].back() == (*strides[k])[d] * shape[d];
    }
    if (merge) {
      sizes.back() *= shape[d];
      for (int k = 0; k < N; ++k) steps[k].back() = (*strides[k])[d];
    } else {
      sizes.push_back(shape[d]);
      for (int k = 0; k < N; ++k) steps[k].push_back((*strides[k])[d]);
    }
  }
  FNX_CHECK(static_cast<int>(sizes.size()) <= kMaxDims, op, "the CUDA backend ",
            "handles at most ", kMaxDims, " dims that cannot be merged; got ",
            shape_str(shape), ". Make the inputs contiguous first");
  loop.ndim = static_cast<int>(sizes.size());
  loop.contiguous = loop.ndim <= 1;
  for (int d = 0; d < loop.ndim; ++d) {
    loop.sizes[d] = sizes[d];
    for (int k = 0; k < N; ++k) loop.strides[k][d] = steps[k][d] * items[k];
  }
  return loop;
}

template Loop<2> make_loop<2>(std::string_view, const Shape&,
                              const std::array<char*, 2>&,
                              const std::array<const Strides*, 2>&,
                              const std::array<int64_t, 2>&);
template Loop<3> make_loop<3>(std::string_view, const Shape&,
                              const std::array<char*, 3>&,
                              const std::array<const Strides*, 3>&,
                              const std::array<int64_t, 3>&);
template Loop<4> make_loop<4>(std::string_view, const Shape&,
                              const std::array<char*, 4>&,
                              const std::array<const Strides*, 4>&,
                              const std::array<int64_t, 4>&);

void strided_copy(const Context& ctx, const Shape& shape, char* dst,
                  DType dst_dtype, const Strides& dst_strides, const char* src,
                  DType src_dtype, const Strides& src_strides) {
  const Loop<2> loop =
      make_loop<2>("copy", shape, {dst, const_cast<char*>(src)},
                   {&dst_strides, &src_strides},
                   {static_cast<int64_t>(itemsize(dst_dtype)),
                    static_cast<int64_t>(itemsize(src_dtype))});
  launched(
      launch_copy(scalar_of(dst_dtype), scalar_of(src_dtype), loop, ctx.stream),
      "copy kernel");
}

void fill(const Context& ctx, char* dst, DType dtype, int64_t n, double value) {
  launched(launch_fill(scalar_of(dtype), dst, n, value, ctx.stream),
           "fill kernel");
}

Tensor contiguous_copy(const Tensor& t, DType dtype) {
  Tensor out = empty(t.shape(), dtype, t.device());
  strided_copy(context(t.device()), t.shape(), dptr(out), dtype,
               contiguous_strides(t.shape()), dptr(t), t.dtype(), t.strides());
  return out;
}

Tensor contiguous(const Tensor& t) {
  return t.is_contiguous() ? t : contiguous_copy(t, t.dtype());
}

Tensor cast_to(const Tensor& t, DType dtype) {
  return t.dtype() == dtype ? t : contiguous_copy(t, dtype);
}

}  // namespace fnx::cuda
