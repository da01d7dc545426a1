// Layout helpers around the cuSOLVER/cuBLAS calls of linalg*.cc: pointer
// arrays for the batched routines, the finishing touches of a Cholesky
// factor, LAPACK pivots to packed floats, R's zero triangle, Q from batched
// geqrf's reflectors, NaN for failed matrices and identity parts.
#include <limits>

#include "backends/cuda/kernels.h"
#include "backends/cuda/launch.h"
#include "backends/cuda/loop.cuh"

namespace fnx::cuda {
namespace {

unsigned blocks_of(int64_t n) {
  return static_cast<unsigned>((n + kThreads - 1) / kThreads);
}

__global__ void pointer_array_kernel(void** out, char* base,
                                     int64_t stride_bytes, int64_t count) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < count) out[i] = base + i * stride_bytes;
}

template <typename T>
__global__ void cholesky_finish_kernel(int64_t batch, int64_t n, T* a,
                                       const int* info, bool lower) {
  const int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (e >= batch * n * n) return;
  const int64_t j = e % n, i = (e / n) % n, b = e / (n * n);
  const bool in_factor = lower ? j <= i : j >= i;
  if (!in_factor) {
    a[e] = T(0);
    return;
  }
  // L's column j is U's row i; info is 1-based.
  const int64_t column = lower ? j : i;
  const int failed = info[b];
  if (failed > 0 && column >= failed - 1) {
    a[e] = std::numeric_limits<T>::quiet_NaN();
  }
}

// A thread per matrix: the swaps are sequential.
template <typename T>
__global__ void lu_pivots_kernel(int64_t batch, int64_t n, const int* ipiv,
                                 T* out, int64_t stride) {
  const int64_t b = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (b >= batch) return;
  const int* piv = ipiv + b * n;
  T* pivots = out + b * stride;
  T* perm = pivots + n;
  for (int64_t i = 0; i < n; ++i) {
    pivots[i] = static_cast<T>(piv[i]);
    perm[i] = static_cast<T>(i);
  }
  for (int64_t i = 0; i < n; ++i) {
    const int64_t p = piv[i] - 1;
    const T t = perm[i];
    perm[i] = perm[p];
    perm[p] = t;
  }
}

template <typename T>
__global__ void zero_below_kernel(int64_t batch, int64_t rows, int64_t cols,
                                  T* a, int64_t stride) {
  const int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (e >= batch * rows * cols) return;
  const int64_t j = e % cols, i = (e / cols) % rows, b = e / (rows * cols);
  if (i > j) a[b * stride + i * cols + j] = T(0);
}

// A thread per column c of Q: e_c with the reflectors applied last to
// first (Q e_c = H(0) (H(1) (... H(k-1) e_c))), as orgqr forms it.
template <typename T>
__global__ void householder_q_kernel(int64_t batch, int64_t m, int64_t n,
                                     int64_t k, int64_t qc, const T* a,
                                     const T* tau, T* q) {
  const int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (e >= batch * qc) return;
  const int64_t c = e % qc, b = e / qc;
  const T* v = a + b * m * n;
  const T* t = tau + b * k;
  T* x = q + b * m * qc + c * m;
  for (int64_t i = 0; i < m; ++i) x[i] = T(i == c ? 1 : 0);
  for (int64_t j = k - 1; j >= 0; --j) {
    // H(j) = I - tau v v^T, v = (0, ..., 0, 1, a(j+1:m, j)).
    T w = x[j];
    for (int64_t i = j + 1; i < m; ++i) w += v[i + j * m] * x[i];
    w *= t[j];
    x[j] -= w;
    for (int64_t i = j + 1; i < m; ++i) x[i] -= w * v[i + j * m];
  }
}

template <typename T>
__global__ void nan_where_failed_kernel(int64_t batch, int64_t count, T* out,
                                        int64_t stride, const int* info) {
  const int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (e >= batch * count) return;
  const int64_t b = e / count;
  if (info[b] != 0) {
    out[b * stride + e % count] = std::numeric_limits<T>::quiet_NaN();
  }
}

