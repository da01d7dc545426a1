// cuda_sim's batched Jacobi solvers of cuSOLVER (syevjBatched,
// gesvdjBatched) and their parameter objects, column-major as cuSOLVER
// defines them, by dense_algorithms.h's Jacobi methods in double. Each
// matrix's odd-numbered vectors come back negated: cuSOLVER's Jacobi signs
// are not LAPACK's, so neither the backend nor its tests may rely on them.
#include <algorithm>
#include <string>
#include <vector>

#include "backends/cuda/sim/cusolver_internal.h"
#include "backends/cuda/sim/solver_io.h"

struct syevjInfo {
  int sort = 1;  // cuSOLVER's default: sorted
};
struct gesvdjInfo {
  int sort = 1;
};

namespace {

using cuda_sim::Dense;
using cuda_sim::solver::array_on_device;
using cuda_sim::solver::check_extent;
using cuda_sim::solver::enqueue;
using cuda_sim::solver::workspace_for;

void negate_odd_columns(Dense& d) {
  for (int64_t j = 1; j < d.cols; j += 2) {
    for (int64_t i = 0; i < d.rows; ++i) d(i, j) = -d(i, j);
  }
}

template <typename T>
cusolverStatus_t syevj(cusolverDnHandle_t h, cusolverEigMode_t jobz,
                       cublasFillMode_t uplo, int n, T* a, int lda, T* w,
                       T* work, int lwork, int* info, syevjInfo_t params,
                       int batch) {
  if (h == nullptr) return CUSOLVER_STATUS_NOT_INITIALIZED;
  if (n < 0 || lda < std::max(1, n) || batch < 0 || params == nullptr ||
      lwork < workspace_for(n, n) ||
      (uplo != CUBLAS_FILL_MODE_LOWER && uplo != CUBLAS_FILL_MODE_UPPER)) {
    return CUSOLVER_STATUS_INVALID_VALUE;
  }
  if (params->sort == 0) return CUSOLVER_STATUS_NOT_SUPPORTED;  // unsimulated
  const std::string name = "cusolverDnXsyevjBatched";
  const int64_t stride = static_cast<int64_t>(lda) * n;
  if (!check_extent(name, "A", array_on_device(a, stride * batch)) ||
      !check_extent(name, "the workspace", array_on_device(work, lwork)) ||
      !check_extent(name, "W", array_on_device(w, int64_t{n} * batch)) ||
      !check_extent(name, "info", array_on_device(info, batch))) {
    return CUSOLVER_STATUS_INVALID_VALUE;
  }
  const bool lower = uplo == CUBLAS_FILL_MODE_LOWER;
  const bool vectors = jobz == CUSOLVER_EIG_MODE_VECTOR;
  return enqueue(h, [=] {
    for (int b = 0; b < batch; ++b) {
      T* m = a + b * stride;
      Dense d(n, n);  // symmetric, from the one triangle read
      for (int j = 0; j < n; ++j) {
        for (int i = j; i < n; ++i) {
          d(i, j) = d(j, i) =
              static_cast<double>(lower ? m[i + j * lda] : m[j + i * lda]);
        }
      }
      std::vector<double> values;
      Dense v(n, n);
      cuda_sim::symmetric_eigen(d, values, v);
      negate_odd_columns(v);
      for (int i = 0; i < n; ++i) w[b * n + i] = static_cast<T>(values[i]);
      if (vectors) cuda_sim::store(v, m, lda);
      info[b] = 0;
    }
  });
}

template <typename T>
cusolverStatus_t gesvdj(cusolverDnHandle_t h, cusolverEigMode_t jobz, int m,
                        int n, T* a, int lda, T* s, T* u, int ldu, T* v,
                        int ldv, T* work, int lwork, int* info,
                        gesvdjInfo_t params, int batch) {
  if (h == nullptr) return CUSOLVER_STATUS_NOT_INITIALIZED;
  // As cuSOLVER: at most 32 x 32, complete U and V (no economy mode).
  if (m < 0 || n < 0 || m > 32 || n > 32 || batch < 0 || params == nullptr ||
      lda < std::max(1, m) || ldu < std::max(1, m) || ldv < std::max(1, n) ||
      lwork < workspace_for(m, n)) {
    return CUSOLVER_STATUS_INVALID_VALUE;
  }
  if (params->sort == 0) return CUSOLVER_STATUS_NOT_SUPPORTED;  // unsimulated
  const std::string name = "cusolverDnXgesvdjBatched";
  const int64_t sa = int64_t{lda} * n, su = int64_t{ldu} * m,
                sv = int64_t{ldv} * n, k = std::min(m, n);
  if (!check_extent(name, "A", array_on_device(a, sa * batch)) ||
      !check_extent(name, "S", array_on_device(s, k * batch)) ||
      !check_extent(name, "U", array_on_device(u, su * batch)) ||
      !check_extent(name, "V", array_on_device(v, sv * batch)) ||
      !check_extent(name, "the workspace", array_on_device(work, lwork)) ||
      !check_extent(name, "info", array_on_device(info, batch))) {
    return CUSOLVER_STATUS_INVALID_VALUE;
  }
  const bool vectors = jobz == CUSOLVER_EIG_MODE_VECTOR;
  return enqueue(h, [=] {
    for (int b = 0; b < batch; ++b) {
      const Dense d = cuda_sim::load(a + b * sa, m, n, lda);
      Dense du(m, m), dv(n, n);
      std::vector<double> values;
      if (m >= n) {  // A = U S V^T directly
        Dense vt(n, n);
        cuda_sim::svd_tall(d, du, values, vt);
        for (int i = 0; i < n; ++i) {
          for (int j = 0; j < n; ++j) dv(i, j) = vt(j, i);
        }
      } else {  // A^T = V S U^T
        Dense dt(n, m), ut(m, m);
        for (int i = 0; i < m; ++i) {
          for (int j = 0; j < n; ++j) dt(j, i) = d(i, j);
        }
        cuda_sim::svd_tall(dt, dv, values, ut);
        for (int i = 0; i < m; ++i) {
          for (int j = 0; j < m; ++j) du(i, j) = ut(j, i);
        }
      }
      negate_odd_columns(du);  // the same columns of both: A unchanged
      negate_odd_columns(dv);
      for (int i = 0; i < k; ++i) s[b * k + i] = static_cast<T>(values[i]);
      if (vectors) {
        cuda_sim::store(du, u + b * su, ldu);
        cuda_sim::store(dv, v + b * sv, ldv);
      }
      // gesvdj destroys A: make a backend that reads it afterwards see so.
      for (int j = 0; j < n; ++j) {
        for (int i = 0; i < m; ++i)
          a[b * sa + i + j * lda] = static_cast<T>(-1);
      }
      info[b] = 0;
    }
  });
}

cusolverStatus_t jacobi_size(cusolverDnHandle_t h, int* lwork, int64_t m,
                             int64_t n, const void* params) {
  if (h == nullptr) return CUSOLVER_STATUS_NOT_INITIALIZED;
  if (lwork == nullptr || params == nullptr || m < 0 || n < 0) {
    return CUSOLVER_STATUS_INVALID_VALUE;
  }
  *lwork = workspace_for(m, n);
  return CUSOLVER_STATUS_SUCCESS;
}

}  // namespace

