// cuda_sim's cuSOLVER (dense): handles and the factorizations backends/cuda
// calls, column-major as LAPACK defines them, computed by the reference
// algorithms of dense_algorithms.h. Arguments are checked at call time as
// cuSOLVER checks them, plus the extents of matrices and workspaces
// against the device allocations (a GPU would fault); the work itself runs
// in order on the handle's stream. Info values are written as cuSOLVER
// writes them: 0 on success, else LAPACK's positive code.
#include <cusolverDn.h>

#include <algorithm>
#include <string>
#include <vector>

#include "backends/cuda/sim/cusolver_internal.h"
#include "backends/cuda/sim/solver_io.h"

namespace {

using cuda_sim::Dense;
using cuda_sim::solver::array_on_device;
using cuda_sim::solver::check_extent;
using cuda_sim::solver::enqueue;
using cuda_sim::solver::workspace_for;

template <typename T>
cusolverStatus_t potrf(const std::string& name, cusolverDnHandle_t h,
                       cublasFillMode_t uplo, int n, T* const* arrays, T* a,
                       int lda, int* info, int batch) {
  if (h == nullptr) return CUSOLVER_STATUS_NOT_INITIALIZED;
  if (n < 0 || lda < std::max(1, n) || batch < 0 ||
      (uplo != CUBLAS_FILL_MODE_LOWER && uplo != CUBLAS_FILL_MODE_UPPER)) {
    return CUSOLVER_STATUS_INVALID_VALUE;
  }
  const bool batched = arrays != nullptr;
  if (!check_extent(name, "info", array_on_device(info, batch)) ||
      !check_extent(name, batched ? "the pointer array" : "A",
                    batched ? array_on_device(arrays, batch)
                            : cuda_sim::matrix_on_device(a, n, n, lda))) {
    return CUSOLVER_STATUS_INVALID_VALUE;
  }
  const bool lower = uplo == CUBLAS_FILL_MODE_LOWER;
  return enqueue(h, [=] {
    for (int b = 0; b < batch; ++b) {
      T* m = batched ? arrays[b] : a;
      // The upper triangle's U^T U is the lower algorithm on A^T.
      Dense d(n, n);
      for (int j = 0; j < n; ++j) {
        for (int i = j; i < n; ++i) {
          d(i, j) =
              static_cast<double>(lower ? m[i + j * lda] : m[j + i * lda]);
        }
      }
      info[b] = cuda_sim::cholesky_lower(d);
      for (int j = 0; j < n; ++j) {
        for (int i = j; i < n; ++i) {
          (lower ? m[i + j * lda] : m[j + i * lda]) = static_cast<T>(d(i, j));
        }
      }
    }
  });
}

template <typename T>
cusolverStatus_t getrf(cusolverDnHandle_t h, int m, int n, T* a, int lda,
                       T* work, int* ipiv, int* info) {
  if (h == nullptr) return CUSOLVER_STATUS_NOT_INITIALIZED;
  if (m < 0 || n < 0 || lda < std::max(1, m)) {
    return CUSOLVER_STATUS_INVALID_VALUE;
  }
  const std::string name = "cusolverDnXgetrf";
  if (!check_extent(name, "A", cuda_sim::matrix_on_device(a, m, n, lda)) ||
      !check_extent(name, "the workspace",
                    array_on_device(work, workspace_for(m, n))) ||
      !check_extent(name, "ipiv", array_on_device(ipiv, std::min(m, n))) ||
      !check_extent(name, "info", array_on_device(info, 1))) {
    return CUSOLVER_STATUS_INVALID_VALUE;
  }
  return enqueue(h, [=] {
    Dense d = cuda_sim::load(a, m, n, lda);
    std::vector<int> piv;
    *info = cuda_sim::lu_factor(d, piv);
    cuda_sim::store(d, a, lda);
    std::copy(piv.begin(), piv.end(), ipiv);
  });
}

template <typename T>
cusolverStatus_t geqrf(cusolverDnHandle_t h, int m, int n, T* a, int lda,
                       T* tau, T* work, int lwork, int* info) {
  if (h == nullptr) return CUSOLVER_STATUS_NOT_INITIALIZED;
  if (m < 0 || n < 0 || lda < std::max(1, m) || lwork < workspace_for(m, n)) {
    return CUSOLVER_STATUS_INVALID_VALUE;
  }
  const std::string name = "cusolverDnXgeqrf";
  if (!check_extent(name, "A", cuda_sim::matrix_on_device(a, m, n, lda)) ||
      !check_extent(name, "the workspace", array_on_device(work, lwork)) ||
      !check_extent(name, "tau", array_on_device(tau, std::min(m, n))) ||
      !check_extent(name, "info", array_on_device(info, 1))) {
    return CUSOLVER_STATUS_INVALID_VALUE;
  }
  return enqueue(h, [=] {
    Dense d = cuda_sim::load(a, m, n, lda);
    std::vector<double> t;
    cuda_sim::qr_factor(d, t);
    cuda_sim::store(d, a, lda);
    for (std::size_t i = 0; i < t.size(); ++i) tau[i] = static_cast<T>(t[i]);
    *info = 0;
  });
}

template <typename T>
cusolverStatus_t orgqr(cusolverDnHandle_t h, int m, int n, int k, T* a, int lda,
                       const T* tau, T* work, int lwork, int* info) {
  if (h == nullptr) return CUSOLVER_STATUS_NOT_INITIALIZED;
  if (m < 0 || n < 0 || n > m || k < 0 || k > n || lda < std::max(1, m) ||
      lwork < workspace_for(m, n)) {
    return CUSOLVER_STATUS_INVALID_VALUE;
  }
  const std::string name = "cusolverDnXorgqr";
  if (!check_extent(name, "A", cuda_sim::matrix_on_device(a, m, n, lda)) ||
      !check_extent(name, "the workspace", array_on_device(work, lwork)) ||
      !check_extent(name, "tau", array_on_device(tau, k)) ||
      !check_extent(name, "info", array_on_device(info, 1))) {
    return CUSOLVER_STATUS_INVALID_VALUE;
  }
  return enqueue(h, [=] {
    Dense d = cuda_sim::load(a, m, n, lda);
    std::vector<double> t(tau, tau + k);
    cuda_sim::qr_form_q(d, k, t);
    cuda_sim::store(d, a, lda);
    *info = 0;
  });
}

template <typename T>
cusolverStatus_t syevd(cusolverDnHandle_t h, cusolverEigMode_t jobz,
                       cublasFillMode_t uplo, int n, T* a, int lda, T* w,
                       T* work, int lwork, int* info) {
  if (h == nullptr) return CUSOLVER_STATUS_NOT_INITIALIZED;
  if (n < 0 || lda < std::max(1, n) || lwork < workspace_for(n, n) ||
      (uplo != CUBLAS_FILL_MODE_LOWER && uplo != CUBLAS_FILL_MODE_UPPER)) {
    return CUSOLVER_STATUS_INVALID_VALUE;
  }
  const std::string name = "cusolverDnXsyevd";
  if (!check_extent(name, "A", cuda_sim::matrix_on_device(a, n, n, lda)) ||
      !check_extent(name, "the workspace", array_on_device(work, lwork)) ||
      !check_extent(name, "W", array_on_device(w, n)) ||
      !check_extent(name, "info", array_on_device(info, 1))) {
    return CUSOLVER_STATUS_INVALID_VALUE;
  }
  const bool lower = uplo == CUBLAS_FILL_MODE_LOWER;
  const bool vectors = jobz == CUSOLVER_EIG_MODE_VECTOR;
  return enqueue(h, [=] {
    Dense d(n, n);  // symmetric, from the one triangle read
    for (int j = 0; j < n; ++j) {
      for (int i = j; i < n; ++i) {
        d(i, j) = d(j, i) =
            static_cast<double>(lower ? a[i + j * lda] : a[j + i * lda]);
      }
    }
    std::vector<double> values;
    Dense v(n, n);
    cuda_sim::symmetric_eigen(d, values, v);
    for (int i = 0; i < n; ++i) w[i] = static_cast<T>(values[i]);
    if (vectors) cuda_sim::store(v, a, lda);
    *info = 0;
  });
}

template <typename T>
cusolverStatus_t gesvd(cusolverDnHandle_t h, signed char jobu,
                       signed char jobvt, int m, int n, T* a, int lda, T* s,
                       T* u, int ldu, T* vt, int ldvt, T* work, int lwork,
                       int* info) {
  if (h == nullptr) return CUSOLVER_STATUS_NOT_INITIALIZED;
  // As cuSOLVER: m >= n only; jobs 'A' or 'S' here (what the backend uses).
  const bool jobs_ok =
      (jobu == 'A' || jobu == 'S') && (jobvt == 'A' || jobvt == 'S');
  const int ucols = jobu == 'A' ? m : n;
  if (m < n || n < 0 || !jobs_ok || lda < std::max(1, m) ||
      ldu < std::max(1, m) || ldvt < std::max(1, n) ||
      lwork < workspace_for(m, n)) {
    return CUSOLVER_STATUS_INVALID_VALUE;
  }
  const std::string name = "cusolverDnXgesvd";
  if (!check_extent(name, "A", cuda_sim::matrix_on_device(a, m, n, lda)) ||
      !check_extent(name, "U", cuda_sim::matrix_on_device(u, m, ucols, ldu)) ||
      !check_extent(name, "VT", cuda_sim::matrix_on_device(vt, n, n, ldvt)) ||
      !check_extent(name, "S", array_on_device(s, n)) ||
      !check_extent(name, "the workspace", array_on_device(work, lwork)) ||
      !check_extent(name, "info", array_on_device(info, 1))) {
    return CUSOLVER_STATUS_INVALID_VALUE;
  }
  return enqueue(h, [=] {
    const Dense d = cuda_sim::load(a, m, n, lda);
    Dense du(m, ucols), dvt(n, n);
    std::vector<double> values;
    cuda_sim::svd_tall(d, du, values, dvt);
    for (int i = 0; i < n; ++i) s[i] = static_cast<T>(values[i]);
    cuda_sim::store(du, u, ldu);
    cuda_sim::store(dvt, vt, ldvt);
    // gesvd destroys A: make a backend that reads it afterwards see so.
    for (int j = 0; j < n; ++j) {
      for (int i = 0; i < m; ++i) a[i + j * lda] = static_cast<T>(-1);
    }
    *info = 0;
  });
}

cusolverStatus_t buffer_size(cusolverDnHandle_t h, int* lwork, int64_t m,
                             int64_t n) {
  if (h == nullptr) return CUSOLVER_STATUS_NOT_INITIALIZED;
  if (lwork == nullptr || m < 0 || n < 0) return CUSOLVER_STATUS_INVALID_VALUE;
  *lwork = workspace_for(m, n);
  return CUSOLVER_STATUS_SUCCESS;
}

}  // namespace

