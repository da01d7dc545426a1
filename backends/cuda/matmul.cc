// Matmul on CUDA: a (..., M, K) x b (..., K, N), batch dims broadcast.
// Float32/float64 go to cuBLAS as ONE call: a strided-batched GEMM (so
// vmap(matmul) is one kernel), or a single GEMM when b is shared and a's
// matrices are stacked row-major. Each operand is passed as it lies in
// memory when its matrices are row-major or transposed row-major and its
// batches have one stride; otherwise it is copied first. TF32 is used only
// when allowed (cuda.h). Integer and bool matmuls use a plain kernel.
#include <climits>
#include <optional>
#include <type_traits>

#include "backends/cuda/cuda.h"
#include "backends/cuda/kernels.h"
#include "backends/cuda/tensors.h"
#include "core/error.h"
#include "core/registry.h"

namespace fnx::cuda {
namespace {

// How a rows x cols matrix with strides (rs, cs) is read by row-major GEMM:
// as is (element (i, j) at i * ld + j) or transposed (at j * ld + i).
struct MatLayout {
  bool ok = false;
  bool trans = false;
  int64_t ld = 1;
};

MatLayout blas_layout(int64_t rows, int64_t cols, int64_t rs, int64_t cs) {
  if ((cols == 1 || cs == 1) &&
      (rows == 1 || rs >= std::max<int64_t>(1, cols))) {
    return {true, false, rows == 1 ? std::max<int64_t>(1, cols) : rs};
  }
  if ((rows == 1 || rs == 1) &&
      (cols == 1 || cs >= std::max<int64_t>(1, rows))) {
    return {true, true, cols == 1 ? std::max<int64_t>(1, rows) : cs};
  }
  return {};
}

// One operand: its matrices' layout and the stride between consecutive
// matrices of the flattened batch (0 = the same matrix for every batch).
struct Operand {
  Tensor t;
  MatLayout layout;
  int64_t batch_stride = 0;
};

// t viewed (without copying) with its batch dims broadcast to `batch`.
Tensor broadcast_view(const Tensor& t, const Shape& batch) {
  Shape shape = batch;
  shape.push_back(t.shape()[t.dim() - 2]);
  shape.push_back(t.shape()[t.dim() - 1]);
  return make_view(t, shape, broadcast_strides(t, shape), t.offset());
}

// The one stride between consecutive matrices of t's flattened batch (0:
// every batch reads the same matrix), or nullopt when there is none (a
// broadcast dim among strided ones, or gaps between dims).
std::optional<int64_t> flat_batch_stride(const Tensor& t) {
  int64_t stride = 0, inner = 1;
  bool first = true;
  for (int64_t d = t.dim() - 3; d >= 0; --d) {
    const int64_t size = t.shape()[d];
    if (size == 1) continue;
    const int64_t s = t.strides()[d];
    if (first) {
      stride = s;
      first = false;
    } else if (s != stride * inner) {
      return std::nullopt;
    }
    inner *= size;
  }
  return stride;
}

Operand prepare(const Tensor& x, const Shape& batch) {
  Operand op;
  op.t = broadcast_view(x, batch);
  const int64_t r = op.t.dim();
  auto layout = [&] {
    return blas_layout(op.t.shape()[r - 2], op.t.shape()[r - 1],
                       op.t.strides()[r - 2], op.t.strides()[r - 1]);
  };
  op.layout = layout();
  const std::optional<int64_t> stride = flat_batch_stride(op.t);
  if (op.layout.ok && stride.has_value()) {
    op.batch_stride = *stride;
    return op;
  }
  op.t = contiguous_copy(op.t, op.t.dtype());
  op.layout = layout();
  op.batch_stride = op.t.shape()[r - 2] * op.t.shape()[r - 1];
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
  cublasHandle_t h = ctx.cublas();
  FNX_CUDA_CHECK(cublasSetMathMode(
      h, allow_tf32() ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
  // Row-major C = A B is column-major C^T = B^T A^T.
  const cublasOperation_t op_b = b.layout.trans ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_a = a.layout.trans ? CUBLAS_OP_T : CUBLAS_OP_N;
  // b shared by every batch and a's matrices stacked row-major: one GEMM.
  const bool fold = nb > 1 && b.batch_stride == 0 && !a.layout.trans &&
                    a.batch_stride == m * a.layout.ld;
  const int64_t rows = fold ? nb * m : m;
  const int count = fold ? 1 : as_int(nb, "batch count");
  FNX_DISPATCH_FLOATING_TYPES(out.dtype, [&] {
    using T = scalar_t;
    cublas_gemm<T>(
        h, op_b, op_a, as_int(n, "n"), as_int(rows, "m"), as_int(k, "k"),
        reinterpret_cast<const T*>(dptr(b.t)), as_int(b.layout.ld, "ld"),
        b.batch_stride, reinterpret_cast<const T*>(dptr(a.t)),
        as_int(a.layout.ld, "ld"), a.batch_stride,
        reinterpret_cast<T*>(dptr(result)), as_int(n, "n"), m * n, count);
  });
  return result;
}

}  // namespace

FNX_REGISTER_PLUGIN("cuda") {
  r.kernel(DeviceType::CUDA, Prim::Matmul, &matmul_kernel);
}

}  // namespace fnx::cuda
