#include "backends/cuda/linalg_common.h"

namespace fnx::cuda {

Tensor work_copy(const Context& ctx, const Tensor& a, DType dtype,
                 bool col_major) {
  const Matrices d = matrices_of(a);
  Tensor w = empty(a.shape(), dtype, a.device());
  if (numel(w.shape()) == 0) return w;
  // Batch dims contiguous with matrices of m * n elements between them.
  const int64_t rank = a.dim();
  Strides dst(static_cast<std::size_t>(rank));
  dst[rank - 2] = col_major ? 1 : d.n;
  dst[rank - 1] = col_major ? d.m : 1;
  int64_t step = d.m * d.n;
  for (int64_t i = rank - 3; i >= 0; --i) {
    dst[i] = step;
    step *= a.shape()[i];
  }
  strided_copy(ctx, a.shape(), dptr(w), dtype, dst, dptr(a), a.dtype(),
               a.strides());
  return w;
}

void copy_matrices(const Context& ctx, DType dtype, int64_t batch, int64_t rows,
                   int64_t cols, char* dst, int64_t db, int64_t dr, int64_t dc,
                   const char* src, int64_t sb, int64_t sr, int64_t sc) {
  if (batch * rows * cols == 0) return;
  strided_copy(ctx, {batch, rows, cols}, dst, dtype, {db, dr, dc}, src, dtype,
               {sb, sr, sc});
}

Tensor pointer_array(const Context& ctx, const Tensor& t, int64_t stride,
                     int64_t count) {
  static_assert(sizeof(void*) == sizeof(int64_t));
  Tensor out = empty({count}, DType::Int64, t.device());
  launched(
      launch_pointer_array(reinterpret_cast<void**>(dptr(out)), dptr(t),
                           stride * static_cast<int64_t>(itemsize(t.dtype())),
                           count, ctx.stream),
      "pointer array kernel");
  return out;
}

}  // namespace fnx::cuda
