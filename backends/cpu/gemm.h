// Row-major GEMM for every element type: C = alpha * op(A) * op(B) + beta * C,
// op(A) of shape (m, k), op(B) of shape (k, n). Float32/float64 go to
// OpenBLAS; integer types use a plain loop with wrapping arithmetic (bool:
// or of ands). Zero sizes are handled (k == 0 scales C by beta; beta == 0
// never reads C).
#pragma once

#include <cstdint>

namespace fnx::cpu {

template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha,
          const T* a, int64_t lda, const T* b, int64_t ldb, T beta, T* c,
          int64_t ldc);

}  // namespace fnx::cpu
