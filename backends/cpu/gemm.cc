#include "backends/cpu/gemm.h"

#include <cblas.h>

#include <climits>
#include <type_traits>

#include "backends/cpu/scalar_math.h"
#include "core/error.h"

namespace fnx::cpu {
namespace {

// C = beta * C for an m x n block (beta == 0 writes zeros).
template <typename T>
void scale(int64_t m, int64_t n, T beta, T* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    T* row = c + i * ldc;
    if (beta == T(0)) {
      for (int64_t j = 0; j < n; ++j) row[j] = T(0);
    } else {
      for (int64_t j = 0; j < n; ++j) row[j] = MulOp{}(beta, row[j]);
    }
  }
}

// The plain loop (integer types): over rows of C, accumulating rows of
// op(B) or dot products, with wrapping arithmetic.
template <typename T>
void plain_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                T alpha, const T* a, int64_t lda, const T* b, int64_t ldb,
                T beta, T* c, int64_t ldc) {
  scale(m, n, beta, c, ldc);
  const MulOp mul;
  const AddOp add;
  for (int64_t i = 0; i < m; ++i) {
    T* crow = c + i * ldc;
    auto a_at = [&](int64_t p) {
      return trans_a ? a[p * lda + i] : a[i * lda + p];
    };
    if (!trans_b) {
      for (int64_t p = 0; p < k; ++p) {
        const T av = mul(alpha, a_at(p));
        const T* brow = b + p * ldb;
        for (int64_t j = 0; j < n; ++j) {
          crow[j] = add(crow[j], mul(av, brow[j]));
        }
      }
    } else {
      for (int64_t j = 0; j < n; ++j) {
        const T* bcol = b + j * ldb;
        T acc = T(0);
        for (int64_t p = 0; p < k; ++p) acc = add(acc, mul(a_at(p), bcol[p]));
        crow[j] = add(crow[j], mul(alpha, acc));
      }
    }
  }
}

}  // namespace

template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha,
          const T* a, int64_t lda, const T* b, int64_t ldb, T beta, T* c,
          int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {
    scale(m, n, beta, c, ldc);
    return;
  }
  if constexpr (std::is_floating_point_v<T>) {
    for (int64_t v : {m, n, k, lda, ldb, ldc}) {
      FNX_CHECK(v <= INT_MAX, "matmul", "matrix dimension ", v,
                " exceeds the BLAS limit of ", INT_MAX);
    }
    const auto ta = trans_a ? CblasTrans : CblasNoTrans;
    const auto tb = trans_b ? CblasTrans : CblasNoTrans;
    if constexpr (std::is_same_v<T, float>) {
      cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta,
                  c, ldc);
    } else {
      cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta,
                  c, ldc);
    }
  } else {
    plain_gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  }
}

template void gemm<bool>(bool, bool, int64_t, int64_t, int64_t, bool,
                         const bool*, int64_t, const bool*, int64_t, bool,
                         bool*, int64_t);
template void gemm<int32_t>(bool, bool, int64_t, int64_t, int64_t, int32_t,
                            const int32_t*, int64_t, const int32_t*, int64_t,
                            int32_t, int32_t*, int64_t);
template void gemm<int64_t>(bool, bool, int64_t, int64_t, int64_t, int64_t,
                            const int64_t*, int64_t, const int64_t*, int64_t,
                            int64_t, int64_t*, int64_t);
template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, float,
                          const float*, int64_t, const float*, int64_t, float,
                          float*, int64_t);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, double,
                           const double*, int64_t, const double*, int64_t,
                           double, double*, int64_t);

}  // namespace fnx::cpu