template <typename T>
__global__ void identity_kernel(int64_t batch, int64_t n, T* out,
                                int64_t stride) {
  const int64_t e = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (e >= batch * n * n) return;
  const int64_t j = e % n, i = (e / n) % n, b = e / (n * n);
  out[b * stride + i * n + j] = T(i == j ? 1 : 0);
}

}  // namespace

cudaError_t launch_pointer_array(void** out, char* base, int64_t stride_bytes,
                                 int64_t count, cudaStream_t stream) {
  if (count <= 0) return cudaSuccess;
  launch(pointer_array_kernel, blocks_of(count), kThreads, stream, out, base,
         stride_bytes, count);
  return cudaGetLastError();
}

cudaError_t launch_cholesky_finish(Scalar t, int64_t batch, int64_t n, void* a,
                                   const int* info, bool lower,
                                   cudaStream_t stream) {
  if (batch * n == 0) return cudaSuccess;
  return dispatch_floating(t, [&]<typename T>() {
    launch(cholesky_finish_kernel<T>, blocks_of(batch * n * n), kThreads,
           stream, batch, n, static_cast<T*>(a), info, lower);
    return cudaGetLastError();
  });
}

cudaError_t launch_lu_pivots(Scalar t, int64_t batch, int64_t n,
                             const int* ipiv, void* out, int64_t stride,
                             cudaStream_t stream) {
  if (batch * n == 0) return cudaSuccess;
  return dispatch_floating(t, [&]<typename T>() {
    launch(lu_pivots_kernel<T>, blocks_of(batch), kThreads, stream, batch, n,
           ipiv, static_cast<T*>(out), stride);
    return cudaGetLastError();
  });
}

cudaError_t launch_zero_below_diagonal(Scalar t, int64_t batch, int64_t rows,
                                       int64_t cols, void* a, int64_t stride,
                                       cudaStream_t stream) {
  if (batch * rows * cols == 0) return cudaSuccess;
  return dispatch_floating(t, [&]<typename T>() {
    launch(zero_below_kernel<T>, blocks_of(batch * rows * cols), kThreads,
           stream, batch, rows, cols, static_cast<T*>(a), stride);
    return cudaGetLastError();
  });
}

cudaError_t launch_householder_q(Scalar t, int64_t batch, int64_t m, int64_t n,
                                 int64_t k, int64_t qc, const void* a,
                                 const void* tau, void* q,
                                 cudaStream_t stream) {
  if (batch * m * qc == 0) return cudaSuccess;
  return dispatch_floating(t, [&]<typename T>() {
    launch(householder_q_kernel<T>, blocks_of(batch * qc), kThreads, stream,
           batch, m, n, k, qc, static_cast<const T*>(a),
           static_cast<const T*>(tau), static_cast<T*>(q));
    return cudaGetLastError();
  });
}

cudaError_t launch_nan_where_failed(Scalar t, int64_t batch, int64_t count,
                                    void* out, int64_t stride, const int* info,
                                    cudaStream_t stream) {
  if (batch * count == 0) return cudaSuccess;
  return dispatch_floating(t, [&]<typename T>() {
    launch(nan_where_failed_kernel<T>, blocks_of(batch * count), kThreads,
           stream, batch, count, static_cast<T*>(out), stride, info);
    return cudaGetLastError();
  });
}

cudaError_t launch_identity(Scalar t, int64_t batch, int64_t n, void* out,
                            int64_t stride, cudaStream_t stream) {
  if (batch * n == 0) return cudaSuccess;
  return dispatch_floating(t, [&]<typename T>() {
    launch(identity_kernel<T>, blocks_of(batch * n * n), kThreads, stream,
           batch, n, static_cast<T*>(out), stride);
    return cudaGetLastError();
  });
}

}  // namespace fnx::cuda
