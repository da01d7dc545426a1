// Cholesky, TriangularSolve and Lu: one LAPACK (or BLAS trsm) call per
// matrix, in parallel over the batch; batches of small matrices go through
// small_linalg.h instead. LAPACK is column-major: a row-major matrix is its
// transpose there, which Cholesky uses (the other triangle) and Lu cannot
// (it would pivot columns), so Lu copies into column-major order.
#include "backends/cpu/lapack.h"
#include "backends/cpu/linalg_common.h"
#include "backends/cpu/small_linalg.h"
#include "core/registry.h"

namespace fnx::cpu {
namespace {

bool use_small_path(const MatrixBatch& a) {
  return a.rows <= kSmallOrder && a.count >= kSmallBatch;
}

template <typename T>
void cholesky_lapack(const MatrixBatch& a, const T* pa, bool upper, T* out) {
  const int64_t n = a.rows;
  const int ni = lapack_int(n, "cholesky");
  for_each_matrix<T>(a.count, 0, 0, [&](int64_t i, T*, int*) {
    T* o = out + i * n * n;
    copy_matrix(pa + a.offset(i), a.rs, a.cs, n, n, o, n, 1);
    // The row-major lower triangle is the column-major upper one.
    const int info = lapack::potrf(upper ? 'L' : 'U', ni, o, ni);
    if (info > 0) {
      // potrf leaves the failing block half done: redo it unblocked, which
      // keeps the leading columns and writes NaN from the failing one.
      cholesky_unblocked(pa + a.offset(i), a.rs, a.cs, n, upper, o);
      return;
    }
    for (int64_t r = 0; r < n; ++r) {
      for (int64_t c = 0; c < n; ++c) {
        if (upper ? c < r : c > r) o[r * n + c] = T(0);
      }
    }
  });
}

Tensor cholesky_kernel(const OpCall& call, const OutMeta& out) {
  const Tensor a = cast_to(call.inputs[0], out.dtype);
  const bool upper = call.attr<LinalgAttrs>().upper;
  Tensor result = make_result(out);
  const MatrixBatch mb(a);
  if (mb.count == 0 || mb.rows == 0) return result;
  FNX_DISPATCH_FLOATING_TYPES(out.dtype, [&] {
    using T = scalar_t;
    if (use_small_path(mb)) {
      small_cholesky(mb, data_ptr<T>(a), upper, data_ptr<T>(result));
    } else {
      cholesky_lapack(mb, data_ptr<T>(a), upper, data_ptr<T>(result));
    }
  });
  return result;
}

template <typename T>
void trsm(CBLAS_SIDE side, CBLAS_UPLO uplo, CBLAS_TRANSPOSE trans,
          CBLAS_DIAG diag, int m, int n, const T* a, int lda, T* b, int ldb) {
  if constexpr (std::is_same_v<T, float>) {
    cblas_strsm(CblasRowMajor, side, uplo, trans, diag, m, n, 1.0f, a, lda, b,
                ldb);
  } else {
    cblas_dtrsm(CblasRowMajor, side, uplo, trans, diag, m, n, 1.0, a, lda, b,
                ldb);
  }
}

// b holds the right-hand sides (count, rows, cols), solved in place.
template <typename T>
void triangular_solve_blas(const MatrixBatch& a, const T* pa,
                           const LinalgAttrs& at, int64_t rows, int64_t cols,
                           T* b) {
  const int64_t n = a.rows;
  // a's matrices go to BLAS as they lie when row-major, or transposed
  // row-major (then T^T is stored: the other triangle, and op flips);
  // otherwise each is copied.
  bool upper = at.upper, transpose = at.transpose, copy = false;
  int64_t lda = a.rs;
  if (!(a.cs == 1 && a.rs >= n)) {
    if (a.rs == 1 && a.cs >= n) {
      upper = !upper;
      transpose = !transpose;
      lda = a.cs;
    } else {
      copy = true;
      lda = n;
    }
  }
  const int m_rows = lapack_int(rows, "triangular_solve");
  const int n_cols = lapack_int(cols, "triangular_solve");
  const int ld = lapack_int(std::max<int64_t>(lda, 1), "triangular_solve");
  const auto side = at.left ? CblasLeft : CblasRight;
  const auto uplo = upper ? CblasUpper : CblasLower;
  const auto op = transpose ? CblasTrans : CblasNoTrans;
  const auto diag = at.unit_diagonal ? CblasUnit : CblasNonUnit;
  // Matrix i as BLAS reads it (copied into w when its layout is not one).
  auto matrix = [&](int64_t i, T* w) {
    const T* m = pa + a.offset(i);
    if (!copy) return m;
    copy_matrix(m, a.rs, a.cs, n, n, w, n, 1);
    return static_cast<const T*>(w);
  };
  // One large solve: its right-hand sides are independent (B's columns
  // for a left solve, its rows for a right one), so they are split over
  // the pool, as a GEMM's are (parts of at least ~2^21 multiply-adds; the
  // solves of a Cholesky VJP on 256 x 256 are 8.4e6 each).
  const int64_t independent = at.left ? cols : rows;
  const int64_t work = n * n * independent / 2;
  const int64_t parts =
      a.count != 1 || in_pool_task()
          ? 1
          : std::min<int64_t>({pool_threads(), independent / 16,
                               std::max<int64_t>(1, work >> 21)});
  if (parts > 1) {
    single_threaded_lapack();
    Scratch<T> w(copy ? n * n : 1);
    const T* m = matrix(0, w.get());
    const int64_t block = (independent + parts - 1) / parts;
    pool_run(parts, [&](int64_t p) {
      const int64_t lo = p * block;
      const int64_t len = std::min(independent, lo + block) - lo;
      if (len <= 0) return;
      const int part = static_cast<int>(len);
      if (at.left) {
        trsm<T>(side, uplo, op, diag, m_rows, part, m, ld, b + lo, n_cols);
      } else {
        trsm<T>(side, uplo, op, diag, part, n_cols, m, ld, b + lo * cols,
                n_cols);
      }
    });
    return;
  }
  for_each_matrix<T>(a.count, copy ? n * n : 0, 0, [&](int64_t i, T* w, int*) {
    trsm<T>(side, uplo, op, diag, m_rows, n_cols, matrix(i, w), ld,
            b + i * rows * cols, n_cols);
  });
}

Tensor triangular_solve_kernel(const OpCall& call, const OutMeta& out) {
  const Tensor a = cast_to(call.inputs[0], out.dtype);
  const Tensor& b = call.inputs[1];
  const LinalgAttrs& at = call.attr<LinalgAttrs>();
  Tensor result = make_result(out);
  if (numel(out.shape) == 0) return result;
  strided_copy(out.shape, byte_ptr(result), out.dtype, result.strides(),
               byte_ptr(b), b.dtype(), b.strides());
  const MatrixBatch mb(a);
  const int64_t rows = out.shape[out.shape.size() - 2];
  const int64_t cols = out.shape.back();
  FNX_DISPATCH_FLOATING_TYPES(out.dtype, [&] {
    using T = scalar_t;
    if (use_small_path(mb)) {
      small_triangular_solve(mb, data_ptr<T>(a), at, rows, cols,
                             data_ptr<T>(result));
    } else {
      triangular_solve_blas(mb, data_ptr<T>(a), at, rows, cols,
                            data_ptr<T>(result));
    }
  });
  return result;
}

template <typename T>
void lu_lapack(const MatrixBatch& a, const T* pa, T* out) {
  const int64_t n = a.rows;
  const int ni = lapack_int(n, "lu");
  for_each_matrix<T>(a.count, n * n, n, [&](int64_t i, T* w, int* ipiv) {
    copy_matrix(pa + a.offset(i), a.rs, a.cs, n, n, w, 1, n);
    // info > 0 (a zero pivot) is still a factorization: U is singular.
    lapack::getrf(ni, ni, w, ni, ipiv);
    T* o = out + i * (n * n + 2 * n);
    copy_matrix(w, 1, n, n, n, o, n, 1);
    T* pivots = o + n * n;
    T* perm = pivots + n;
    for (int64_t r = 0; r < n; ++r) perm[r] = T(r);
    for (int64_t r = 0; r < n; ++r) {
      pivots[r] = T(ipiv[r]);
      std::swap(perm[r], perm[ipiv[r] - 1]);
    }
  });
}

Tensor lu_kernel(const OpCall& call, const OutMeta& out) {
  const Tensor a = cast_to(call.inputs[0], out.dtype);
  Tensor result = make_result(out);
  const MatrixBatch mb(a);
  if (mb.count == 0 || mb.rows == 0) return result;
  FNX_DISPATCH_FLOATING_TYPES(out.dtype, [&] {
    using T = scalar_t;
    if (use_small_path(mb)) {
      small_lu(mb, data_ptr<T>(a), data_ptr<T>(result));
    } else {
      lu_lapack(mb, data_ptr<T>(a), data_ptr<T>(result));
    }
  });
  return result;
}

}  // namespace

FNX_REGISTER_PLUGIN("cpu") {
  r.kernel(DeviceType::CPU, Prim::Cholesky, &cholesky_kernel);
  r.kernel(DeviceType::CPU, Prim::TriangularSolve, &triangular_solve_kernel);
  r.kernel(DeviceType::CPU, Prim::Lu, &lu_kernel);
}

}  // namespace fnx::cpu
