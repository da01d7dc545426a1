#include "backends/cuda/gemm_plan.h"

#include <algorithm>

namespace fnx::cuda {
namespace {

OperandLayout matrix_layout(int64_t rows, int64_t cols, int64_t rs,
                            int64_t cs) {
  if ((cols == 1 || cs == 1) &&
      (rows == 1 || rs >= std::max<int64_t>(1, cols))) {
    return {true, false, rows == 1 ? std::max<int64_t>(1, cols) : rs, 0};
  }
  if ((rows == 1 || rs == 1) &&
      (cols == 1 || cs >= std::max<int64_t>(1, rows))) {
    return {true, true, cols == 1 ? std::max<int64_t>(1, rows) : cs, 0};
  }
  return {};
}

}  // namespace

OperandLayout operand_layout(const Shape& shape, const Strides& strides) {
  const int64_t r = static_cast<int64_t>(shape.size());
  OperandLayout out =
      matrix_layout(shape[r - 2], shape[r - 1], strides[r - 2], strides[r - 1]);
  if (!out.ok) return out;
  // One stride over the flattened batch: each batch dim (size-1 dims do not
  // count) must step by the inner dims' count times the innermost stride.
  int64_t stride = 0, inner = 1;
  bool first = true;
  for (int64_t d = r - 3; d >= 0; --d) {
    if (shape[d] == 1) continue;
    if (first) {
      stride = strides[d];
      first = false;
    } else if (strides[d] != stride * inner) {
      return {};
    }
    inner *= shape[d];
  }
  out.batch_stride = stride;
  return out;
}

GemmPlan plan_gemm(const OperandLayout& a, const OperandLayout& b, int64_t m,
                   int64_t n, int64_t k, int64_t batch) {
  GemmPlan p;
  p.folded = batch > 1 && b.batch_stride == 0 && !a.trans &&
             a.batch_stride == m * a.ld;
  p.trans_a = b.trans;
  p.trans_b = a.trans;
  p.m = n;
  p.n = p.folded ? batch * m : m;
  p.k = k;
  p.lda = b.ld;
  p.ldb = a.ld;
  p.ldc = n;
  p.stride_a = b.batch_stride;
  p.stride_b = a.batch_stride;
  p.stride_c = m * n;
  p.batch = p.folded ? 1 : batch;
  return p;
}

}  // namespace fnx::cuda
