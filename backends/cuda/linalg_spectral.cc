// Qr, Eigh and Svd on CUDA: cuSOLVER geqrf + orgqr, syevd and gesvd, a
// call per matrix, or for batches of small matrices the batched routines
// (linalg_batched.h), with the row-major <-> column-major copies around
// them; the packed results follow the CPU kernels' contract
// (core/primitive.h, LinalgAttrs), NaN where a solver did not converge.
#include <algorithm>
#include <string_view>

#include "backends/cuda/linalg_batched.h"
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

// geqrf + orgqr a matrix at a time: R and the reflectors over work
// (column-major m x n), Q's first qc columns into q (batch, qc, m).
void qr_per_matrix(const Context& ctx, std::string_view op, DType dtype,
                   int64_t batch, int64_t m, int64_t n, int64_t qc,
                   const Tensor& work, const Tensor& tau, const Tensor& q) {
  const int64_t k = std::min(m, n);
  const Tensor info = empty({batch}, DType::Int32, work.device());
  int* infos = ptr<int>(info);
  const int mi = as_int(m, op), ni = as_int(n, op);
  const int ki = as_int(k, op), qi = as_int(qc, op);
  FNX_DISPATCH_FLOATING_TYPES(dtype, [&] {
    using T = scalar_t;
    const auto solver = ctx.cusolver();
    if (k > 0) {
      int lw = 0;
      FNX_CUDA_CHECK(geqrf_size(solver.handle, mi, ni, ptr<T>(work), &lw));
      const Tensor scratch = empty({std::max(lw, 1)}, dtype, work.device());
      for (int64_t b = 0; b < batch; ++b) {
        FNX_CUDA_CHECK(geqrf(solver.handle, mi, ni, ptr<T>(work, b * m * n),
                             ptr<T>(tau, b * k), ptr<T>(scratch), lw,
                             infos + b));
      }
    }
    // The reflectors: the first k columns (column-major, ld m).
    copy_matrices(ctx, dtype, batch, m, k, dptr(q), m * qc, 1, m, dptr(work),
                  m * n, 1, m);
    int lw = 0;
    FNX_CUDA_CHECK(
        orgqr_size(solver.handle, mi, qi, ki, ptr<T>(q), ptr<T>(tau), &lw));
    const Tensor scratch = empty({std::max(lw, 1)}, dtype, work.device());
    for (int64_t b = 0; b < batch; ++b) {
      FNX_CUDA_CHECK(orgqr(solver.handle, mi, qi, ki, ptr<T>(q, b * m * qc),
                           ptr<T>(tau, b * k), ptr<T>(scratch), lw, infos + b));
    }
  });
}

