// cuda_sim's cuBLAS: handles and the GEMMs, column-major as cuBLAS defines
// them. Arguments are checked at call time as cuBLAS checks them, plus the
// operands' extents against the device allocations (a GPU would fault);
// the product itself is stream work, run in order with everything else on
// the handle's stream.
#include <cublas_v2.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "backends/cuda/sim/tf32.h"
#include "cuda_sim/stream.h"

struct cublasContext {
  cudaStream_t stream = nullptr;  // the legacy default stream until set
  cublasMath_t math = CUBLAS_DEFAULT_MATH;
};

namespace {

// One operand as stored: `count` column-major rows x cols matrices with
// leading dimension ld, each `stride` elements after the previous one.
struct Stored {
  int64_t rows = 0, cols = 0, ld = 1, stride = 0;
};

// Whether every element the matrices hold lies in one device allocation
// (the last element touched + 1, over all batches; strides may be
// negative).
bool on_device(const void* base, std::size_t item, const Stored& s, int count) {
  const int64_t last = (count - 1) * s.stride;
  const int64_t lo = std::min<int64_t>(0, last);
  const int64_t hi = std::max<int64_t>(0, last) + (s.cols - 1) * s.ld + s.rows;
  const auto start = reinterpret_cast<uintptr_t>(base) + lo * item;
  return cuda_sim::is_device_range(reinterpret_cast<const void*>(start),
                                   static_cast<std::size_t>(hi - lo) * item);
}

// The work one GEMM call enqueues: plain values only, as it runs later.
template <typename T>
struct Gemm {
  bool trans_a = false, trans_b = false, tf32 = false;
  int64_t m = 0, n = 0, k = 0;
  T alpha = 0, beta = 0;
  const T* a = nullptr;
  const T* b = nullptr;
  T* c = nullptr;
  Stored sa, sb, sc;
  int batch = 1;

