// Cholesky, TriangularSolve, Lu and Assert on CUDA: cuSOLVER potrf(Batched)
// and getrf, cuBLAS trsm(Batched) and getrfBatched, and linalg.cu's layout
// kernels; the results follow the CPU kernels' contract (core/primitive.h,
// LinalgAttrs). Row-major matrices are handed to the column-major libraries as
// their transposes wherever that is the same problem.
#include <algorithm>
#include <string>
#include <vector>

#include "backends/cuda/linalg_batched.h"
#include "backends/cuda/linalg_common.h"
#include "core/error.h"
#include "core/registry.h"

namespace fnx::cuda {
namespace {

// Float and double overloads, so that one body calls either.
#define FNX_LINALG_OVERLOADS(T, P)                                             \
  cusolverStatus_t potrf_size(cusolverDnHandle_t h, cublasFillMode_t uplo,     \
                              int n, T* a, int* lw) {                          \
    return cusolverDn##P##potrf_bufferSize(h, uplo, n, a, n, lw);              \
  }                                                                            \
  cusolverStatus_t potrf(cusolverDnHandle_t h, cublasFillMode_t uplo, int n,   \
                         T* a, T* w, int lw, int* info) {                      \
    return cusolverDn##P##potrf(h, uplo, n, a, n, w, lw, info);                \
  }                                                                            \
  cusolverStatus_t potrf_batched(cusolverDnHandle_t h, cublasFillMode_t uplo,  \
                                 int n, T** as, int* info, int count) {        \
    return cusolverDn##P##potrfBatched(h, uplo, n, as, n, info, count);        \
  }                                                                            \
  cusolverStatus_t getrf_size(cusolverDnHandle_t h, int n, T* a, int* lw) {    \
    return cusolverDn##P##getrf_bufferSize(h, n, n, a, n, lw);                 \
  }                                                                            \
  cusolverStatus_t getrf(cusolverDnHandle_t h, int n, T* a, T* w, int* piv,    \
                         int* info) {                                          \
    return cusolverDn##P##getrf(h, n, n, a, n, w, piv, info);                  \
  }                                                                            \
  cublasStatus_t trsm(cublasHandle_t h, cublasSideMode_t side,                 \
                      cublasFillMode_t uplo, cublasOperation_t op,             \
                      cublasDiagType_t diag, int m, int n, const T* one,       \
                      const T* a, int lda, T* b) {                             \
    return cublas##P##trsm(h, side, uplo, op, diag, m, n, one, a, lda, b, m);  \
  }                                                                            \
  cublasStatus_t trsm_batched(                                                 \
      cublasHandle_t h, cublasSideMode_t side, cublasFillMode_t uplo,          \
      cublasOperation_t op, cublasDiagType_t diag, int m, int n, const T* one, \
      const T* const* as, int lda, T* const* bs, int count) {                  \
    return cublas##P##trsmBatched(h, side, uplo, op, diag, m, n, one, as, lda, \
                                  bs, m, count);                               \
  }
FNX_LINALG_OVERLOADS(float, S)
FNX_LINALG_OVERLOADS(double, D)
#undef FNX_LINALG_OVERLOADS

// A = L L^T for row-major lower L is, read column-major, A = U^T U with
// U = L^T: potrf of the other triangle, in place, no transposes.
Tensor cholesky_kernel(const OpCall& call, const OutMeta& out) {
  const Context& ctx = context_of(out);
  const bool upper = call.attr<LinalgAttrs>().upper;
  const Matrices d = matrices_of(call.inputs[0]);
  const int64_t n = d.n;
  Tensor result = work_copy(ctx, call.inputs[0], out.dtype, false);
  if (d.batch * n == 0) return result;
  const int ni = as_int(n, call.name());
  const cublasFillMode_t uplo =
      upper ? CUBLAS_FILL_MODE_LOWER : CUBLAS_FILL_MODE_UPPER;
  const Tensor info = empty({d.batch}, DType::Int32, out.device);
  int* infos = reinterpret_cast<int*>(dptr(info));
  FNX_DISPATCH_FLOATING_TYPES(out.dtype, [&] {
    using T = scalar_t;
    const auto solver = ctx.cusolver();
    if (d.batch > 1 && n <= kBatchedMaxOrder) {
      const Tensor ptrs = pointer_array(ctx, result, n * n, d.batch);
      T** arrays = reinterpret_cast<T**>(dptr(ptrs));
      FNX_CUDA_CHECK(potrf_batched(solver.handle, uplo, ni, arrays, infos,
                                   as_int(d.batch, call.name())));
      return;
    }
    T* a = reinterpret_cast<T*>(dptr(result));
    int lwork = 0;
    FNX_CUDA_CHECK(potrf_size(solver.handle, uplo, ni, a, &lwork));
    const Tensor work = empty({std::max(lwork, 1)}, out.dtype, out.device);
    T* w = reinterpret_cast<T*>(dptr(work));
    for (int64_t b = 0; b < d.batch; ++b) {
      FNX_CUDA_CHECK(
          potrf(solver.handle, uplo, ni, a + b * n * n, w, lwork, infos + b));
    }
  });
  // Zeros in the other triangle; NaN from a failed column on (no throw:
  // the op API checks the diagonal).
  launched(launch_cholesky_finish(scalar_of(out.dtype), d.batch, n,
                                  dptr(result), infos, !upper, ctx.stream),
           "cholesky finish kernel");
  return result;
}

// op(T) X = B row-major is X^T op(T)^T = B^T column-major, and T read
// column-major is T^T: the side flips, the triangle flips, op stays.
Tensor triangular_solve_kernel(const OpCall& call, const OutMeta& out) {
  const Context& ctx = context_of(out);
  const LinalgAttrs& attrs = call.attr<LinalgAttrs>();
  const Matrices da = matrices_of(call.inputs[0]);
  const Matrices db = matrices_of(call.inputs[1]);
  Tensor x = work_copy(ctx, call.inputs[1], out.dtype, false);
  if (db.batch * db.m * db.n == 0) return x;
  const Tensor t = work_copy(ctx, call.inputs[0], out.dtype, false);
  const int64_t n = da.n;
  const cublasSideMode_t side =
      attrs.left ? CUBLAS_SIDE_RIGHT : CUBLAS_SIDE_LEFT;
  const cublasFillMode_t uplo =
      attrs.upper ? CUBLAS_FILL_MODE_LOWER : CUBLAS_FILL_MODE_UPPER;
  const cublasOperation_t op = attrs.transpose ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasDiagType_t diag =
      attrs.unit_diagonal ? CUBLAS_DIAG_UNIT : CUBLAS_DIAG_NON_UNIT;
  // X^T is (cols x rows) column-major with leading dimension cols.
  const int mc = as_int(db.n, call.name()), nc = as_int(db.m, call.name());
  const int ni = as_int(n, call.name());
  FNX_DISPATCH_FLOATING_TYPES(out.dtype, [&] {
    using T = scalar_t;
    const T one = 1;
    const auto blas = ctx.cublas();
    FNX_CUDA_CHECK(cublasSetMathMode(blas.handle, CUBLAS_DEFAULT_MATH));
    if (db.batch > 1 && n <= kBatchedMaxOrder) {
      const Tensor pa = pointer_array(ctx, t, n * n, db.batch);
      const Tensor pb = pointer_array(ctx, x, db.m * db.n, db.batch);
      const auto* as = reinterpret_cast<const T* const*>(dptr(pa));
      auto* bs = reinterpret_cast<T* const*>(dptr(pb));
      FNX_CUDA_CHECK(trsm_batched(blas.handle, side, uplo, op, diag, mc, nc,
                                  &one, as, ni, bs,
                                  as_int(db.batch, call.name())));
      return;
    }
    const T* a = reinterpret_cast<const T*>(dptr(t));
    T* b = reinterpret_cast<T*>(dptr(x));
    for (int64_t i = 0; i < db.batch; ++i) {
      const T* ai = a + i * n * n;
      T* bi = b + i * db.m * db.n;
      FNX_CUDA_CHECK(
          trsm(blas.handle, side, uplo, op, diag, mc, nc, &one, ai, ni, bi));
    }
  });
  return x;
}

// getrf a matrix at a time (orders above the batched routine's, or one).
void lu_per_matrix(const Context& ctx, DType dtype, int64_t batch, int ni,
                   const Tensor& work, int* piv, int* infos) {
  const int64_t n = ni;
  FNX_DISPATCH_FLOATING_TYPES(dtype, [&] {
    using T = scalar_t;
    const auto solver = ctx.cusolver();
    T* a = reinterpret_cast<T*>(dptr(work));
    int lwork = 0;
    FNX_CUDA_CHECK(getrf_size(solver.handle, ni, a, &lwork));
    const Tensor scratch = empty({std::max(lwork, 1)}, dtype, work.device());
    T* w = reinterpret_cast<T*>(dptr(scratch));
    // A singular matrix is not an error here (info > 0 is ignored).
    for (int64_t b = 0; b < batch; ++b) {
      FNX_CUDA_CHECK(
          getrf(solver.handle, ni, a + b * n * n, w, piv + b * n, infos + b));
    }
  });
}

// P A = L U needs A itself column-major (a transposed copy), factored by
// getrfBatched for batches of small matrices; the factor comes back
// transposed into the packed result, the int pivots become
// floats and the permutation (linalg.cu).
Tensor lu_kernel(const OpCall& call, const OutMeta& out) {
  const Context& ctx = context_of(out);
  const Matrices d = matrices_of(call.inputs[0]);
  const int64_t n = d.n, total = n * n + 2 * n;
  Tensor result = make_result(out);
  if (d.batch * n == 0) return result;
  const Tensor work = work_copy(ctx, call.inputs[0], out.dtype, true);
  const Tensor ipiv = empty({d.batch, n}, DType::Int32, out.device);
  const Tensor info = empty({d.batch}, DType::Int32, out.device);
  const int ni = as_int(n, call.name());
  int* piv = reinterpret_cast<int*>(dptr(ipiv));
  int* infos = reinterpret_cast<int*>(dptr(info));
  if (use_batched(d.batch, n, n)) {
    getrf_batched(ctx, call.name(), out.dtype, d.batch, n, work, piv, infos);
  } else {
    lu_per_matrix(ctx, out.dtype, d.batch, ni, work, piv, infos);
  }
  copy_matrices(ctx, out.dtype, d.batch, n, n, dptr(result), total, n, 1,
                dptr(work), n * n, 1, n);
  launched(launch_lu_pivots(scalar_of(out.dtype), d.batch, n,
                            reinterpret_cast<const int*>(dptr(ipiv)),
                            at(result, n * n), total, ctx.stream),
           "lu pivots kernel");
  return result;
}

// A host read of cond (it synchronizes, as item() does), then the CPU
// kernel's message naming the first batch index with a false element.
Tensor assert_kernel(const OpCall& call, const OutMeta&) {
  const Tensor& cond = call.inputs[0];
  const AssertAttrs& attrs = call.attr<AssertAttrs>();
  const std::vector<double> values = cond.to_vector();
  int64_t first = -1;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i] == 0) {
      first = static_cast<int64_t>(i);
      break;
    }
  }
  if (first < 0) return cond;
  std::string message = attrs.message;
  if (attrs.batch_rank > 0) {
    int64_t inner = 1;
    for (int64_t d = attrs.batch_rank; d < cond.dim(); ++d) {
      inner *= cond.shape()[d];
    }
    int64_t flat = first / inner;
    std::vector<int64_t> index(static_cast<std::size_t>(attrs.batch_rank));
    for (int64_t d = attrs.batch_rank - 1; d >= 0; --d) {
      index[d] = flat % cond.shape()[d];
      flat /= cond.shape()[d];
    }
    message += " (batch index [";
    for (std::size_t d = 0; d < index.size(); ++d) {
      message += (d ? ", " : "") + std::to_string(index[d]);
    }
    message += "])";
  }
  throw Error(message);
}

}  // namespace

FNX_REGISTER_PLUGIN("cuda") {
  r.kernel(DeviceType::CUDA, Prim::Cholesky, &cholesky_kernel);
  r.kernel(DeviceType::CUDA, Prim::TriangularSolve, &triangular_solve_kernel);
  r.kernel(DeviceType::CUDA, Prim::Lu, &lu_kernel);
  r.kernel(DeviceType::CUDA, Prim::Assert, &assert_kernel);
}

}  // namespace fnx::cuda
