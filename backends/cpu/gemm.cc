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

// Rows per BLAS call. OpenBLAS (0.3.16 on, with its Skylake-X, Cooper Lake
// and Sapphire Rapids kernels) runs a row-major product whose B is not
// transposed through a small-matrix kernel when it has at most 1e6
// multiply-adds: no packing and no clearing of C first. For a tall product
// with few columns and a short K that is about twice as fast per row, so
// such products go in blocks of rows under that size (vmap(jacrev)'s
// backward GEMM, 2112 x 31 x 33: 72 -> 43 us on one core; 4096 x 8 x 256:
// 360 -> 170 us). Blocks of at least kMinBlockRows rows only: where the
// library has no such kernel a block repacks B (at most k * n <= 1e6 / 32
// elements), which stays small next to the block's work. Rows are computed
// independently, so where the blocks fall does not change any result.
int64_t rows_per_call(bool trans_b, int64_t m, int64_t n, int64_t k) {
  constexpr int64_t kSmallKernelWork = 1000000;
  constexpr int64_t kMinBlockRows = 32;
  if (trans_b || m * n * k <= kSmallKernelWork) return m;
  const int64_t rows = kSmallKernelWork / (n * k);
  if (rows < kMinBlockRows) return m;
  const int64_t blocks = (m + rows - 1) / rows;
  return (m + blocks - 1) / blocks;  // even blocks
}

// One thread's rows of C: BLAS calls over blocks of rows_per_call rows.
template <typename T>
void blas_rows(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
               T alpha, const T* a, int64_t lda, const T* b, int64_t ldb,
               T beta, T* c, int64_t ldc) {
  const int64_t rows = rows_per_call(trans_b, m, n, k);
  for (int64_t lo = 0; lo < m; lo += rows) {
    const int64_t len = std::min(m, lo + rows) - lo;
    blas_call(trans_a, trans_b, len, n, k, alpha,
              trans_a ? a + lo : a + lo * lda, lda, b, ldb, beta, c + lo * ldc,
              ldc);
  }
}

// Splits C into blocks of rows (or of columns when it is wider than tall),
// one per pool thread, each run by blas_rows on its thread.
template <typename T>
void parallel_blas(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k,
                   T alpha, const T* a, int64_t lda, const T* b, int64_t ldb,
                   T beta, T* c, int64_t ldc) {
  single_threaded_blas();
  // A part has at least ~2e6 multiply-adds (a 128^3 GEMM). Waking a pool
  // worker is slow on the 2-core machine (a 70000-element mul split in two
  // took 15 us against 8.5 us on one thread), so a GEMM of a few tens of
  // microseconds (vmap(jacrev)'s 2112 x 31 x 33, 43 us) stays on one.
  constexpr int64_t kMinWork = int64_t{1} << 21;
  // Inside a pool task (kernels running one GEMM per sample in parallel)
  // the pool runs nested work serially: one call is then cheaper than parts.
  const int64_t threads = in_pool_task() ? 1 : pool_threads();
  const bool split_rows = m >= n;
  const int64_t extent = split_rows ? m : n;
  const int64_t parts = std::min<int64_t>(
      {threads, extent / 16, std::max<int64_t>(1, m * n * k / kMinWork)});
  if (parts <= 1) {
    blas_rows(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  const int64_t block = (extent + parts - 1) / parts;
  pool_run(parts, [&](int64_t p) {
    const int64_t lo = p * block;
    const int64_t len = std::min(extent, lo + block) - lo;
    if (len <= 0) return;
    if (split_rows) {
      const T* a_block = trans_a ? a + lo : a + lo * lda;
      blas_rows(trans_a, trans_b, len, n, k, alpha, a_block, lda, b, ldb, beta,
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
