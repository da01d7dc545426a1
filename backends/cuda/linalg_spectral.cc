// Qr, Eigh and Svd on CUDA: cuSOLVER geqrf + orgqr, syevd and gesvd, a
// call per matrix, with the row-major <-> column-major copies around them;
// the packed results follow the CPU kernels' contract (core/primitive.h,
// LinalgAttrs).
#include <algorithm>

#include "backends/cuda/linalg_common.h"
#include "core/error.h"
#include "core/registry.h"

namespace fnx::cuda {
namespace {

// Float and double overloads, so one template body calls either.

cusolverStatus_t geqrf_size(cusolverDnHandle_t h, int m, int n, float* a,
                            int* lw) {
  return cusolverDnSgeqrf_bufferSize(h, m, n, a, m, lw);
}
cusolverStatus_t geqrf_size(cusolverDnHandle_t h, int m, int n, double* a,
                            int* lw) {
  return cusolverDnDgeqrf_bufferSize(h, m, n, a, m, lw);
}
cusolverStatus_t geqrf(cusolverDnHandle_t h, int m, int n, float* a, float* tau,
                       float* w, int lw, int* info) {
  return cusolverDnSgeqrf(h, m, n, a, m, tau, w, lw, info);
}
cusolverStatus_t geqrf(cusolverDnHandle_t h, int m, int n, double* a,
                       double* tau, double* w, int lw, int* info) {
  return cusolverDnDgeqrf(h, m, n, a, m, tau, w, lw, info);
}
cusolverStatus_t orgqr_size(cusolverDnHandle_t h, int m, int n, int k,
                            const float* a, const float* tau, int* lw) {
  return cusolverDnSorgqr_bufferSize(h, m, n, k, a, m, tau, lw);
}
cusolverStatus_t orgqr_size(cusolverDnHandle_t h, int m, int n, int k,
                            const double* a, const double* tau, int* lw) {
  return cusolverDnDorgqr_bufferSize(h, m, n, k, a, m, tau, lw);
}
cusolverStatus_t orgqr(cusolverDnHandle_t h, int m, int n, int k, float* a,
                       const float* tau, float* w, int lw, int* info) {
  return cusolverDnSorgqr(h, m, n, k, a, m, tau, w, lw, info);
}
cusolverStatus_t orgqr(cusolverDnHandle_t h, int m, int n, int k, double* a,
                       const double* tau, double* w, int lw, int* info) {
  return cusolverDnDorgqr(h, m, n, k, a, m, tau, w, lw, info);
}
cusolverStatus_t syevd_size(cusolverDnHandle_t h, cublasFillMode_t uplo, int n,
                            const float* a, const float* w, int* lw) {
  return cusolverDnSsyevd_bufferSize(h, CUSOLVER_EIG_MODE_VECTOR, uplo, n, a, n,
                                     w, lw);
}
cusolverStatus_t syevd_size(cusolverDnHandle_t h, cublasFillMode_t uplo, int n,
                            const double* a, const double* w, int* lw) {
  return cusolverDnDsyevd_bufferSize(h, CUSOLVER_EIG_MODE_VECTOR, uplo, n, a, n,
                                     w, lw);
}
cusolverStatus_t syevd(cusolverDnHandle_t h, cublasFillMode_t uplo, int n,
                       float* a, float* w, float* work, int lw, int* info) {
  return cusolverDnSsyevd(h, CUSOLVER_EIG_MODE_VECTOR, uplo, n, a, n, w, work,
                          lw, info);
}
cusolverStatus_t syevd(cusolverDnHandle_t h, cublasFillMode_t uplo, int n,
                       double* a, double* w, double* work, int lw, int* info) {
  return cusolverDnDsyevd(h, CUSOLVER_EIG_MODE_VECTOR, uplo, n, a, n, w, work,
                          lw, info);
}
cusolverStatus_t gesvd_size(cusolverDnHandle_t h, int m, int n, float*,
                            int* lw) {
  return cusolverDnSgesvd_bufferSize(h, m, n, lw);
}
cusolverStatus_t gesvd_size(cusolverDnHandle_t h, int m, int n, double*,
                            int* lw) {
  return cusolverDnDgesvd_bufferSize(h, m, n, lw);
}
// Column-major m x n (m >= n), lda = m, ldu = m, ldvt = n.
cusolverStatus_t gesvd(cusolverDnHandle_t h, signed char jobu, int m, int n,
                       float* a, float* s, float* u, float* vt, float* w,
                       int lw, float* rwork, int* info) {
  return cusolverDnSgesvd(h, jobu, 'A', m, n, a, m, s, u, m, vt, n, w, lw,
                          rwork, info);
}
cusolverStatus_t gesvd(cusolverDnHandle_t h, signed char jobu, int m, int n,
                       double* a, double* s, double* u, double* vt, double* w,
                       int lw, double* rwork, int* info) {
  return cusolverDnDgesvd(h, jobu, 'A', m, n, a, m, s, u, m, vt, n, w, lw,
                          rwork, info);
}

template <typename T>
T* ptr(const Tensor& t, int64_t e = 0) {
  return reinterpret_cast<T*>(at(t, e));
}

// Parts Q (m, qc) and R (rr, n): qc = rr = k reduced, m complete. geqrf of
// A column-major, R from its upper triangle, Q from orgqr over the
// reflectors (padded to m columns for a complete Q).
Tensor qr_kernel(const OpCall& call, const OutMeta& out) {
  const Context& ctx = context_of(out);
  const bool full = call.attr<LinalgAttrs>().full_matrices;
  const Matrices d = matrices_of(call.inputs[0]);
  const int64_t m = d.m, n = d.n, k = std::min(m, n);
  const int64_t qc = full ? m : k, total = m * qc + qc * n;
  Tensor result = make_result(out);
  if (d.batch * total == 0) return result;
  const Tensor work = work_copy(ctx, call.inputs[0], out.dtype, true);
  const Tensor tau =
      empty({d.batch, std::max<int64_t>(k, 1)}, out.dtype, out.device);
  const Tensor info = empty({d.batch}, DType::Int32, out.device);
  Tensor q = empty({d.batch, qc, m}, out.dtype, out.device);  // column-major
  fill(ctx, dptr(q), out.dtype, numel(q.shape()), 0);
  const int mi = as_int(m, call.name()), ni = as_int(n, call.name());
  const int ki = as_int(k, call.name()), qi = as_int(qc, call.name());
  FNX_DISPATCH_FLOATING_TYPES(out.dtype, [&] {
    using T = scalar_t;
    const auto solver = ctx.cusolver();
    int* infos = ptr<int>(info);
    if (k > 0) {
      int lw = 0;
      FNX_CUDA_CHECK(geqrf_size(solver.handle, mi, ni, ptr<T>(work), &lw));
      const Tensor scratch = empty({std::max(lw, 1)}, out.dtype, out.device);
      for (int64_t b = 0; b < d.batch; ++b) {
        FNX_CUDA_CHECK(geqrf(solver.handle, mi, ni, ptr<T>(work, b * m * n),
                             ptr<T>(tau, b * k), ptr<T>(scratch), lw,
                             infos + b));
      }
    }
    // The reflectors: the first k columns (column-major, ld m).
    copy_matrices(ctx, out.dtype, d.batch, m, k, dptr(q), m * qc, 1, m,
                  dptr(work), m * n, 1, m);
    int lw = 0;
    FNX_CUDA_CHECK(
        orgqr_size(solver.handle, mi, qi, ki, ptr<T>(q), ptr<T>(tau), &lw));
    const Tensor scratch = empty({std::max(lw, 1)}, out.dtype, out.device);
    for (int64_t b = 0; b < d.batch; ++b) {
      FNX_CUDA_CHECK(orgqr(solver.handle, mi, qi, ki, ptr<T>(q, b * m * qc),
                           ptr<T>(tau, b * k), ptr<T>(scratch), lw, infos + b));
    }
  });
  copy_matrices(ctx, out.dtype, d.batch, m, qc, dptr(result), total, qc, 1,
                dptr(q), m * qc, 1, m);
  // R: the first qc rows of the factored A (reflectors below the diagonal
  // zeroed; with m > n the rows from n on are all below it).
  char* r = at(result, m * qc);
  copy_matrices(ctx, out.dtype, d.batch, qc, n, r, total, n, 1, dptr(work),
                m * n, 1, m);
  launched(launch_zero_below_diagonal(scalar_of(out.dtype), d.batch, qc, n, r,
                                      total, ctx.stream),
           "qr zero triangle kernel");
  return result;
}

// Parts eigenvalues (n) and eigenvectors (n, n) as columns. A row-major
// symmetric matrix read column-major is itself with the triangles
// swapped; syevd writes W straight into the result and V column-major.
Tensor eigh_kernel(const OpCall& call, const OutMeta& out) {
  const Context& ctx = context_of(out);
  const bool upper = call.attr<LinalgAttrs>().upper;
  const Matrices d = matrices_of(call.inputs[0]);
  const int64_t n = d.n, total = n + n * n;
  Tensor result = make_result(out);
  if (d.batch * n == 0) return result;
  const Tensor work = work_copy(ctx, call.inputs[0], out.dtype, false);
  const Tensor info = empty({d.batch}, DType::Int32, out.device);
  const cublasFillMode_t uplo =
      upper ? CUBLAS_FILL_MODE_LOWER : CUBLAS_FILL_MODE_UPPER;
  const int ni = as_int(n, call.name());
  FNX_DISPATCH_FLOATING_TYPES(out.dtype, [&] {
    using T = scalar_t;
    const auto solver = ctx.cusolver();
    int lw = 0;
    FNX_CUDA_CHECK(
        syevd_size(solver.handle, uplo, ni, ptr<T>(work), ptr<T>(result), &lw));
    const Tensor scratch = empty({std::max(lw, 1)}, out.dtype, out.device);
    for (int64_t b = 0; b < d.batch; ++b) {
      FNX_CUDA_CHECK(syevd(solver.handle, uplo, ni, ptr<T>(work, b * n * n),
                           ptr<T>(result, b * total), ptr<T>(scratch), lw,
                           ptr<int>(info, b)));
    }
  });
  copy_matrices(ctx, out.dtype, d.batch, n, n, at(result, n), total, n, 1,
                dptr(work), n * n, 1, n);
  return result;
}

// Parts U (m, uc), S (k), Vh (vr, n). gesvd takes m >= n only: a tall A is
// factored column-major (U and VT come back transposed); a wide one as
// A^T, which is its row-major buffer as it is (A^T = U' S VT' gives
// U = VT'^T and Vh = U'^T: plain row-major reads of those buffers).
Tensor svd_kernel(const OpCall& call, const OutMeta& out) {
  const Context& ctx = context_of(out);
  const bool full = call.attr<LinalgAttrs>().full_matrices;
  const Matrices d = matrices_of(call.inputs[0]);
  const int64_t m = d.m, n = d.n, k = std::min(m, n);
  const int64_t uc = full ? m : k, vr = full ? n : k;
  const int64_t total = m * uc + k + vr * n;
  Tensor result = make_result(out);
  if (d.batch * total == 0) return result;
  FNX_CHECK(k > 0, call.name(),
            "the CUDA kernel needs a non-empty matrix for "
            "complete U or Vh, got ",
            m, "x", n);
  const bool tall = m >= n;
  const int64_t rows = tall ? m : n, cols = tall ? n : m;  // gesvd's problem
  const int64_t ucols = full ? rows : cols;                // U' columns
  const Tensor work = work_copy(ctx, call.inputs[0], out.dtype, tall);
  const Tensor u = empty({d.batch, ucols, rows}, out.dtype, out.device);
  const Tensor vt = empty({d.batch, cols, cols}, out.dtype, out.device);
  const Tensor rwork = empty({cols}, out.dtype, out.device);
  const Tensor info = empty({d.batch}, DType::Int32, out.device);
  const int ri = as_int(rows, call.name()), ci = as_int(cols, call.name());
  const signed char jobu = full ? 'A' : 'S';
  FNX_DISPATCH_FLOATING_TYPES(out.dtype, [&] {
    using T = scalar_t;
    const auto solver = ctx.cusolver();
    int lw = 0;
    FNX_CUDA_CHECK(gesvd_size(solver.handle, ri, ci, ptr<T>(work), &lw));
    const Tensor scratch = empty({std::max(lw, 1)}, out.dtype, out.device);
    for (int64_t b = 0; b < d.batch; ++b) {
      FNX_CUDA_CHECK(
          gesvd(solver.handle, jobu, ri, ci, ptr<T>(work, b * rows * cols),
                ptr<T>(result, b * total + m * uc), ptr<T>(u, b * rows * ucols),
                ptr<T>(vt, b * cols * cols), ptr<T>(scratch), lw, ptr<T>(rwork),
                ptr<int>(info, b)));
    }
  });
  char* vh = at(result, m * uc + k);
  if (tall) {  // U (m, uc) = U' column-major; Vh (n, n) = VT' column-major
    copy_matrices(ctx, out.dtype, d.batch, m, uc, dptr(result), total, uc, 1,
                  dptr(u), rows * ucols, 1, rows);
    copy_matrices(ctx, out.dtype, d.batch, vr, n, vh, total, n, 1, dptr(vt),
                  cols * cols, 1, cols);
  } else {  // U (m, m) = VT'^T; Vh (vr, n) = U'^T
    copy_matrices(ctx, out.dtype, d.batch, m, uc, dptr(result), total, uc, 1,
                  dptr(vt), cols * cols, cols, 1);
    copy_matrices(ctx, out.dtype, d.batch, vr, n, vh, total, n, 1, dptr(u),
                  rows * ucols, rows, 1);
  }
  return result;
}

}  // namespace

FNX_REGISTER_PLUGIN("cuda") {
  r.kernel(DeviceType::CUDA, Prim::Qr, &qr_kernel);
  r.kernel(DeviceType::CUDA, Prim::Eigh, &eigh_kernel);
  r.kernel(DeviceType::CUDA, Prim::Svd, &svd_kernel);
}

}  // namespace fnx::cuda
