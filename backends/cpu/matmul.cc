// Matmul(a, b): a (..., M, K) times b (..., K, N), batch dims broadcast.
// Each operand is handed to GEMM as it lies in memory when its matrices are
// row-major or transposed row-major (CblasTrans), and copied only
// otherwise; broadcast batch dims (stride 0) reuse the same matrix.
#include <algorithm>

#include "backends/cpu/common.h"
#include "backends/cpu/gemm.h"
#include "backends/cpu/loops.h"
#include "backends/cpu/thread_pool.h"
#include "core/registry.h"

namespace fnx::cpu {
namespace {

// How a rows x cols matrix with strides (rs, cs) is passed to row-major
// BLAS: as is (element (i, j) at i * ld + j) or transposed (at j * ld + i).
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

MatLayout layout_of(const Tensor& t) {
  const int64_t r = t.dim();
  return blas_layout(t.shape()[r - 2], t.shape()[r - 1], t.strides()[r - 2],
                     t.strides()[r - 1]);
}

// t's batch strides (elements) broadcast to `batch` (right-aligned).
Strides batch_strides(const Tensor& t, const Shape& batch) {
  const int64_t nb = static_cast<int64_t>(batch.size());
  const int64_t tb = t.dim() - 2;
  Strides s(nb, 0);
  for (int64_t i = 0; i < tb && i < nb; ++i) {
    const int64_t d = nb - 1 - i;
    const int64_t td = tb - 1 - i;
    if (t.shape()[td] == batch[d]) s[d] = t.strides()[td];
  }
  return s;
}

Tensor matmul_kernel(const OpCall& call, const OutMeta& out) {
  Tensor a = cast_to(call.inputs[0], out.dtype);
  Tensor b = cast_to(call.inputs[1], out.dtype);
  const int64_t rank = static_cast<int64_t>(out.shape.size());
  FNX_CHECK(a.dim() >= 2 && b.dim() >= 2 && rank >= 2, call.name(),
            "expects operands of rank >= 2, got ", shape_str(a.shape()),
            " and ", shape_str(b.shape()));
  const int64_t m = a.shape()[a.dim() - 2];
  const int64_t k = a.shape()[a.dim() - 1];
  const int64_t n = b.shape()[b.dim() - 1];
  FNX_CHECK(b.shape()[b.dim() - 2] == k && out.shape[rank - 2] == m &&
                out.shape[rank - 1] == n,
            call.name(), "shapes ", shape_str(a.shape()), " and ",
            shape_str(b.shape()), " cannot be multiplied (", k, " vs ",
            b.shape()[b.dim() - 2], ")");
  Tensor result = make_result(out);
  if (numel(out.shape) == 0) return result;
  MatLayout la = layout_of(a);
  if (!la.ok) {
    a = contiguous_copy(a);
    la = layout_of(a);
  }
  MatLayout lb = layout_of(b);
  if (!lb.ok) {
    b = contiguous_copy(b);
    lb = layout_of(b);
  }
  const Shape batch(out.shape.begin(), out.shape.end() - 2);
  const int64_t nb = numel(batch);
  const int64_t nbd = static_cast<int64_t>(batch.size());
  const Strides sa = batch_strides(a, batch);
  const Strides sb = batch_strides(b, batch);
  // b shared by every batch and a's batches stacked row-major: one GEMM with
  // nb * m rows.
  bool fold = !la.trans && nb > 1;
  int64_t expected = m * la.ld;
  for (int64_t d = nbd - 1; fold && d >= 0; --d) {
    fold = sb[d] == 0 && (batch[d] == 1 || sa[d] == expected);
    expected *= batch[d];
  }
  FNX_DISPATCH_ALL_TYPES(out.dtype, [&] {
    using T = scalar_t;
    const T* pa = data_ptr<T>(a);
    const T* pb = data_ptr<T>(b);
    T* pc = data_ptr<T>(result);
    if (fold) {
      gemm<T>(false, lb.trans, nb * m, n, k, T(1), pa, la.ld, pb, lb.ld, T(0),
              pc, n);
      return;
    }
    auto run = [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        gemm<T>(la.trans, lb.trans, m, n, k, T(1),
                pa + offset_of(i, batch, sa, nbd), la.ld,
                pb + offset_of(i, batch, sb, nbd), lb.ld, T(0), pc + i * m * n,
                n);
      }
    };
    // Many small matrices: several GEMMs at once (OpenBLAS runs GEMMs under
    // 64^3 multiply-adds single-threaded). At least as many matrices as
    // threads: whole GEMMs per thread (an ensemble's per-model products),
    // rather than each split over the pool, which packed the shared operand
    // once per part and halved M. Fewer, large ones: split each.
    const int64_t work = m * n * std::max<int64_t>(k, 1);
    if (nb >= 4 && work < 64 * 64 * 64) {
      parallel_for(0, nb, grain_for(work), run);
    } else if (nb >= pool_threads() && pool_threads() > 1 && !in_pool_task()) {
      pool_run(pool_threads(), [&](int64_t part) {
        const int64_t per = (nb + pool_threads() - 1) / pool_threads();
        run(std::min(nb, part * per), std::min(nb, (part + 1) * per));
      });
    } else {
      run(0, nb);
    }
  });
  return result;
}

}  // namespace

FNX_REGISTER_PLUGIN("cpu") {
  r.kernel(DeviceType::CPU, Prim::Matmul, &matmul_kernel);
}

}  // namespace fnx::cpu
