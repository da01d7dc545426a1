#include "backends/cpu/gemm.h"

#include <cblas.h>

#include <algorithm>
#include <climits>
#include <type_traits>

#include "backends/common/scalar_ops.h"
#include "backends/cpu/thread_pool.h"
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
      for (int64_t j = 0; j < n; ++j) row[j] = scalar::MulOp{}(beta, row[j]);
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
  const scalar::MulOp mul;
  const scalar::AddOp add;
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

// OpenBLAS runs single-threaded; fnx splits large GEMMs over its own pool.
// Debian's pthreads OpenBLAS keeps its idle threads spinning in sched_yield
// after every call, taking the cores fnx's loops need between GEMMs.
bool single_threaded_blas() {
  static const bool done = [] {
    openblas_set_num_threads(1);
    return true;
  }();
  return done;
}

template <typename T>
void blas_call(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
               T alpha, const T* a, int64_t lda, const T* b, int64_t ldb,
               T beta, T* c, int64_t ldc) {
  const auto ta = trans_a ? CblasTrans : CblasNoTrans;
  const auto tb = trans_b ? CblasTrans : CblasNoTrans;
  if constexpr (std::is_same_v<T, float>) {
    cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c,
                ldc);
  } else {
    cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c,
                ldc);
  }
}

// y = alpha * op(M) x + beta * y through BLAS gemv, for a GEMM with one row
// or one column: gemv streams the matrix once where gemm would first pack
// it (a per-example loop repacked a 4.7 MB weight for every example). M is
// rows x cols as stored (row-major, leading dimension ldm); y has `len`
// elements. beta == 0 never reads y (BLAS scaling by 0 could keep a NaN).
template <typename T>
void gemv_call(bool trans_m, int64_t rows, int64_t cols, T alpha, const T* mat,
               int64_t ldm, const T* x, int64_t incx, T beta, T* y,
               int64_t incy) {
  const int64_t len = trans_m ? cols : rows;
  if (beta == T(0)) {
    for (int64_t i = 0; i < len; ++i) y[i * incy] = T(0);
  }
  const auto t = trans_m ? CblasTrans : CblasNoTrans;
  if constexpr (std::is_same_v<T, float>) {
    cblas_sgemv(CblasRowMajor, t, rows, cols, alpha, mat, ldm, x, incx, beta, y,
                incy);
  } else {
    cblas_dgemv(CblasRowMajor, t, rows, cols, alpha, mat, ldm, x, incx, beta, y,
                incy);
  }
}

// A GEMM with m == 1 or n == 1 as gemv, split over the output elements on
// the pool when large: each part is a gemv over its slice of the matrix.
template <typename T>
void gemv_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
               T alpha, const T* a, int64_t lda, const T* b, int64_t ldb,
               T beta, T* c, int64_t ldc) {
  // m == 1: c (1 x n) = a (1 x k) op(B); the matrix is B, the vector a.
  // n == 1: c (m x 1) = op(A) b (k x 1); the matrix is A, the vector b.
  const bool row = m == 1;
  const bool trans_mat = row ? !trans_b : trans_a;
  const T* mat = row ? b : a;
  const int64_t ldm = row ? ldb : lda;
  const int64_t len = row ? n : m;  // output elements
  const T* x = row ? a : b;
  const int64_t incx = row ? (trans_a ? lda : 1) : (trans_b ? 1 : ldb);
  const int64_t incy = row ? 1 : ldc;
  constexpr int64_t kMinWork = int64_t{1} << 18;  // elements of the matrix
  const int64_t threads = in_pool_task() ? 1 : pool_threads();
  const int64_t parts = std::min<int64_t>(
      {threads, len / 64, std::max<int64_t>(1, len * k / kMinWork)});
  // The matrix's part producing outputs [lo, lo + cnt): rows of the stored
  // matrix when not transposed, columns when transposed.
  auto run = [&](int64_t lo, int64_t cnt) {
    const T* mat_part = trans_mat ? mat + lo : mat + lo * ldm;
    const int64_t rows = trans_mat ? k : cnt;
    const int64_t cols = trans_mat ? cnt : k;
    gemv_call(trans_mat, rows, cols, alpha, mat_part, ldm, x, incx, beta,
              c + lo * incy, incy);
  };
  if (parts <= 1) {
    run(0, len);
    return;
  }
  const int64_t block = (len + parts - 1) / parts;
  pool_run(parts, [&](int64_t p) {
    const int64_t lo = p * block;
    const int64_t cnt = std::min(len, lo + block) - lo;
    if (cnt > 0) run(lo, cnt);
  });
}

// Splits C into blocks of rows (or of columns when it is wider than tall),
// one per pool thread, each a single-threaded BLAS call.
template <typename T>
void parallel_blas(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                   T alpha, const T* a, int64_t lda, const T* b, int64_t ldb,
                   T beta, T* c, int64_t ldc) {
  single_threaded_blas();
  if (m == 1 || n == 1) {
    gemv_gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  constexpr int64_t kMinWork = int64_t{1} << 21;  // ~ a 128^3 GEMM
  // Inside a pool task (kernels running one GEMM per sample in parallel)
  // the pool runs nested work serially: one call is then cheaper than parts.
  const int64_t threads = in_pool_task() ? 1 : pool_threads();
  const bool split_rows = m >= n;
  const int64_t extent = split_rows ? m : n;
  const int64_t parts = std::min<int64_t>(
      {threads, extent / 16, std::max<int64_t>(1, m * n * k / kMinWork)});
  if (parts <= 1) {
    blas_call(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  const int64_t block = (extent + parts - 1) / parts;
  pool_run(parts, [&](int64_t p) {
    const int64_t lo = p * block;
    const int64_t len = std::min(extent, lo + block) - lo;
    if (len <= 0) return;
    if (split_rows) {
      const T* a_block = trans_a ? a + lo : a + lo * lda;
      blas_call(trans_a, trans_b, len, n, k, alpha, a_block, lda, b, ldb, beta,
                c + lo * ldc, ldc);
    } else {
      const T* b_block = trans_b ? b + lo * ldb : b + lo;
      blas_call(trans_a, trans_b, m, len, k, alpha, a, lda, b_block, ldb, beta,
                c + lo, ldc);
    }
  });
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
    parallel_blas(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c,
                  ldc);
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
