// The batched routines of Lu, Qr, Eigh and Svd for batches of small
// matrices (order <= kBatchedMaxOrder), where one call per matrix costs
// more in launches than the work: cuBLAS getrfBatched and geqrfBatched,
// cuSOLVER syevjBatched and gesvdjBatched (Jacobi: results agree with the
// per-matrix routines to rounding, vector signs may differ). Every matrix
// is column-major and contiguous, `batch` of them, in place where the
// routine works in place; the callers lay out the packed results.
#pragma once

#include <algorithm>
#include <cstdint>
#include <string_view>

#include "backends/cuda/linalg_common.h"

namespace fnx::cuda {

// Several matrices, each no larger than the batched routines handle well.
inline bool use_batched(int64_t batch, int64_t m, int64_t n) {
  return batch > 1 && std::max(m, n) <= kBatchedMaxOrder;
}

// P A = L U of the n x n matrices in a; ipiv (batch, n) and info (batch)
// int32 device arrays as getrf writes them.
void getrf_batched(const Context& ctx, std::string_view op, DType dtype,
                   int64_t batch, int64_t n, const Tensor& a, int* ipiv,
                   int* info);
// geqrf of the m x n matrices in a (R and the reflectors), tau (batch, k),
// then Q's first qc columns into q (batch, qc, m) by launch_householder_q
// (cuBLAS has no orgqrBatched).
void qr_batched(const Context& ctx, std::string_view op, DType dtype,
                int64_t batch, int64_t m, int64_t n, int64_t qc,
                const Tensor& a, const Tensor& tau, const Tensor& q);
// Eigenvalues ascending into w (batch, n), eigenvectors (columns) over the
// n x n matrices in a, from the triangle `uplo`; info (batch) int32.
void syevj_batched(const Context& ctx, std::string_view op, DType dtype,
                   int64_t batch, int64_t n, cublasFillMode_t uplo,
                   const Tensor& a, const Tensor& w, int* info);
// A = U diag(S) V^T of the m x n matrices in a (destroyed): s (batch, k)
// descending, u (batch, m, m) and v (batch, n, n) complete, column-major;
// info (batch) int32.
void gesvdj_batched(const Context& ctx, std::string_view op, DType dtype,
                    int64_t batch, int64_t m, int64_t n, const Tensor& a,
                    const Tensor& s, const Tensor& u, const Tensor& v,
                    int* info);

}  // namespace fnx::cuda
