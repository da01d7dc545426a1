// What the CUDA linear-algebra kernels (linalg.cc, linalg_spectral.cc)
// share: the matrices of a call as one flat batch, work buffers in
// cuSOLVER's column-major layout, and copies between layouts. A row-major
// matrix read as column-major is its transpose; the kernels use that to
// avoid copies where the transpose is as good (symmetric inputs, or a
// problem solved for A^T).
#pragma once

#include <climits>
#include <cstdint>
#include <string_view>

#include "backends/cuda/tensors.h"
#include "core/error.h"

namespace fnx::cuda {

// Matrices of a small order go to the batched routines when there are
// several (many tiny calls cost more than one batched call); larger ones to
// a call per matrix.
inline constexpr int64_t kBatchedMaxOrder = 32;

inline int as_int(int64_t v, std::string_view op) {
  FNX_CHECK(v <= INT_MAX, op, "size ", v, " is too large for cuSOLVER/cuBLAS (",
            "at most ", INT_MAX, ")");
  return static_cast<int>(v);
}

// (..., m, n): the batch count and the matrix sizes.
struct Matrices {
  int64_t batch, m, n;
};
inline Matrices matrices_of(const Tensor& a) {
  const int64_t m = a.shape()[a.dim() - 2], n = a.shape()[a.dim() - 1];
  return {numel(Shape(a.shape().begin(), a.shape().end() - 2)), m, n};
}

// A fresh buffer of a's shape holding a's matrices row-major, or (with
// col_major) column-major: each matrix stored as its (n, m) transpose.
Tensor work_copy(const Context& ctx, const Tensor& a, DType dtype,
                 bool col_major);

// One strided copy of `batch` rows x cols matrices: element (b, i, j) of
// dst at dst + b * db + i * dr + j * dc (elements), of src likewise.
void copy_matrices(const Context& ctx, DType dtype, int64_t batch, int64_t rows,
                   int64_t cols, char* dst, int64_t db, int64_t dr, int64_t dc,
                   const char* src, int64_t sb, int64_t sr, int64_t sc);

// Element e of a float/double buffer.
inline char* at(const Tensor& t, int64_t e) {
  return dptr(t) + e * static_cast<int64_t>(itemsize(t.dtype()));
}

// A device array of `count` pointers base + i * stride (elements of t's
// dtype), for the batched routines.
Tensor pointer_array(const Context& ctx, const Tensor& t, int64_t stride,
                     int64_t count);

}  // namespace fnx::cuda
