#include "backends/cpu/common.h"

#include <cstring>

#include "backends/cpu/loops.h"

namespace fnx::cpu {

bool is_contiguous(const Shape& shape, const Strides& strides) {
  int64_t expected = 1;
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    if (shape[d] == 0) return true;
    if (shape[d] != 1 && strides[d] != expected) return false;
    expected *= shape[d];
  }
  return true;
}

Strides broadcast_strides(const Tensor& t, const Shape& shape) {
  const int64_t rank = static_cast<int64_t>(shape.size());
  const int64_t trank = t.dim();
  Strides out(rank, 0);
  for (int64_t i = 0; i < trank && i < rank; ++i) {
    const int64_t d = rank - 1 - i;
    const int64_t td = trank - 1 - i;
    if (t.shape()[td] == shape[d]) out[d] = t.strides()[td];
  }
  return out;
}

namespace {

template <typename To, typename From>
void copy_run(char* dst, int64_t ds, const char* src, int64_t ss, int64_t n) {
  if (ds == sizeof(To) && ss == sizeof(From)) {
    To* d = reinterpret_cast<To*>(dst);
    const From* s = reinterpret_cast<const From*>(src);
    if constexpr (std::is_same_v<To, From>) {
      std::memcpy(d, s, n * sizeof(To));
    } else {
      for (int64_t i = 0; i < n; ++i) d[i] = convert<To>(s[i]);
    }
  } else if (ds == sizeof(To) && ss == 0) {
    To* d = reinterpret_cast<To*>(dst);
    const To v = convert<To>(*reinterpret_cast<const From*>(src));
    for (int64_t i = 0; i < n; ++i) d[i] = v;
  } else {
    for (int64_t i = 0; i < n; ++i) {
      *reinterpret_cast<To*>(dst + i * ds) =
          convert<To>(*reinterpret_cast<const From*>(src + i * ss));
    }
  }
}

}  // namespace

void strided_copy(const Shape& shape, void* dst, DType dst_dtype,
                  const Strides& dst_strides, const void* src, DType src_dtype,
                  const Strides& src_strides) {
  const auto plan = make_plan<2>(shape, {&dst_strides, &src_strides},
                                 {static_cast<int64_t>(itemsize(dst_dtype)),
                                  static_cast<int64_t>(itemsize(src_dtype))});
  if (plan.numel == 0) return;
  const std::array<char*, 2> base = {
      static_cast<char*>(dst), static_cast<char*>(const_cast<void*>(src))};
  FNX_DISPATCH_ALL_TYPES(dst_dtype, [&] {
    using To = scalar_t;
    FNX_DISPATCH_ALL_TYPES(src_dtype, [&] {
      using From = scalar_t;
      run_plan(
          plan, base,
          [](const std::array<char*, 2>& p, const std::array<int64_t, 2>& s,
             int64_t n) { copy_run<To, From>(p[0], s[0], p[1], s[1], n); });
    });
  });
}

Tensor contiguous_copy(const Tensor& t, DType dtype) {
  Tensor out = empty(t.shape(), dtype, t.device());
  strided_copy(t.shape(), byte_ptr(out), dtype, contiguous_strides(t.shape()),
               byte_ptr(t), t.dtype(), t.strides());
  return out;
}

Tensor contiguous_copy(const Tensor& t) {
  return contiguous_copy(t, t.dtype());
}

Tensor contiguous(const Tensor& t) {
  return is_contiguous(t) ? t : contiguous_copy(t);
}

Tensor cast_to(const Tensor& t, DType dtype) {
  return t.dtype() == dtype ? t : contiguous_copy(t, dtype);
}

void fill(void* dst, DType dtype, int64_t n, double value) {
  FNX_DISPATCH_ALL_TYPES(dtype, [&] {
    const scalar_t v = convert<scalar_t>(value);
    scalar_t* d = static_cast<scalar_t*>(dst);
    parallel_for(0, n, kGrainSize, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) d[i] = v;
    });
  });
}

}  // namespace fnx::cpu