  void run() const {
    // op(A) packed by rows and op(B) by columns (rounded to TF32 once,
    // when asked), so that each dot product below reads contiguous runs.
    std::vector<T> a_rows(m * k), b_cols(k * n);
    for (int64_t g = 0; g < batch; ++g) {
      const T* A = a + g * sa.stride;
      const T* B = b + g * sb.stride;
      T* C = c + g * sc.stride;
      // With alpha == 0, A and B are not read (as BLAS defines it).
      const bool reads_ab = alpha != T(0) && k > 0;
      if (reads_ab) {
        for (int64_t i = 0; i < m; ++i) {
          for (int64_t p = 0; p < k; ++p) {
            const T v = trans_a ? A[p + i * sa.ld] : A[i + p * sa.ld];
            a_rows[i * k + p] = cuda_sim::tensor_op_input(v, tf32);
          }
        }
        for (int64_t j = 0; j < n; ++j) {
          for (int64_t p = 0; p < k; ++p) {
            const T v = trans_b ? B[j + p * sb.ld] : B[p + j * sb.ld];
            b_cols[j * k + p] = cuda_sim::tensor_op_input(v, tf32);
          }
        }
      }
      for (int64_t i = 0; i < m; ++i) {
        for (int64_t j = 0; j < n; ++j) {
          T acc = 0;  // accumulated in T, as cuBLAS does
          if (reads_ab) {
            const T* row = &a_rows[i * k];
            const T* col = &b_cols[j * k];
            for (int64_t p = 0; p < k; ++p) acc += row[p] * col[p];
          }
          T& out = C[i + j * sc.ld];
          // beta == 0: C is not read, so garbage (NaN) in it does not leak.
          out = beta == T(0) ? alpha * acc : alpha * acc + beta * out;
        }
      }
    }
  }
};

bool valid_op(cublasOperation_t op) {
  return op == CUBLAS_OP_N || op == CUBLAS_OP_T || op == CUBLAS_OP_C;
}

// Checks a (strided batched) GEMM as cuBLAS does and enqueues it.
template <typename T>
cublasStatus_t gemm(const char* name, cublasHandle_t handle,
                    cublasOperation_t transa, cublasOperation_t transb, int m,
                    int n, int k, const T* alpha, const T* A, int lda,
                    long long stride_a, const T* B, int ldb, long long stride_b,
                    const T* beta, T* C, int ldc, long long stride_c,
                    int batch) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (!valid_op(transa) || !valid_op(transb) || m < 0 || n < 0 || k < 0 ||
      batch < 0) {
    return CUBLAS_STATUS_INVALID_VALUE;
  }
  Gemm<T> g;
  g.trans_a = transa != CUBLAS_OP_N;  // OP_C is OP_T for real types
  g.trans_b = transb != CUBLAS_OP_N;
  g.m = m;
  g.n = n;
  g.k = k;
  // A is stored m x k (OP_N) or k x m; B k x n or n x k.
  g.sa = {g.trans_a ? k : m, g.trans_a ? m : k, lda, stride_a};
  g.sb = {g.trans_b ? n : k, g.trans_b ? k : n, ldb, stride_b};
  g.sc = {m, n, ldc, stride_c};
  for (const Stored* s : {&g.sa, &g.sb, &g.sc}) {
    if (s->ld < std::max<int64_t>(1, s->rows)) {
      return CUBLAS_STATUS_INVALID_VALUE;
    }
  }
  if (m == 0 || n == 0 || batch == 0) return CUBLAS_STATUS_SUCCESS;
  if (alpha == nullptr || beta == nullptr) {
    cuda_sim::report(std::string(name) + ": alpha or beta is null");
    return CUBLAS_STATUS_INVALID_VALUE;
  }
  // Pointer mode host: the values are read now, not when the work runs.
  g.alpha = *alpha;
  g.beta = *beta;
  g.a = A;
  g.b = B;
  g.c = C;
  g.batch = batch;
  g.tf32 = handle->math == CUBLAS_TF32_TENSOR_OP_MATH;
  struct Operand {
    const char* what;
    const void* base;
    const Stored& s;
  };
  for (const Operand& op :
       {Operand{"A", A, g.sa}, Operand{"B", B, g.sb}, Operand{"C", C, g.sc}}) {
    if (op.s.rows == 0 || op.s.cols == 0) continue;  // k == 0: not read
    if (!on_device(op.base, sizeof(T), op.s, batch)) {
      cuda_sim::report(std::string(name) + ": " + op.what +
                       " is not device memory, or its matrices extend past "
                       "the end of its allocation");
      return CUBLAS_STATUS_INVALID_VALUE;
    }
  }
  // Overlapping output matrices would race on a GPU.
  const int64_t c_extent = (g.sc.cols - 1) * g.sc.ld + g.sc.rows;
  if (batch > 1 && std::abs(g.sc.stride) < c_extent) {
    cuda_sim::report(
        std::string(name) + ": the matrices of C overlap (|strideC| " +
        std::to_string(stride_c) + " < " + std::to_string(c_extent) + ")");
    return CUBLAS_STATUS_INVALID_VALUE;
  }
  cuda_sim::enqueue(handle->stream, [g] {
    g.run();
    return cudaSuccess;
  });
  return CUBLAS_STATUS_SUCCESS;
}

}  // namespace

cublasStatus_t cublasCreate(cublasHandle_t* handle) {
  if (handle == nullptr) return CUBLAS_STATUS_INVALID_VALUE;
  *handle = new cublasContext;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasDestroy(cublasHandle_t handle) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  delete handle;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetStream(cublasHandle_t handle, cudaStream_t stream) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  handle->stream = stream;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetStream(cublasHandle_t handle, cudaStream_t* stream) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (stream == nullptr) return CUBLAS_STATUS_INVALID_VALUE;
  *stream = handle->stream;
  return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  switch (mode) {
    case CUBLAS_DEFAULT_MATH:
    case CUBLAS_TENSOR_OP_MATH:
    case CUBLAS_PEDANTIC_MATH:
    case CUBLAS_TF32_TENSOR_OP_MATH:
      handle->math = mode;
      return CUBLAS_STATUS_SUCCESS;
  }
  return CUBLAS_STATUS_INVALID_VALUE;
}

