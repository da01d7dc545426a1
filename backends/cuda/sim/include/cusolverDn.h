// cuda_sim: the subset of cuSOLVER's dense API that backends/cuda calls,
// implemented on the host (backends/cuda/sim/cusolver*.cc). Types, values
// and signatures follow cuSOLVER's headers so that the backend compiles
// unchanged. Matrices are column-major, as in LAPACK.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime_api.h>

struct cusolverDnContext;
using cusolverDnHandle_t = cusolverDnContext*;

enum cusolverStatus_t {
  CUSOLVER_STATUS_SUCCESS = 0,
  CUSOLVER_STATUS_NOT_INITIALIZED = 1,
  CUSOLVER_STATUS_ALLOC_FAILED = 2,
  CUSOLVER_STATUS_INVALID_VALUE = 3,
  CUSOLVER_STATUS_ARCH_MISMATCH = 4,
  CUSOLVER_STATUS_MAPPING_ERROR = 5,
  CUSOLVER_STATUS_EXECUTION_FAILED = 6,
  CUSOLVER_STATUS_INTERNAL_ERROR = 7,
  CUSOLVER_STATUS_MATRIX_TYPE_NOT_SUPPORTED = 8,
  CUSOLVER_STATUS_NOT_SUPPORTED = 9,
};

enum cusolverEigMode_t {
  CUSOLVER_EIG_MODE_NOVECTOR = 0,
  CUSOLVER_EIG_MODE_VECTOR = 1,
};

cusolverStatus_t cusolverDnCreate(cusolverDnHandle_t* handle);
cusolverStatus_t cusolverDnDestroy(cusolverDnHandle_t handle);
cusolverStatus_t cusolverDnSetStream(cusolverDnHandle_t handle,
                                     cudaStream_t stream);

// Declares the float (S) and double (D) variants of each routine.
#define CUDA_SIM_CUSOLVER_BOTH(X) X(S, float) X(D, double)

#define CUDA_SIM_CUSOLVER_DECLARE(P, T)                                       \
  cusolverStatus_t cusolverDn##P##potrf_bufferSize(                           \
      cusolverDnHandle_t handle, cublasFillMode_t uplo, int n, T* A, int lda, \
      int* Lwork);                                                            \
  cusolverStatus_t cusolverDn##P##potrf(                                      \
      cusolverDnHandle_t handle, cublasFillMode_t uplo, int n, T* A, int lda, \
      T* Workspace, int Lwork, int* devInfo);                                 \
  cusolverStatus_t cusolverDn##P##potrfBatched(                               \
      cusolverDnHandle_t handle, cublasFillMode_t uplo, int n, T* Aarray[],   \
      int lda, int* infoArray, int batchSize);                                \
  cusolverStatus_t cusolverDn##P##getrf_bufferSize(                           \
      cusolverDnHandle_t handle, int m, int n, T* A, int lda, int* Lwork);    \
  cusolverStatus_t cusolverDn##P##getrf(cusolverDnHandle_t handle, int m,     \
                                        int n, T* A, int lda, T* Workspace,   \
                                        int* devIpiv, int* devInfo);          \
  cusolverStatus_t cusolverDn##P##geqrf_bufferSize(                           \
      cusolverDnHandle_t handle, int m, int n, T* A, int lda, int* lwork);    \
  cusolverStatus_t cusolverDn##P##geqrf(                                      \
      cusolverDnHandle_t handle, int m, int n, T* A, int lda, T* TAU,         \
      T* Workspace, int Lwork, int* devInfo);                                 \
  cusolverStatus_t cusolverDn##P##orgqr_bufferSize(                           \
      cusolverDnHandle_t handle, int m, int n, int k, const T* A, int lda,    \
      const T* tau, int* lwork);                                              \
  cusolverStatus_t cusolverDn##P##orgqr(                                      \
      cusolverDnHandle_t handle, int m, int n, int k, T* A, int lda,          \
      const T* tau, T* work, int lwork, int* info);                           \
  cusolverStatus_t cusolverDn##P##syevd_bufferSize(                           \
      cusolverDnHandle_t handle, cusolverEigMode_t jobz,                      \
      cublasFillMode_t uplo, int n, const T* A, int lda, const T* W,          \
      int* lwork);                                                            \
  cusolverStatus_t cusolverDn##P##syevd(                                      \
      cusolverDnHandle_t handle, cusolverEigMode_t jobz,                      \
      cublasFillMode_t uplo, int n, T* A, int lda, T* W, T* work, int lwork,  \
      int* info);                                                             \
  cusolverStatus_t cusolverDn##P##gesvd_bufferSize(cusolverDnHandle_t handle, \
                                                   int m, int n, int* lwork); \
  cusolverStatus_t cusolverDn##P##gesvd(                                      \
      cusolverDnHandle_t handle, signed char jobu, signed char jobvt, int m,  \
      int n, T* A, int lda, T* S, T* U, int ldu, T* VT, int ldvt, T* work,    \
      int lwork, T* rwork, int* devInfo);