cusolverStatus_t cusolverDnCreate(cusolverDnHandle_t* handle) {
  if (handle == nullptr) return CUSOLVER_STATUS_INVALID_VALUE;
  *handle = new cusolverDnContext;
  return CUSOLVER_STATUS_SUCCESS;
}

cusolverStatus_t cusolverDnDestroy(cusolverDnHandle_t handle) {
  if (handle == nullptr) return CUSOLVER_STATUS_NOT_INITIALIZED;
  delete handle;
  return CUSOLVER_STATUS_SUCCESS;
}

cusolverStatus_t cusolverDnSetStream(cusolverDnHandle_t handle,
                                     cudaStream_t stream) {
  if (handle == nullptr) return CUSOLVER_STATUS_NOT_INITIALIZED;
  handle->stream = stream;
  return CUSOLVER_STATUS_SUCCESS;
}

#define CUDA_SIM_CUSOLVER_DEFINE(P, T)                                         \
  cusolverStatus_t cusolverDn##P##potrf_bufferSize(                            \
      cusolverDnHandle_t h, cublasFillMode_t, int n, T*, int, int* lwork) {    \
    return buffer_size(h, lwork, n, n);                                        \
  }                                                                            \
  cusolverStatus_t cusolverDn##P##potrf(                                       \
      cusolverDnHandle_t h, cublasFillMode_t uplo, int n, T* A, int lda,       \
      T* work, int lwork, int* info) {                                         \
    if (lwork < workspace_for(n, n) ||                                         \
        !check_extent("cusolverDn" #P "potrf", "the workspace",                \
                      array_on_device(work, lwork))) {                         \
      return CUSOLVER_STATUS_INVALID_VALUE;                                    \
    }                                                                          \
    return potrf<T>("cusolverDn" #P "potrf", h, uplo, n, nullptr, A, lda,      \
                    info, 1);                                                  \
  }                                                                            \
  cusolverStatus_t cusolverDn##P##potrfBatched(                                \
      cusolverDnHandle_t h, cublasFillMode_t uplo, int n, T* arrays[],         \
      int lda, int* info, int batch) {                                         \
    return potrf<T>("cusolverDn" #P "potrfBatched", h, uplo, n, arrays,        \
                    nullptr, lda, info, batch);                                \
  }                                                                            \
  cusolverStatus_t cusolverDn##P##getrf_bufferSize(                            \
      cusolverDnHandle_t h, int m, int n, T*, int, int* lwork) {               \
    return buffer_size(h, lwork, m, n);                                        \
  }                                                                            \
  cusolverStatus_t cusolverDn##P##getrf(cusolverDnHandle_t h, int m, int n,    \
                                        T* A, int lda, T* work, int* ipiv,     \
                                        int* info) {                           \
    return getrf<T>(h, m, n, A, lda, work, ipiv, info);                        \
  }                                                                            \
  cusolverStatus_t cusolverDn##P##geqrf_bufferSize(                            \
      cusolverDnHandle_t h, int m, int n, T*, int, int* lwork) {               \
    return buffer_size(h, lwork, m, n);                                        \
  }                                                                            \
  cusolverStatus_t cusolverDn##P##geqrf(cusolverDnHandle_t h, int m, int n,    \
                                        T* A, int lda, T* tau, T* work,        \
                                        int lwork, int* info) {                \
    return geqrf<T>(h, m, n, A, lda, tau, work, lwork, info);                  \
  }                                                                            \
  cusolverStatus_t cusolverDn##P##orgqr_bufferSize(                            \
      cusolverDnHandle_t h, int m, int n, int, const T*, int, const T*,        \
      int* lwork) {                                                            \
    return buffer_size(h, lwork, m, n);                                        \
  }                                                                            \
  cusolverStatus_t cusolverDn##P##orgqr(cusolverDnHandle_t h, int m, int n,    \
                                        int k, T* A, int lda, const T* tau,    \
                                        T* work, int lwork, int* info) {       \
    return orgqr<T>(h, m, n, k, A, lda, tau, work, lwork, info);               \
  }                                                                            \
  cusolverStatus_t cusolverDn##P##syevd_bufferSize(                            \
      cusolverDnHandle_t h, cusolverEigMode_t, cublasFillMode_t, int n,        \
      const T*, int, const T*, int* lwork) {                                   \
    return buffer_size(h, lwork, n, n);                                        \
  }                                                                            \
  cusolverStatus_t cusolverDn##P##syevd(                                       \
      cusolverDnHandle_t h, cusolverEigMode_t jobz, cublasFillMode_t uplo,     \
      int n, T* A, int lda, T* W, T* work, int lwork, int* info) {             \
    return syevd<T>(h, jobz, uplo, n, A, lda, W, work, lwork, info);           \
  }                                                                            \
  cusolverStatus_t cusolverDn##P##gesvd_bufferSize(cusolverDnHandle_t h,       \
                                                   int m, int n, int* lwork) { \
    return buffer_size(h, lwork, m, n);                                        \
  }                                                                            \
  cusolverStatus_t cusolverDn##P##gesvd(                                       \
      cusolverDnHandle_t h, signed char jobu, signed char jobvt, int m, int n, \
      T* A, int lda, T* S, T* U, int ldu, T* VT, int ldvt, T* work, int lwork, \
      T*, int* info) {                                                         \
    return gesvd<T>(h, jobu, jobvt, m, n, A, lda, S, U, ldu, VT, ldvt, work,   \
                    lwork, info);                                              \
  }

CUDA_SIM_CUSOLVER_BOTH(CUDA_SIM_CUSOLVER_DEFINE)
