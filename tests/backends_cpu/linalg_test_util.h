// Helpers of the linalg kernel tests: a row-major double matrix with the
// products the checks need, and calls of the Linalg kernels with the
// metadata from their shape rules.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/ops/linalg_parts.h"
#include "tests/backends_cpu/test_util.h"

namespace fnx::cpu_test {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

inline double tol_of(DType dtype) { return dtype == kF32 ? 2e-4 : 1e-10; }

// A row-major matrix of doubles.
struct Mat {
  int64_t r = 0, c = 0;
  std::vector<double> v;
  Mat(int64_t rows, int64_t cols) : r(rows), c(cols), v(rows * cols, 0) {}
  double& operator()(int64_t i, int64_t j) { return v[i * c + j]; }
  double operator()(int64_t i, int64_t j) const { return v[i * c + j]; }
};

inline Mat mul(const Mat& a, const Mat& b) {
  Mat out(a.r, b.c);
  for (int64_t i = 0; i < a.r; ++i)
    for (int64_t j = 0; j < b.c; ++j)
      for (int64_t p = 0; p < a.c; ++p) out(i, j) += a(i, p) * b(p, j);
  return out;
}
inline Mat tr(const Mat& a) {
  Mat out(a.c, a.r);
  for (int64_t i = 0; i < a.r; ++i)
    for (int64_t j = 0; j < a.c; ++j) out(j, i) = a(i, j);
  return out;
}
inline Mat eye_mat(int64_t n) {
  Mat out(n, n);
  for (int64_t i = 0; i < n; ++i) out(i, i) = 1;
  return out;
}

inline void expect_mat_near(const Mat& got, const Mat& want, double tol,
                            const std::string& what) {
  ASSERT_EQ(got.r, want.r) << what;
  ASSERT_EQ(got.c, want.c) << what;
  expect_near_all(got.v, want.v, tol, what);
}

// Matrix `index` of part t (..., r, c) (any strides), or a vector part
// (..., r) as a column.
inline Mat mat_of(const Tensor& t, int64_t index, bool vector = false) {
  const int64_t r = vector ? t.shape().back() : t.shape()[t.dim() - 2];
  const int64_t c = vector ? 1 : t.shape().back();
  const std::vector<double> all = values(t);
  Mat out(r, c);
  std::copy(all.begin() + index * r * c, all.begin() + (index + 1) * r * c,
            out.v.begin());
  return out;
}

// Runs the CPU kernel of `prim` with the metadata from its shape rule.
inline Tensor call(Prim prim, const Attrs& attrs,
                   const std::vector<Tensor>& in) {
  const OpCall op{prim, attrs, std::span<const Tensor>(in)};
  const OutMeta meta = infer_meta(op);
  return Registry::get().kernel(DeviceType::CPU, prim)(op, meta);
}

// The parts of a multi-result primitive, unpacked.
inline std::vector<Tensor> parts(Prim prim, const LinalgAttrs& attrs,
                                 const Tensor& a) {
  const Tensor packed = call(prim, attrs, {a});
  return unpack_parts(packed, linalg_parts(prim, attrs, a.shape()[a.dim() - 2],
                                           a.shape().back()));
}

// `count` symmetric positive definite n x n matrices B B^T + n I.
inline Tensor spd(int64_t count, int64_t n, DType dtype, uint32_t seed) {
  std::vector<double> all;
  const std::vector<double> b = values(random_t({count, n, n}, kF64, seed));
  for (int64_t k = 0; k < count; ++k) {
    Mat m(n, n);
    std::copy(b.begin() + k * n * n, b.begin() + (k + 1) * n * n, m.v.begin());
    Mat a = mul(m, tr(m));
    for (int64_t i = 0; i < n; ++i) a(i, i) += n;
    all.insert(all.end(), a.v.begin(), a.v.end());
  }
  return make(all, {count, n, n}, dtype);
}

// Copy of a (count, n, n) with NaN written in the triangle that must not be
// read (above the diagonal when lower).
inline Tensor poison_other_triangle(const Tensor& a, bool upper,
                                    bool diagonal = false) {
  std::vector<double> v = values(a);
  const int64_t n = a.shape().back();
  for (size_t k = 0; k < v.size(); ++k) {
    const int64_t i = (k / n) % n, j = k % n;
    if (upper ? j < i : j > i) v[k] = kNaN;
    if (diagonal && i == j) v[k] = kNaN;
  }
  return make(v, a.shape(), a.dtype());
}

// P A = L U with (P A)[i] = A[perm[i]], and perm = the pivots' swaps.
inline void check_lu(const Tensor& a, double tol, const std::string& what) {
  const int64_t n = a.shape().back();
  const int64_t count = a.numel() / std::max<int64_t>(1, n * n);
  const std::vector<Tensor> p = parts(Prim::Lu, LinalgAttrs{}, a);
  for (int64_t k = 0; k < count; ++k) {
    const Mat lu = mat_of(p[0], k), piv = mat_of(p[1], k, true),
              perm = mat_of(p[2], k, true), am = mat_of(a, k);
    Mat l = eye_mat(n), u(n, n);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j) (j < i ? l(i, j) : u(i, j)) = lu(i, j);
    std::vector<double> expect(n);
    for (int64_t i = 0; i < n; ++i) expect[i] = i;
    for (int64_t i = 0; i < n; ++i) {
      EXPECT_GE(piv.v[i], i + 1) << what;
      std::swap(expect[i], expect[static_cast<int64_t>(piv.v[i]) - 1]);
    }
    EXPECT_EQ(perm.v, expect) << what;
    Mat pa(n, n);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < n; ++j)
        pa(i, j) = am(static_cast<int64_t>(perm.v[i]), j);
    expect_mat_near(mul(l, u), pa, tol, what);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < i; ++j) EXPECT_LE(std::abs(l(i, j)), 1) << what;
  }
}

}  // namespace fnx::cpu_test
