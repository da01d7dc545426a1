// Qr (geqrf + orgqr), Eigh (syevd) and Svd (gesdd): one LAPACK call per
// matrix, in parallel over the batch, writing Lu/Qr/Eigh/Svd's packed parts
// (core/ops/linalg_parts.h). Workspace sizes are queried once per call.
// LAPACK is column-major; the row-major/column-major transposes are noted
// where they are used.
#include "backends/cpu/lapack.h"
#include "backends/cpu/linalg_common.h"
#include "core/registry.h"

namespace fnx::cpu {
namespace {

// An identity matrix, n x n, row-major.
template <typename T>
void write_identity(T* o, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j) o[i * n + j] = i == j ? T(1) : T(0);
  }
}

template <typename T>
void qr_lapack(const MatrixBatch& a, const T* pa, bool full, T* out) {
  const int64_t m = a.rows, n = a.cols, k = std::min(m, n);
  const int64_t qc = full ? m : k;  // Q (m, qc), R (qc, n)
  const int64_t total = m * qc + qc * n;
  if (k == 0) {  // nothing to factor: Q is I_m when complete, else empty
    for (int64_t i = 0; full && i < a.count; ++i) {
      write_identity(out + i * total, m);
    }
    return;
  }
  const int mi = lapack_int(m, "qr"), ni = lapack_int(n, "qr");
  const int ki = static_cast<int>(k), qci = static_cast<int>(qc);
  // Column-major m x max(n, qc): geqrf's input, then orgqr's Q.
  const int64_t cols = std::max(n, qc);
  T query = 0, dummy = 0;
  lapack::geqrf(mi, ni, &dummy, mi, &dummy, &query, -1);
  int64_t lwork = workspace_size(query);
  lapack::orgqr(mi, qci, ki, &dummy, mi, &dummy, &query, -1);
  lwork = std::max(lwork, workspace_size(query));
  const int lw = lapack_int(lwork, "qr");
  for_each_matrix<T>(a.count, m * cols + k + lwork, 0,
                     [&](int64_t i, T* w, int*) {
                       T* tau = w + m * cols;
                       T* work = tau + k;
                       copy_matrix(pa + a.offset(i), a.rs, a.cs, m, n, w, 1, m);
                       lapack::geqrf(mi, ni, w, mi, tau, work, lw);
                       T* q = out + i * total;
                       T* r = q + m * qc;
                       for (int64_t row = 0; row < qc; ++row) {
                         for (int64_t c = 0; c < n; ++c) {
                           r[row * n + c] = row <= c ? w[row + c * m] : T(0);
                         }
                       }
                       lapack::orgqr(mi, qci, ki, w, mi, tau, work, lw);
                       copy_matrix(w, 1, m, m, qc, q, qc, 1);
                     });
}

Tensor qr_kernel(const OpCall& call, const OutMeta& out) {
  const Tensor a = cast_to(call.inputs[0], out.dtype);
  Tensor result = make_result(out);
  const MatrixBatch mb(a);
  if (numel(out.shape) == 0) return result;
  FNX_DISPATCH_FLOATING_TYPES(out.dtype, [&] {
    using T = scalar_t;
    qr_lapack(mb, data_ptr<T>(a), call.attr<LinalgAttrs>().full_matrices,
              data_ptr<T>(result));
  });
  return result;
}

template <typename T>
void eigh_lapack(const MatrixBatch& a, const T* pa, bool upper, T* out) {
  const int64_t n = a.rows;
  const int ni = lapack_int(n, "eigh");
  // The row-major lower triangle is the column-major upper one.
  const char uplo = upper ? 'L' : 'U';
  T query = 0, dummy = 0;
  int iquery = 0;
  lapack::syevd(uplo, ni, &dummy, ni, &dummy, &query, -1, &iquery, -1);
  const int64_t lwork = workspace_size(query);
  const int64_t liwork = std::max(1, iquery);
  const int lw = lapack_int(lwork, "eigh"), liw = lapack_int(liwork, "eigh");
  for_each_matrix<T>(a.count, lwork, liwork, [&](int64_t i, T* w, int* iw) {
    T* values = out + i * (n + n * n);
    T* vectors = values + n;
    copy_matrix(pa + a.offset(i), a.rs, a.cs, n, n, vectors, n, 1);
    const int info =
        lapack::syevd(uplo, ni, vectors, ni, values, w, lw, iw, liw);
    if (info != 0) {  // no convergence
      fill_nan(values, n + n * n);
      return;
    }
    // LAPACK's eigenvectors are its columns, i.e. our rows: transpose.
    transpose_square(vectors, n);
  });
}