cublasStatus_t cublasGetMathMode(cublasHandle_t handle, cublasMath_t* mode) {
  if (handle == nullptr) return CUBLAS_STATUS_NOT_INITIALIZED;
  if (mode == nullptr) return CUBLAS_STATUS_INVALID_VALUE;
  *mode = handle->math;
  return CUBLAS_STATUS_SUCCESS;
}

const char* cublasGetStatusName(cublasStatus_t status) {
  switch (status) {
    case CUBLAS_STATUS_SUCCESS:
      return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED:
      return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED:
      return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE:
      return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH:
      return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR:
      return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED:
      return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR:
      return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED:
      return "CUBLAS_STATUS_NOT_SUPPORTED";
  }
  return "CUBLAS_STATUS_UNKNOWN";
}

const char* cublasGetStatusString(cublasStatus_t status) {
  switch (status) {
    case CUBLAS_STATUS_SUCCESS:
      return "success";
    case CUBLAS_STATUS_NOT_INITIALIZED:
      return "the library was not initialized";
    case CUBLAS_STATUS_ALLOC_FAILED:
      return "the resource allocation failed";
    case CUBLAS_STATUS_INVALID_VALUE:
      return "an invalid numeric value was used as an argument";
    case CUBLAS_STATUS_ARCH_MISMATCH:
      return "an absent device architectural feature is required";
    case CUBLAS_STATUS_MAPPING_ERROR:
      return "an access to GPU memory space failed";
    case CUBLAS_STATUS_EXECUTION_FAILED:
      return "the GPU program failed to execute";
    case CUBLAS_STATUS_INTERNAL_ERROR:
      return "an internal operation failed";
    case CUBLAS_STATUS_NOT_SUPPORTED:
      return "the functionality requested is not supported";
  }
  return "unknown error";
}

cublasStatus_t cublasSgemm(cublasHandle_t handle, cublasOperation_t transa,
                           cublasOperation_t transb, int m, int n, int k,
                           const float* alpha, const float* A, int lda,
                           const float* B, int ldb, const float* beta, float* C,
                           int ldc) {
  return gemm("cublasSgemm", handle, transa, transb, m, n, k, alpha, A, lda, 0,
              B, ldb, 0, beta, C, ldc, 0, 1);
}

cublasStatus_t cublasDgemm(cublasHandle_t handle, cublasOperation_t transa,
                           cublasOperation_t transb, int m, int n, int k,
                           const double* alpha, const double* A, int lda,
                           const double* B, int ldb, const double* beta,
                           double* C, int ldc) {
  return gemm("cublasDgemm", handle, transa, transb, m, n, k, alpha, A, lda, 0,
              B, ldb, 0, beta, C, ldc, 0, 1);
}

cublasStatus_t cublasSgemmStridedBatched(
    cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
    int m, int n, int k, const float* alpha, const float* A, int lda,
    long long int strideA, const float* B, int ldb, long long int strideB,
    const float* beta, float* C, int ldc, long long int strideC,
    int batchCount) {
  return gemm("cublasSgemmStridedBatched", handle, transa, transb, m, n, k,
              alpha, A, lda, strideA, B, ldb, strideB, beta, C, ldc, strideC,
              batchCount);
}

cublasStatus_t cublasDgemmStridedBatched(
    cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
    int m, int n, int k, const double* alpha, const double* A, int lda,
    long long int strideA, const double* B, int ldb, long long int strideB,
    const double* beta, double* C, int ldc, long long int strideC,
    int batchCount) {
  return gemm("cublasDgemmStridedBatched", handle, transa, transb, m, n, k,
              alpha, A, lda, strideA, B, ldb, strideB, beta, C, ldc, strideC,
              batchCount);
}
