// Matmul on CUDA: a (..., M, K) x b (..., K, N), batch dims broadcast.
// Float32/float64 go to cuBLAS as ONE call (gemm_plan.h): a strided-batched
// GEMM (so vmap(matmul) is one kernel), or a single GEMM when b is shared
// and a's matrices are stacked row-major. Each operand is passed as it lies
// in memory when its matrices are row-major or transposed row-major and its
// batches have one stride; otherwise it is copied first. TF32 is used only
// when allowed (cuda.h). Integer and bool matmuls use a plain kernel.
#include <climits>
#include <type_traits>

#include "backends/cuda/cuda.h"
#include "backends/cuda/gemm_plan.h"
#include "backends/cuda/kernels.h"
#include "backends/cuda/tensors.h"
#include "core/error.h"
#include "core/registry.h"

namespace fnx::cuda {
namespace {

// One operand: a (broadcast) view and how cuBLAS reads it.
struct Operand {
  Tensor t;
  OperandLayout layout;
};

// t viewed (without copying) with its batch dims broadcast to `batch`.
Tensor broadcast_view(const Tensor& t, const Shape& batch) {
  Shape shape = batch;
  shape.push_back(t.shape()[t.dim() - 2]);
  shape.push_back(t.shape()[t.dim() - 1]);
  return make_view(t, shape, broadcast_strides(t, shape), t.offset());
}

// Read in place when cuBLAS can, else from a contiguous copy.
Operand prepare(const Tensor& x, const Shape& batch) {
  Operand op{broadcast_view(x, batch), {}};
  op.layout = operand_layout(op.t.shape(), op.t.strides());
  if (!op.layout.ok) {
    op.t = contiguous_copy(op.t, op.t.dtype());
    op.layout = operand_layout(op.t.shape(), op.t.strides());
  }
  return op;
}

int as_int(int64_t v, std::string_view what) {
  FNX_CHECK(v <= INT_MAX, "matmul", what, " ", v,
            " is too large for cuBLAS (at most ", INT_MAX, ")");
  return static_cast<int>(v);
}

template <typename T>
void cublas_gemm(cublasHandle_t h, cublasOperation_t ta, cublasOperation_t tb,
                 int m, int n, int k, const T* a, int lda, int64_t sa,
                 const T* b, int ldb, int64_t sb, T* c, int ldc, int64_t sc,
                 int batch) {
  const T one = 1, zero = 0;
  if constexpr (std::is_same_v<T, float>) {
    if (batch == 1) {
      FNX_CUDA_CHECK(
          cublasSgemm(h, ta, tb, m, n, k, &one, a, lda, b, ldb, &zero, c, ldc));
    } else {
      FNX_CUDA_CHECK(cublasSgemmStridedBatched(h, ta, tb, m, n, k, &one, a, lda,
                                               sa, b, ldb, sb, &zero, c, ldc,
                                               sc, batch));
    }
  } else {
    if (batch == 1) {
      FNX_CUDA_CHECK(
          cublasDgemm(h, ta, tb, m, n, k, &one, a, lda, b, ldb, &zero, c, ldc));
    } else {
      FNX_CUDA_CHECK(cublasDgemmStridedBatched(h, ta, tb, m, n, k, &one, a, lda,
                                               sa, b, ldb, sb, &zero, c, ldc,
                                               sc, batch));
    }
  }
}

Tensor matmul_kernel(const OpCall& call, const OutMeta& out) {
  const Context& ctx = context_of(out);
  const Tensor a0 = cast_to(call.inputs[0], out.dtype);
  const Tensor b0 = cast_to(call.inputs[1], out.dtype);
  const int64_t rank = static_cast<int64_t>(out.shape.size());
  const int64_t m = out.shape[rank - 2];
  const int64_t n = out.shape[rank - 1];
  const int64_t k = a0.shape()[a0.dim() - 1];
  const Shape batch(out.shape.begin(), out.shape.end() - 2);
  const int64_t nb = numel(batch);
  Tensor result = make_result(out);
  if (numel(out.shape) == 0) return result;
  if (k == 0) {
    fill(ctx, dptr(result), out.dtype, numel(out.shape), 0);
    return result;
  }
  if (!is_floating(out.dtype)) {
    const Tensor a = contiguous_copy(broadcast_view(a0, batch), out.dtype);
    const Tensor b = contiguous_copy(broadcast_view(b0, batch), out.dtype);
    launched(launch_plain_matmul(scalar_of(out.dtype), nb, m, n, k, dptr(a),
                                 dptr(b), dptr(result), ctx.stream),
             call.name());
    return result;
  }
  const Operand a = prepare(a0, batch);
  const Operand b = prepare(b0, batch);
  const GemmPlan p = plan_gemm(a.layout, b.layout, m, n, k, nb);
  const auto blas = ctx.cublas();  // locked until the GEMM is enqueued
  cublasHandle_t h = blas.handle;
  FNX_CUDA_CHECK(cublasSetMathMode(
      h, allow_tf32() ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
  FNX_DISPATCH_FLOATING_TYPES(out.dtype, [&] {
    using T = scalar_t;
    cublas_gemm<T>(h, p.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N,
                   p.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N, as_int(p.m, "n"),
                   as_int(p.n, "m"), as_int(p.k, "k"),
                   reinterpret_cast<const T*>(dptr(b.t)), as_int(p.lda, "ld"),
                   p.stride_a, reinterpret_cast<const T*>(dptr(a.t)),
                   as_int(p.ldb, "ld"), p.stride_b,
                   reinterpret_cast<T*>(dptr(result)), as_int(p.ldc, "n"),
                   p.stride_c, as_int(p.batch, "batch count"));
  });
  return result;
}

}  // namespace

FNX_REGISTER_PLUGIN("cuda") {
  r.kernel(DeviceType::CUDA, Prim::Matmul, &matmul_kernel);
}

}  // namespace fnx::cuda