Tensor eigh_kernel(const OpCall& call, const OutMeta& out) {
  const Tensor a = cast_to(call.inputs[0], out.dtype);
  Tensor result = make_result(out);
  const MatrixBatch mb(a);
  if (numel(out.shape) == 0) return result;
  FNX_DISPATCH_FLOATING_TYPES(out.dtype, [&] {
    using T = scalar_t;
    eigh_lapack(mb, data_ptr<T>(a), call.attr<LinalgAttrs>().upper,
                data_ptr<T>(result));
  });
  return result;
}

// The row-major (m, n) A is the column-major (n, m) A^T = V' S U'^T, so A's
// U is LAPACK's VT read row-major and A's Vh is LAPACK's U read row-major:
// gesdd writes both straight into the packed result.
template <typename T>
void svd_lapack(const MatrixBatch& a, const T* pa, bool full, T* out) {
  const int64_t m = a.rows, n = a.cols, k = std::min(m, n);
  const int64_t uc = full ? m : k, vr = full ? n : k;  // U (m, uc), Vh (vr, n)
  const int64_t total = m * uc + k + vr * n;
  if (k == 0) {  // nothing to factor: complete U and Vh are identities
    for (int64_t i = 0; full && i < a.count; ++i) {
      write_identity(out + i * total, m);
      write_identity(out + i * total + m * m, n);
    }
    return;
  }
  const char jobz = full ? 'A' : 'S';
  const int mi = lapack_int(m, "svd"), ni = lapack_int(n, "svd");
  const int ldvt = static_cast<int>(uc);
  T query = 0, dummy = 0;
  int idummy = 0;
  lapack::gesdd(jobz, ni, mi, &dummy, ni, &dummy, &dummy, ni, &dummy, ldvt,
                &query, -1, &idummy);
  const int64_t lwork = workspace_size(query);
  const int lw = lapack_int(lwork, "svd");
  for_each_matrix<T>(
      a.count, m * n + lwork, 8 * k, [&](int64_t i, T* w, int* iw) {
        T* work = w + m * n;
        copy_matrix(pa + a.offset(i), a.rs, a.cs, m, n, w, n, 1);
        T* u = out + i * total;
        T* s = u + m * uc;
        T* vh = s + k;
        const int info = lapack::gesdd(jobz, ni, mi, w, ni, s, vh, ni, u, ldvt,
                                       work, lw, iw);
        // No convergence (> 0) or a NaN in A (-4 in newer LAPACK).
        if (info != 0) fill_nan(u, total);
      });
}

Tensor svd_kernel(const OpCall& call, const OutMeta& out) {
  const Tensor a = cast_to(call.inputs[0], out.dtype);
  Tensor result = make_result(out);
  const MatrixBatch mb(a);
  if (numel(out.shape) == 0) return result;
  FNX_DISPATCH_FLOATING_TYPES(out.dtype, [&] {
    using T = scalar_t;
    svd_lapack(mb, data_ptr<T>(a), call.attr<LinalgAttrs>().full_matrices,
               data_ptr<T>(result));
  });
  return result;
}

}  // namespace

FNX_REGISTER_PLUGIN("cpu") {
  r.kernel(DeviceType::CPU, Prim::Qr, &qr_kernel);
  r.kernel(DeviceType::CPU, Prim::Eigh, &eigh_kernel);
  r.kernel(DeviceType::CPU, Prim::Svd, &svd_kernel);
}

}  // namespace fnx::cpu
