#include "backends/cuda/linalg_batched.h"

#include "core/error.h"

namespace fnx::cuda {
namespace {

// Float and double overloads, so that one body calls either.
#define FNX_BATCHED_OVERLOADS(T, P)                                            \
  cublasStatus_t getrf(cublasHandle_t h, int n, T* const* as, int* piv,        \
                       int* info, int count) {                                 \
    return cublas##P##getrfBatched(h, n, as, n, piv, info, count);             \
  }                                                                            \
  cublasStatus_t geqrf(cublasHandle_t h, int m, int n, T* const* as,           \
                       T* const* taus, int* info, int count) {                 \
    return cublas##P##geqrfBatched(h, m, n, as, m, taus, info, count);         \
  }                                                                            \
  cusolverStatus_t syevj_size(cusolverDnHandle_t h, cublasFillMode_t uplo,     \
                              int n, const T* a, const T* w, int* lw,          \
                              syevjInfo_t p, int count) {                      \
    return cusolverDn##P##syevjBatched_bufferSize(                             \
        h, CUSOLVER_EIG_MODE_VECTOR, uplo, n, a, n, w, lw, p, count);          \
  }                                                                            \
  cusolverStatus_t syevj(cusolverDnHandle_t h, cublasFillMode_t uplo, int n,   \
                         T* a, T* w, T* work, int lw, int* info,               \
                         syevjInfo_t p, int count) {                           \
    return cusolverDn##P##syevjBatched(h, CUSOLVER_EIG_MODE_VECTOR, uplo, n,   \
                                       a, n, w, work, lw, info, p, count);     \
  }                                                                            \
  cusolverStatus_t gesvdj_size(cusolverDnHandle_t h, int m, int n, const T* a, \
                               const T* s, const T* u, const T* v, int* lw,    \
                               gesvdjInfo_t p, int count) {                    \
    return cusolverDn##P##gesvdjBatched_bufferSize(                            \
        h, CUSOLVER_EIG_MODE_VECTOR, m, n, a, m, s, u, m, v, n, lw, p, count); \
  }                                                                            \
  cusolverStatus_t gesvdj(cusolverDnHandle_t h, int m, int n, T* a, T* s,      \
                          T* u, T* v, T* work, int lw, int* info,              \
                          gesvdjInfo_t p, int count) {                         \
    return cusolverDn##P##gesvdjBatched(h, CUSOLVER_EIG_MODE_VECTOR, m, n, a,  \
                                        m, s, u, m, v, n, work, lw, info, p,   \
                                        count);                                \
  }
FNX_BATCHED_OVERLOADS(float, S)
FNX_BATCHED_OVERLOADS(double, D)
#undef FNX_BATCHED_OVERLOADS

// The Jacobi parameters: created once and never changed after, so that
// concurrent calls share them safely (the batched routines only read
// them). Sorting is asked for explicitly: the contract's orders.
syevjInfo_t syevj_params() {
  static const syevjInfo_t params = [] {
    syevjInfo_t p = nullptr;
    FNX_CUDA_CHECK(cusolverDnCreateSyevjInfo(&p));
    FNX_CUDA_CHECK(cusolverDnXsyevjSetSortEig(p, 1));  // ascending
    return p;
  }();
  return params;
}

gesvdjInfo_t gesvdj_params() {
  static const gesvdjInfo_t params = [] {
    gesvdjInfo_t p = nullptr;
    FNX_CUDA_CHECK(cusolverDnCreateGesvdjInfo(&p));
    FNX_CUDA_CHECK(cusolverDnXgesvdjSetSortEig(p, 1));  // descending
    return p;
  }();
  return params;
}

template <typename T>
T* ptr(const Tensor& t) {
  return reinterpret_cast<T*>(dptr(t));
}

}  // namespace

void getrf_batched(const Context& ctx, std::string_view op, DType dtype,
                   int64_t batch, int64_t n, const Tensor& a, int* ipiv,
                   int* info) {
  const Tensor ptrs = pointer_array(ctx, a, n * n, batch);
  FNX_DISPATCH_FLOATING_TYPES(dtype, [&] {
    using T = scalar_t;
    const auto blas = ctx.cublas();
    // A singular matrix is not an error here (info > 0 is ignored).
    FNX_CUDA_CHECK(getrf(blas.handle, as_int(n, op), ptr<T*>(ptrs), ipiv, info,
                         as_int(batch, op)));
  });
}

void qr_batched(const Context& ctx, std::string_view op, DType dtype,
                int64_t batch, int64_t m, int64_t n, int64_t qc,
                const Tensor& a, const Tensor& tau, const Tensor& q) {
  const int64_t k = std::min(m, n);
  const Tensor as = pointer_array(ctx, a, m * n, batch);
  const Tensor taus = pointer_array(ctx, tau, k, batch);
  FNX_DISPATCH_FLOATING_TYPES(dtype, [&] {
    using T = scalar_t;
    const auto blas = ctx.cublas();
    int info = 0;  // a host int: the arguments' check, not the matrices'
    FNX_CUDA_CHECK(geqrf(blas.handle, as_int(m, op), as_int(n, op), ptr<T*>(as),
                         ptr<T*>(taus), &info, as_int(batch, op)));
    FNX_CHECK(info == 0, op, "geqrfBatched rejected argument ", -info);
  });
  launched(launch_householder_q(scalar_of(dtype), batch, m, n, k, qc, dptr(a),
                                dptr(tau), dptr(q), ctx.stream),
           "householder q kernel");
}

void syevj_batched(const Context& ctx, std::string_view op, DType dtype,
                   int64_t batch, int64_t n, cublasFillMode_t uplo,
                   const Tensor& a, const Tensor& w, int* info) {
  const int ni = as_int(n, op), count = as_int(batch, op);
  FNX_DISPATCH_FLOATING_TYPES(dtype, [&] {
    using T = scalar_t;
    const auto solver = ctx.cusolver();
    int lw = 0;
    FNX_CUDA_CHECK(syevj_size(solver.handle, uplo, ni, ptr<T>(a), ptr<T>(w),
                              &lw, syevj_params(), count));
    const Tensor work = empty({std::max(lw, 1)}, dtype, a.device());
    FNX_CUDA_CHECK(syevj(solver.handle, uplo, ni, ptr<T>(a), ptr<T>(w),
                         ptr<T>(work), lw, info, syevj_params(), count));
  });
}

void gesvdj_batched(const Context& ctx, std::string_view op, DType dtype,
                    int64_t batch, int64_t m, int64_t n, const Tensor& a,
                    const Tensor& s, const Tensor& u, const Tensor& v,
                    int* info) {
  const int mi = as_int(m, op), ni = as_int(n, op), count = as_int(batch, op);
  FNX_DISPATCH_FLOATING_TYPES(dtype, [&] {
    using T = scalar_t;
    const auto solver = ctx.cusolver();
    int lw = 0;
    FNX_CUDA_CHECK(gesvdj_size(solver.handle, mi, ni, ptr<T>(a), ptr<T>(s),
                               ptr<T>(u), ptr<T>(v), &lw, gesvdj_params(),
                               count));
    const Tensor work = empty({std::max(lw, 1)}, dtype, a.device());
    FNX_CUDA_CHECK(gesvdj(solver.handle, mi, ni, ptr<T>(a), ptr<T>(s),
                          ptr<T>(u), ptr<T>(v), ptr<T>(work), lw, info,
                          gesvdj_params(), count));
  });
}

}  // namespace fnx::cuda