// Parts Q (m, qc) and R (rr, n): qc = rr = k reduced, m complete. geqrf of
// A column-major, R from its upper triangle, Q from orgqr over the
// reflectors (padded to m columns for a complete Q); batches of small
// matrices by geqrfBatched and linalg.cu's reflector kernel.
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
  Tensor q = empty({d.batch, qc, m}, out.dtype, out.device);  // column-major
  fill(ctx, dptr(q), out.dtype, numel(q.shape()), 0);
  if (k > 0 && use_batched(d.batch, m, n)) {
    qr_batched(ctx, call.name(), out.dtype, d.batch, m, n, qc, work, tau, q);
  } else {
    qr_per_matrix(ctx, call.name(), out.dtype, d.batch, m, n, qc, work, tau, q);
  }
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
// swapped; syevd writes W straight into the result, syevjBatched into a
// buffer, both V column-major over the work copy.
Tensor eigh_kernel(const OpCall& call, const OutMeta& out) {
  const Context& ctx = context_of(out);
  const bool upper = call.attr<LinalgAttrs>().upper;
  const Matrices d = matrices_of(call.inputs[0]);
  const int64_t n = d.n, total = n + n * n;
  Tensor result = make_result(out);
  if (d.batch * n == 0) return result;
  const Tensor work = work_copy(ctx, call.inputs[0], out.dtype, false);
  const Tensor info = empty({d.batch}, DType::Int32, out.device);
  int* infos = ptr<int>(info);
  const cublasFillMode_t uplo =
      upper ? CUBLAS_FILL_MODE_LOWER : CUBLAS_FILL_MODE_UPPER;
  const int ni = as_int(n, call.name());
  if (use_batched(d.batch, n, n)) {
    const Tensor w = empty({d.batch, n}, out.dtype, out.device);
    syevj_batched(ctx, call.name(), out.dtype, d.batch, n, uplo, work, w,
                  infos);
    copy_matrices(ctx, out.dtype, d.batch, 1, n, dptr(result), total, n, 1,
                  dptr(w), n, n, 1);
  } else {
    FNX_DISPATCH_FLOATING_TYPES(out.dtype, [&] {
      using T = scalar_t;
      const auto solver = ctx.cusolver();
      int lw = 0;
      FNX_CUDA_CHECK(syevd_size(solver.handle, uplo, ni, ptr<T>(work),
                                ptr<T>(result), &lw));
      const Tensor scratch = empty({std::max(lw, 1)}, out.dtype, out.device);
      for (int64_t b = 0; b < d.batch; ++b) {
        FNX_CUDA_CHECK(syevd(solver.handle, uplo, ni, ptr<T>(work, b * n * n),
                             ptr<T>(result, b * total), ptr<T>(scratch), lw,
                             infos + b));
      }
    });
  }
  copy_matrices(ctx, out.dtype, d.batch, n, n, at(result, n), total, n, 1,
                dptr(work), n * n, 1, n);
  launched(launch_nan_where_failed(scalar_of(out.dtype), d.batch, total,
                                   dptr(result), total, infos, ctx.stream),
           "eigh failure kernel");
  return result;
}

// gesvd a matrix at a time into the packed result. gesvd takes m >= n
// only: a tall A is factored column-major (U and VT come back transposed);
// a wide one as A^T, which is its row-major buffer as it is (A^T = U' S VT'
// gives U = VT'^T and Vh = U'^T: plain row-major reads of those buffers).
void svd_per_matrix(const Context& ctx, const OpCall& call, DType dtype,
                    const Tensor& result, int* infos) {
  const bool full = call.attr<LinalgAttrs>().full_matrices;
  const Matrices d = matrices_of(call.inputs[0]);
  const int64_t m = d.m, n = d.n, k = std::min(m, n);
  const int64_t uc = full ? m : k, vr = full ? n : k;
  const int64_t total = m * uc + k + vr * n;
  const bool tall = m >= n;
  const int64_t rows = tall ? m : n, cols = tall ? n : m;  // gesvd's problem
  const int64_t ucols = full ? rows : cols;                // U' columns
  const Device device = result.device();
  const Tensor work = work_copy(ctx, call.inputs[0], dtype, tall);
  const Tensor u = empty({d.batch, ucols, rows}, dtype, device);
  const Tensor vt = empty({d.batch, cols, cols}, dtype, device);
  const Tensor rwork = empty({cols}, dtype, device);
  const int ri = as_int(rows, call.name()), ci = as_int(cols, call.name());
  const signed char jobu = full ? 'A' : 'S';
  FNX_DISPATCH_FLOATING_TYPES(dtype, [&] {
    using T = scalar_t;
    const auto solver = ctx.cusolver();
    int lw = 0;
    FNX_CUDA_CHECK(gesvd_size(solver.handle, ri, ci, ptr<T>(work), &lw));
    const Tensor scratch = empty({std::max(lw, 1)}, dtype, device);
    for (int64_t b = 0; b < d.batch; ++b) {
      FNX_CUDA_CHECK(
          gesvd(solver.handle, jobu, ri, ci, ptr<T>(work, b * rows * cols),
                ptr<T>(result, b * total + m * uc), ptr<T>(u, b * rows * ucols),
                ptr<T>(vt, b * cols * cols), ptr<T>(scratch), lw, ptr<T>(rwork),
                infos + b));
    }
  });
  char* vh = at(result, m * uc + k);
  if (tall) {  // U (m, uc) = U' column-major; Vh (n, n) = VT' column-major
    copy_matrices(ctx, dtype, d.batch, m, uc, dptr(result), total, uc, 1,
                  dptr(u), rows * ucols, 1, rows);
    copy_matrices(ctx, dtype, d.batch, vr, n, vh, total, n, 1, dptr(vt),
                  cols * cols, 1, cols);
  } else {  // U (m, m) = VT'^T; Vh (vr, n) = U'^T
    copy_matrices(ctx, dtype, d.batch, m, uc, dptr(result), total, uc, 1,
                  dptr(vt), cols * cols, cols, 1);
    copy_matrices(ctx, dtype, d.batch, vr, n, vh, total, n, 1, dptr(u),
                  rows * ucols, rows, 1);
  }
}