cusolverStatus_t cusolverDnCreateSyevjInfo(syevjInfo_t* info) {
  if (info == nullptr) return CUSOLVER_STATUS_INVALID_VALUE;
  *info = new syevjInfo;
  return CUSOLVER_STATUS_SUCCESS;
}

cusolverStatus_t cusolverDnDestroySyevjInfo(syevjInfo_t info) {
  delete info;
  return CUSOLVER_STATUS_SUCCESS;
}

cusolverStatus_t cusolverDnXsyevjSetSortEig(syevjInfo_t info, int sort_eig) {
  if (info == nullptr) return CUSOLVER_STATUS_INVALID_VALUE;
  info->sort = sort_eig;
  return CUSOLVER_STATUS_SUCCESS;
}

cusolverStatus_t cusolverDnCreateGesvdjInfo(gesvdjInfo_t* info) {
  if (info == nullptr) return CUSOLVER_STATUS_INVALID_VALUE;
  *info = new gesvdjInfo;
  return CUSOLVER_STATUS_SUCCESS;
}

cusolverStatus_t cusolverDnDestroyGesvdjInfo(gesvdjInfo_t info) {
  delete info;
  return CUSOLVER_STATUS_SUCCESS;
}

cusolverStatus_t cusolverDnXgesvdjSetSortEig(gesvdjInfo_t info, int sort_svd) {
  if (info == nullptr) return CUSOLVER_STATUS_INVALID_VALUE;
  info->sort = sort_svd;
  return CUSOLVER_STATUS_SUCCESS;
}

#define CUDA_SIM_CUSOLVER_DEFINE_JACOBI(P, T)                                  \
  cusolverStatus_t cusolverDn##P##syevjBatched_bufferSize(                     \
      cusolverDnHandle_t h, cusolverEigMode_t, cublasFillMode_t, int n,        \
      const T*, int, const T*, int* lwork, syevjInfo_t params, int) {          \
    return jacobi_size(h, lwork, n, n, params);                                \
  }                                                                            \
  cusolverStatus_t cusolverDn##P##syevjBatched(                                \
      cusolverDnHandle_t h, cusolverEigMode_t jobz, cublasFillMode_t uplo,     \
      int n, T* A, int lda, T* W, T* work, int lwork, int* info,               \
      syevjInfo_t params, int batch) {                                         \
    return syevj<T>(h, jobz, uplo, n, A, lda, W, work, lwork, info, params,    \
                    batch);                                                    \
  }                                                                            \
  cusolverStatus_t cusolverDn##P##gesvdjBatched_bufferSize(                    \
      cusolverDnHandle_t h, cusolverEigMode_t, int m, int n, const T*, int,    \
      const T*, const T*, int, const T*, int, int* lwork, gesvdjInfo_t params, \
      int) {                                                                   \
    return jacobi_size(h, lwork, m, n, params);                                \
  }                                                                            \
  cusolverStatus_t cusolverDn##P##gesvdjBatched(                               \
      cusolverDnHandle_t h, cusolverEigMode_t jobz, int m, int n, T* A,        \
      int lda, T* S, T* U, int ldu, T* V, int ldv, T* work, int lwork,         \
      int* info, gesvdjInfo_t params, int batch) {                             \
    return gesvdj<T>(h, jobz, m, n, A, lda, S, U, ldu, V, ldv, work, lwork,    \
                     info, params, batch);                                     \
  }

CUDA_SIM_CUSOLVER_BOTH(CUDA_SIM_CUSOLVER_DEFINE_JACOBI)
