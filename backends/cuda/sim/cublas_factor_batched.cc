// cuda_sim's cuBLAS batched factorizations of small matrices (getrfBatched,
// geqrfBatched), column-major over device arrays of matrix pointers, by
// dense_algorithms.h's LU and Householder QR in double. Arguments and the
// pointer arrays are checked at call time as cuBLAS checks them; each
// matrix's extent is checked when the stream work runs (a GPU would fault).
#include <cublas_v2.h>

#include <algorithm>
#include <string>
#include <vector>

#include "backends/cuda/sim/solver_io.h"

namespace {

using cuda_sim::Dense;

template <typename T>
bool pointers_on_device(const std::string& name, const void* arrays,
                        int batch) {
  if (batch == 0 || cuda_sim::is_device_range(arrays, sizeof(T*) * batch)) {
    return true;
  }
  cuda_sim::report(name + ": the pointer array is not device memory");
  return false;
}

// Runs `factor(matrix index)` for each matrix on the handle's stream,
// after checking that its rows x cols (ld) lie in device memory.
template <typename T, typename Factor>
void enqueue_each(cublasHandle_t handle, const std::string& name,
                  T* const* arrays, int rows, int cols, int ld, int batch,
                  Factor factor) {
  cudaStream_t stream = nullptr;
  cublasGetStream(handle, &stream);
  cuda_sim::enqueue(stream, [=]() {
    for (int i = 0; i < batch; ++i) {
      if (!cuda_sim::matrix_on_device(arrays[i], rows, cols, ld)) {
        cuda_sim::report(name + ": matrix " + std::to_string(i) +
                         " is not (all) device memory");
        return cudaErrorIllegalAddress;
      }
      factor(i);
    }
    return cudaSuccess;
  });
}

template <typename T>
cublasStatus_t getrf(const std::string& name, cublasHandle_t handle, int n,
                     T* const* arrays, int lda, int* ipiv, int* info,
                     int batch) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (n < 0 || lda < std::max(1, n) || batch < 0) {
    return CUBLAS_STATUS_INVALID_VALUE;
  }
  if (ipiv == nullptr) {  // no pivoting: not what the backend asks for
    cuda_sim::report(name + ": unpivoted LU is not simulated");
    return CUBLAS_STATUS_NOT_SUPPORTED;
  }
  const int64_t count = static_cast<int64_t>(n) * batch;
  if (!pointers_on_device<T>(name, arrays, batch) ||
      (count > 0 && !cuda_sim::is_device_range(ipiv, sizeof(int) * count)) ||
      (batch > 0 && !cuda_sim::is_device_range(info, sizeof(int) * batch))) {
    cuda_sim::report(name + ": P or info is not device memory of n * batch " +
                     "and batch ints");
    return CUBLAS_STATUS_INVALID_VALUE;
  }
  enqueue_each(handle, name, arrays, n, n, lda, batch, [=](int i) {
    Dense d = cuda_sim::load(arrays[i], n, n, lda);
    std::vector<int> piv;
    info[i] = cuda_sim::lu_factor(d, piv);
    cuda_sim::store(d, arrays[i], lda);
    std::copy(piv.begin(), piv.end(), ipiv + static_cast<int64_t>(i) * n);
  });
  return CUBLAS_STATUS_SUCCESS;
}

template <typename T>
cublasStatus_t geqrf(const std::string& name, cublasHandle_t handle, int m,
                     int n, T* const* arrays, int lda, T* const* taus,
                     int* info, int batch) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (info == nullptr) return CUBLAS_STATUS_INVALID_VALUE;
  // As cuBLAS: the first invalid argument's position, negated.
  *info = m < 0                  ? -2
          : n < 0                ? -3
          : lda < std::max(1, m) ? -5
          : batch < 0            ? -8
                                 : 0;
  if (*info != 0) return CUBLAS_STATUS_INVALID_VALUE;
  if (!pointers_on_device<T>(name, arrays, batch) ||
      !pointers_on_device<T>(name, taus, batch)) {
    return CUBLAS_STATUS_INVALID_VALUE;
  }
  const int k = std::min(m, n);
  enqueue_each(handle, name, arrays, m, n, lda, batch, [=](int i) {
    Dense d = cuda_sim::load(arrays[i], m, n, lda);
    std::vector<double> tau;
    cuda_sim::qr_factor(d, tau);
    cuda_sim::store(d, arrays[i], lda);
    if (!cuda_sim::matrix_on_device(taus[i], k, 1, std::max(k, 1))) {
      cuda_sim::report(name + ": tau " + std::to_string(i) +
                       " is not (all) device memory");
      return;
    }
    for (int j = 0; j < k; ++j) taus[i][j] = static_cast<T>(tau[j]);
  });
  return CUBLAS_STATUS_SUCCESS;
}

}  // namespace

cublasStatus_t cublasSgetrfBatched(cublasHandle_t handle, int n,
                                   float* const A[], int lda, int* P, int* info,
                                   int batchSize) {
  return getrf<float>("cublasSgetrfBatched", handle, n, A, lda, P, info,
                      batchSize);
}

cublasStatus_t cublasDgetrfBatched(cublasHandle_t handle, int n,
                                   double* const A[], int lda, int* P,
                                   int* info, int batchSize) {
  return getrf<double>("cublasDgetrfBatched", handle, n, A, lda, P, info,
                       batchSize);
}

cublasStatus_t cublasSgeqrfBatched(cublasHandle_t handle, int m, int n,
                                   float* const Aarray[], int lda,
                                   float* const TauArray[], int* info,
                                   int batchSize) {
  return geqrf<float>("cublasSgeqrfBatched", handle, m, n, Aarray, lda,
                      TauArray, info, batchSize);
}

cublasStatus_t cublasDgeqrfBatched(cublasHandle_t handle, int m, int n,
                                   double* const Aarray[], int lda,
                                   double* const TauArray[], int* info,
                                   int batchSize) {
  return geqrf<double>("cublasDgeqrfBatched", handle, m, n, Aarray, lda,
                       TauArray, info, batchSize);
}