// gesvdjBatched over column-major A, any shape: complete U (m, m) and V
// (n, n) column-major, of which the parts take U's first uc columns and
// V's first vr columns as Vh's rows.
void svd_batched(const Context& ctx, const OpCall& call, DType dtype,
                 const Tensor& result, int* infos) {
  const bool full = call.attr<LinalgAttrs>().full_matrices;
  const Matrices d = matrices_of(call.inputs[0]);
  const int64_t m = d.m, n = d.n, k = std::min(m, n);
  const int64_t uc = full ? m : k, vr = full ? n : k;
  const int64_t total = m * uc + k + vr * n;
  const Device device = result.device();
  const Tensor work = work_copy(ctx, call.inputs[0], dtype, true);
  const Tensor s = empty({d.batch, k}, dtype, device);
  const Tensor u = empty({d.batch, m, m}, dtype, device);
  const Tensor v = empty({d.batch, n, n}, dtype, device);
  gesvdj_batched(ctx, call.name(), dtype, d.batch, m, n, work, s, u, v, infos);
  copy_matrices(ctx, dtype, d.batch, m, uc, dptr(result), total, uc, 1, dptr(u),
                m * m, 1, m);
  copy_matrices(ctx, dtype, d.batch, 1, k, at(result, m * uc), total, k, 1,
                dptr(s), k, k, 1);
  copy_matrices(ctx, dtype, d.batch, vr, n, at(result, m * uc + k), total, n, 1,
                dptr(v), n * n, n, 1);
}

// Parts U (m, uc), S (k), Vh (vr, n), uc = vr = k reduced, U (m, m) and
// Vh (n, n) with full_matrices; an empty A (k = 0) has identities there.
Tensor svd_kernel(const OpCall& call, const OutMeta& out) {
  const Context& ctx = context_of(out);
  const bool full = call.attr<LinalgAttrs>().full_matrices;
  const Matrices d = matrices_of(call.inputs[0]);
  const int64_t m = d.m, n = d.n, k = std::min(m, n);
  const int64_t uc = full ? m : k, vr = full ? n : k;
  const int64_t total = m * uc + k + vr * n;
  Tensor result = make_result(out);
  if (d.batch * total == 0) return result;
  const Scalar t = scalar_of(out.dtype);
  if (k == 0) {  // nothing to factor, as the CPU kernel: U = I_m, Vh = I_n
    launched(launch_identity(t, d.batch, m, dptr(result), total, ctx.stream),
             "svd identity kernel");
    launched(
        launch_identity(t, d.batch, n, at(result, m * uc), total, ctx.stream),
        "svd identity kernel");
    return result;
  }
  const Tensor info = empty({d.batch}, DType::Int32, out.device);
  int* infos = ptr<int>(info);
  if (use_batched(d.batch, m, n)) {
    svd_batched(ctx, call, out.dtype, result, infos);
  } else {
    svd_per_matrix(ctx, call, out.dtype, result, infos);
  }
  launched(launch_nan_where_failed(t, d.batch, total, dptr(result), total,
                                   infos, ctx.stream),
           "svd failure kernel");
  return result;
}

}  // namespace

FNX_REGISTER_PLUGIN("cuda") {
  r.kernel(DeviceType::CUDA, Prim::Qr, &qr_kernel);
  r.kernel(DeviceType::CUDA, Prim::Eigh, &eigh_kernel);
  r.kernel(DeviceType::CUDA, Prim::Svd, &svd_kernel);
}

}  // namespace fnx::cuda
