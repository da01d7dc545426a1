// cuda_sim's cuBLAS triangular solves (trsm and trsmBatched), column-major
// as cuBLAS defines them, by substitution in double. Checked at call time
// as cuBLAS checks them, plus the operands' extents against the device
// allocations; the solve itself is stream work.
#include <cublas_v2.h>

#include <algorithm>
#include <string>
#include <vector>

#include "backends/cuda/sim/solver_io.h"

namespace {

using cuda_sim::Dense;

struct Trsm {
  bool left, lower, trans, unit;
  int64_t m, n, lda, ldb;
  double alpha;

  // B (m x n) := op(T)^-1 alpha B or alpha B op(T)^-1.
  template <typename T>
  void run(const T* a, T* b) const {
    const int64_t t = left ? m : n;
    // op(T) as a dense matrix, and whether it is lower triangular.
    Dense op(t, t);
    for (int64_t j = 0; j < t; ++j) {
      for (int64_t i = 0; i < t; ++i) {
        const bool in = lower ? i >= j : i <= j;
        double v = in ? static_cast<double>(a[i + j * lda]) : 0.0;
        if (i == j && unit) v = 1;
        if (trans) {
          op(j, i) = v;
        } else {
          op(i, j) = v;
        }
      }
    }
    const bool op_lower = lower != trans;
    Dense x = cuda_sim::load(b, m, n, ldb);
    for (double& e : x.v) e *= alpha;
    // Left: op(T) x_col = b_col. Right: x_row op(T) = b_row, i.e.
    // op(T)^T x_row^T = b_row^T, whose matrix is upper when op(T) is lower.
    const int64_t systems = left ? n : m;
    for (int64_t s = 0; s < systems; ++s) {
      auto at = [&](int64_t i) -> double& { return left ? x(i, s) : x(s, i); };
      auto mat = [&](int64_t i, int64_t j) {
        return left ? op(i, j) : op(j, i);
      };
      const bool forward = left ? op_lower : !op_lower;
      for (int64_t step = 0; step < t; ++step) {
        const int64_t i = forward ? step : t - 1 - step;
        double v = at(i);
        for (int64_t q = 0; q < t; ++q) {
          if (q != i && mat(i, q) != 0) v -= mat(i, q) * at(q);
        }
        at(i) = v / mat(i, i);
      }
    }
    cuda_sim::store(x, b, ldb);
  }
};

template <typename T>
cublasStatus_t trsm(const char* name, cublasHandle_t handle,
                    cublasSideMode_t side, cublasFillMode_t uplo,
                    cublasOperation_t trans, cublasDiagType_t diag, int m,
                    int n, const T* alpha, const T* a, const T* const* as,
                    int lda, T* b, T* const* bs, int ldb, int batch) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  const int64_t t = side == CUBLAS_SIDE_LEFT ? m : n;
  if (m < 0 || n < 0 || batch < 0 || lda < std::max<int64_t>(1, t) ||
      ldb < std::max(1, m) || alpha == nullptr ||
      (uplo != CUBLAS_FILL_MODE_LOWER && uplo != CUBLAS_FILL_MODE_UPPER)) {
    return CUBLAS_STATUS_INVALID_VALUE;
  }
  if (m == 0 || n == 0 || batch == 0) return CUBLAS_STATUS_SUCCESS;
  const Trsm s{side == CUBLAS_SIDE_LEFT,
               uplo == CUBLAS_FILL_MODE_LOWER,
               trans != CUBLAS_OP_N,
               diag == CUBLAS_DIAG_UNIT,
               m,
               n,
               lda,
               ldb,
               static_cast<double>(*alpha)};
  const bool batched = as != nullptr || bs != nullptr;
  if (batched) {
    if (!cuda_sim::is_device_range(as, sizeof(T*) * batch) ||
        !cuda_sim::is_device_range(bs, sizeof(T*) * batch)) {
      cuda_sim::report(std::string(name) +
                       ": the pointer arrays are not device memory");
      return CUBLAS_STATUS_INVALID_VALUE;
    }
  } else if (!cuda_sim::matrix_on_device(a, t, t, lda) ||
             !cuda_sim::matrix_on_device(b, m, n, ldb)) {
    cuda_sim::report(std::string(name) +
                     ": A or B is not device memory, or extends past the end "
                     "of its allocation");
    return CUBLAS_STATUS_INVALID_VALUE;
  }
  cudaStream_t stream = nullptr;
  cublasGetStream(handle, &stream);
  const std::string what = name;
  cuda_sim::enqueue(stream, [=]() {
    for (int i = 0; i < batch; ++i) {
      const T* ai = batched ? as[i] : a;
      T* bi = batched ? bs[i] : b;
      if (!cuda_sim::matrix_on_device(ai, t, t, lda) ||
          !cuda_sim::matrix_on_device(bi, m, n, ldb)) {
        cuda_sim::report(what + ": matrix " + std::to_string(i) +
                         " is not (all) device memory");
        return cudaErrorIllegalAddress;
      }
      s.run(ai, bi);
    }
    return cudaSuccess;
  });
  return CUBLAS_STATUS_SUCCESS;
}

}  // namespace

cublasStatus_t cublasStrsm(cublasHandle_t handle, cublasSideMode_t side,
                           cublasFillMode_t uplo, cublasOperation_t trans,
                           cublasDiagType_t diag, int m, int n,
                           const float* alpha, const float* A, int lda,
                           float* B, int ldb) {
  return trsm<float>("cublasStrsm", handle, side, uplo, trans, diag, m, n,
                     alpha, A, nullptr, lda, B, nullptr, ldb, 1);
}

cublasStatus_t cublasDtrsm(cublasHandle_t handle, cublasSideMode_t side,
                           cublasFillMode_t uplo, cublasOperation_t trans,
                           cublasDiagType_t diag, int m, int n,
                           const double* alpha, const double* A, int lda,
                           double* B, int ldb) {
  return trsm<double>("cublasDtrsm", handle, side, uplo, trans, diag, m, n,
                      alpha, A, nullptr, lda, B, nullptr, ldb, 1);
}

cublasStatus_t cublasStrsmBatched(cublasHandle_t handle, cublasSideMode_t side,
                                  cublasFillMode_t uplo,
                                  cublasOperation_t trans,
                                  cublasDiagType_t diag, int m, int n,
                                  const float* alpha, const float* const A[],
                                  int lda, float* const B[], int ldb,
                                  int batchCount) {
  return trsm<float>("cublasStrsmBatched", handle, side, uplo, trans, diag, m,
                     n, alpha, nullptr, A, lda, nullptr, B, ldb, batchCount);
}

cublasStatus_t cublasDtrsmBatched(cublasHandle_t handle, cublasSideMode_t side,
                                  cublasFillMode_t uplo,
                                  cublasOperation_t trans,
                                  cublasDiagType_t diag, int m, int n,
                                  const double* alpha, const double* const A[],
                                  int lda, double* const B[], int ldb,
                                  int batchCount) {
  return trsm<double>("cublasDtrsmBatched", handle, side, uplo, trans, diag, m,
                      n, alpha, nullptr, A, lda, nullptr, B, ldb, batchCount);
}