CUDA_SIM_CUSOLVER_BOTH(CUDA_SIM_CUSOLVER_DECLARE)

// The batched Jacobi solvers (cusolver_jacobi.cc) and their parameters.
struct syevjInfo;
using syevjInfo_t = syevjInfo*;
struct gesvdjInfo;
using gesvdjInfo_t = gesvdjInfo*;

cusolverStatus_t cusolverDnCreateSyevjInfo(syevjInfo_t* info);
cusolverStatus_t cusolverDnDestroySyevjInfo(syevjInfo_t info);
cusolverStatus_t cusolverDnXsyevjSetSortEig(syevjInfo_t info, int sort_eig);
cusolverStatus_t cusolverDnCreateGesvdjInfo(gesvdjInfo_t* info);
cusolverStatus_t cusolverDnDestroyGesvdjInfo(gesvdjInfo_t info);
cusolverStatus_t cusolverDnXgesvdjSetSortEig(gesvdjInfo_t info, int sort_svd);

#define CUDA_SIM_CUSOLVER_DECLARE_JACOBI(P, T)                               \
  cusolverStatus_t cusolverDn##P##syevjBatched_bufferSize(                   \
      cusolverDnHandle_t handle, cusolverEigMode_t jobz,                     \
      cublasFillMode_t uplo, int n, const T* A, int lda, const T* W,         \
      int* lwork, syevjInfo_t params, int batchSize);                        \
  cusolverStatus_t cusolverDn##P##syevjBatched(                              \
      cusolverDnHandle_t handle, cusolverEigMode_t jobz,                     \
      cublasFillMode_t uplo, int n, T* A, int lda, T* W, T* work, int lwork, \
      int* info, syevjInfo_t params, int batchSize);                         \
  cusolverStatus_t cusolverDn##P##gesvdjBatched_bufferSize(                  \
      cusolverDnHandle_t handle, cusolverEigMode_t jobz, int m, int n,       \
      const T* A, int lda, const T* S, const T* U, int ldu, const T* V,      \
      int ldv, int* lwork, gesvdjInfo_t params, int batchSize);              \
  cusolverStatus_t cusolverDn##P##gesvdjBatched(                             \
      cusolverDnHandle_t handle, cusolverEigMode_t jobz, int m, int n, T* A, \
      int lda, T* S, T* U, int ldu, T* V, int ldv, T* work, int lwork,       \
      int* info, gesvdjInfo_t params, int batchSize);

CUDA_SIM_CUSOLVER_BOTH(CUDA_SIM_CUSOLVER_DECLARE_JACOBI)

#undef CUDA_SIM_CUSOLVER_DECLARE_JACOBI

#undef CUDA_SIM_CUSOLVER_DECLARE
