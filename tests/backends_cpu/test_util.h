// Helpers for the CPU kernel tests: build dense tensors and views by hand,
// read them back in row-major order, and call a CPU kernel directly with a
// hand-built OpCall + OutMeta (no shape rule, no dispatcher).
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "backends/cpu/common.h"
#include "core/dtype.h"
#include "core/error.h"
#include "core/primitive.h"
#include "core/registry.h"
#include "core/tensor.h"
#include "gtest/gtest.h"

namespace fnx::cpu_test {

inline constexpr DType kF32 = DType::Float32;
inline constexpr DType kF64 = DType::Float64;
inline constexpr DType kI32 = DType::Int32;
inline constexpr DType kI64 = DType::Int64;
inline constexpr DType kBool = DType::Bool;

// A contiguous tensor holding `values` (converted to dtype).
inline Tensor make(const std::vector<double>& values, const Shape& shape,
                   DType dtype = kF32) {
  Tensor t = empty(shape, dtype);
  EXPECT_EQ(static_cast<int64_t>(values.size()), numel(shape));
  FNX_DISPATCH_ALL_TYPES(dtype, [&] {
    scalar_t* p = cpu::data_ptr<scalar_t>(t);
    for (size_t i = 0; i < values.size(); ++i) {
      p[i] = scalar::convert<scalar_t>(values[i]);
    }
  });
  return t;
}

// 0, 1, 2, ... (+ start) in the given shape.
inline Tensor arange_t(const Shape& shape, DType dtype = kF32,
                       double start = 0) {
  std::vector<double> v(numel(shape));
  for (size_t i = 0; i < v.size(); ++i) v[i] = start + static_cast<double>(i);
  return make(v, shape, dtype);
}

// Uniform values in [lo, hi) from a seeded engine.
inline Tensor random_t(const Shape& shape, DType dtype, uint32_t seed,
                       double lo = -1, double hi = 1) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  std::vector<double> v(numel(shape));
  for (auto& x : v) x = dist(rng);
  return make(v, shape, dtype);
}

// All elements in row-major order of t's shape (any strides), as double.
inline std::vector<double> values(const Tensor& t) {
  std::vector<double> out;
  const int64_t n = t.numel();
  out.reserve(n);
  const int64_t rank = t.dim();
  std::vector<int64_t> idx(rank, 0);
  FNX_DISPATCH_ALL_TYPES(t.dtype(), [&] {
    const scalar_t* p = cpu::data_ptr<scalar_t>(t);
    for (int64_t i = 0; i < n; ++i) {
      int64_t off = 0;
      for (int64_t d = 0; d < rank; ++d) off += idx[d] * t.strides()[d];
      out.push_back(static_cast<double>(p[off]));
      for (int64_t d = rank - 1; d >= 0; --d) {
        if (++idx[d] < t.shape()[d]) break;
        idx[d] = 0;
      }
    }
  });
  return out;
}

// A view of t's storage (offset relative to t's own offset).
inline Tensor view(const Tensor& t, const Shape& shape, const Strides& strides,
                   int64_t offset = 0) {
  return make_view(t, shape, strides, t.offset() + offset);
}

// The transpose of the last two dims (a non-contiguous view).
inline Tensor transposed(const Tensor& t) {
  Shape s = t.shape();
  Strides st = t.strides();
  std::swap(s[s.size() - 1], s[s.size() - 2]);
  std::swap(st[st.size() - 1], st[st.size() - 2]);
  return view(t, s, st);
}

// A contiguous copy of `shape` data viewed through a transpose: the result
// has `shape` and the same values as make(values, shape), but strides of a
// transposed matrix in the last two dims.
inline Tensor make_transposed(const std::vector<double>& vals,
                              const Shape& shape, DType dtype = kF32) {
  Shape ts = shape;
  std::swap(ts[ts.size() - 1], ts[ts.size() - 2]);
  // Store the transpose contiguously, then view it transposed back.
  const Tensor src = make(vals, shape, dtype);
  Tensor store = empty(ts, dtype);
  Strides src_t = src.strides();
  std::swap(src_t[src_t.size() - 1], src_t[src_t.size() - 2]);
  cpu::strided_copy(ts, cpu::byte_ptr(store), dtype, store.strides(),
                    cpu::byte_ptr(src), dtype, src_t);
  return transposed(store);
}

// Runs the registered CPU kernel for `prim` on `inputs`.
inline Tensor run(Prim prim, const Attrs& attrs,
                  const std::vector<Tensor>& inputs, const Shape& shape,
                  DType dtype) {
  const Kernel kernel = Registry::get().kernel(DeviceType::CPU, prim);
  if (kernel == nullptr) {
    ADD_FAILURE() << "no CPU kernel for " << prim_name(prim);
    return Tensor();
  }
  const OpCall call{prim, attrs, std::span<const Tensor>(inputs)};
  OutMeta out;
  out.shape = shape;
  out.dtype = dtype;
  out.device = Device::cpu();
  return kernel(call, out);
}

// The message of the fnx::Error `fn` throws ("" if none).
template <typename F>
std::string error_of(F&& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

inline void expect_near_all(const std::vector<double>& got,
                            const std::vector<double>& want, double tol,
                            const std::string& what = "") {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << what << " at " << i;
    } else {
      EXPECT_NEAR(got[i], want[i], tol * (1 + std::abs(want[i])))
          << what << " at " << i;
    }
  }
}

}  // namespace fnx::cpu_test
