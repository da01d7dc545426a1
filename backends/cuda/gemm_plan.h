// How a row-major matmul maps onto one cuBLAS call (column-major, strided
// batched): pure host arithmetic on shapes and strides, kept apart from
// the cuBLAS call so that it is tested on every machine
// (tests/cuda/gemm_plan_test.cc runs the plan through a host model of
// cuBLAS's semantics).
#pragma once

#include <cstdint>

#include "core/shape.h"

namespace fnx::cuda {

// How one operand, viewed with its batch dims broadcast to the result's,
// can be read in place: its matrices row-major (element (i, j) at i * ld +
// j) or transposed (at j * ld + i), and one stride between consecutive
// matrices of the flattened batch (0: all the same matrix). `ok` is false
// when it cannot (the caller copies it to a contiguous tensor first).
struct OperandLayout {
  bool ok = false;
  bool trans = false;
  int64_t ld = 1;
  int64_t batch_stride = 0;
};
// shape/strides: the broadcast view (rank >= 2, elements).
OperandLayout operand_layout(const Shape& shape, const Strides& strides);

// Row-major C (batch, m, n) = A (batch, m, k) B (batch, k, n) as the
// column-major C^T = B^T A^T of cuBLAS: its A is our b, its B our a. When
// b is shared by every batch and a's matrices are stacked row-major, the
// batch folds into one GEMM of batch * m rows.
struct GemmPlan {
  bool trans_a = false, trans_b = false;  // cuBLAS's op(A), op(B)
  int64_t m = 0, n = 0, k = 0;            // cuBLAS's sizes
  int64_t lda = 1, ldb = 1, ldc = 1;
  int64_t stride_a = 0, stride_b = 0, stride_c = 0;
  int64_t batch = 1;
  bool folded = false;
};
GemmPlan plan_gemm(const OperandLayout& a, const OperandLayout& b, int64_t m,
                   int64_t n, int64_t k, int64_t batch);

}  // namespace fnx::cuda
