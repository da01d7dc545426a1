// Shared pieces of the linalg kernels (linalg.cc, linalg_decomp.cc,
// small_linalg.cc): the batch geometry of an input (..., rows, cols) of any
// strides, strided matrix copies, and a parallel loop over the matrices of
// a batch with per-worker LAPACK workspace.
#pragma once

#include <cblas.h>

#include <algorithm>
#include <atomic>
#include <climits>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>

#include "backends/cpu/common.h"
#include "backends/cpu/loops.h"
#include "backends/cpu/thread_pool.h"
#include "core/error.h"

namespace fnx::cpu {

// Matrices up to this order with at least kSmallBatch of them go through
// plain C++ loops (small_linalg.h): there LAPACK's per-call overhead
// dominates.
inline constexpr int64_t kSmallOrder = 8;
inline constexpr int64_t kSmallBatch = 8;

// The matrices of t (..., rows, cols): leading dims flattened into `count`.
struct MatrixBatch {
  Shape batch;
  Strides batch_strides;
  int64_t count = 1;
  int64_t rows = 0, cols = 0;
  int64_t rs = 0, cs = 0;  // element strides of a matrix's rows and columns

  explicit MatrixBatch(const Tensor& t)
      : batch(t.shape().begin(), t.shape().end() - 2),
        batch_strides(t.strides().begin(), t.strides().end() - 2),
        count(numel(batch)),
        rows(t.shape()[t.dim() - 2]),
        cols(t.shape()[t.dim() - 1]),
        rs(t.strides()[t.dim() - 2]),
        cs(t.strides()[t.dim() - 1]) {}

  // Element offset of matrix i (row-major over the batch dims).
  int64_t offset(int64_t i) const {
    return offset_of(i, batch, batch_strides,
                     static_cast<int64_t>(batch.size()));
  }
};

// dst(i, j) = src(i, j) for a rows x cols matrix, strides in elements.
template <typename T>
void copy_matrix(const T* src, int64_t src_rs, int64_t src_cs, int64_t rows,
                 int64_t cols, T* dst, int64_t dst_rs, int64_t dst_cs) {
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) {
      dst[i * dst_rs + j * dst_cs] = src[i * src_rs + j * src_cs];
    }
  }
}

// Transposes a contiguous n x n matrix in place.
template <typename T>
void transpose_square(T* a, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = i + 1; j < n; ++j) std::swap(a[i * n + j], a[j * n + i]);
  }
}

template <typename T>
void fill_nan(T* p, int64_t n) {
  std::fill(p, p + n, std::numeric_limits<T>::quiet_NaN());
}

// A dimension as LAPACK's 32-bit integer.
inline int lapack_int(int64_t v, std::string_view op) {
  FNX_CHECK(v <= INT_MAX, op, "matrix dimension or workspace ", v,
            " exceeds the LAPACK limit of ", INT_MAX);
  return static_cast<int>(v);
}

// A workspace size from a query's work[0] (single precision rounds large
// sizes down, hence the margin).
template <typename T>
int64_t workspace_size(T query) {
  const double size = static_cast<double>(query);
  return std::max<int64_t>(
      1, static_cast<int64_t>(std::ceil(size * (1 + 1e-6))) + 1);
}

// OpenBLAS's LAPACK runs single-threaded: the batch is split over fnx's
// pool instead, and OpenBLAS's own threads would spin against it (the same
// reason as GEMM, gemm.cc).
inline void single_threaded_lapack() {
  static const bool done = [] {
    openblas_set_num_threads(1);
    return true;
  }();
  (void)done;
}

// Scratch memory from the CPU allocator (whose cache reuses blocks).
template <typename T>
class Scratch {
 public:
  explicit Scratch(int64_t n)
      : t_(empty({std::max<int64_t>(n, 1)}, dtype_of<T>())) {}
  T* get() const { return data_ptr<T>(t_); }

 private:
  Tensor t_;
};

// Runs body(i, work, iwork) for every matrix i in [0, count) on the pool,
// each worker with its own `work` (per_worker elements of T) and `iwork`
// (per_worker_int ints). Workers take matrices one at a time, so uneven
// LAPACK times (iterative eigen- and singular values) balance.
template <typename T, typename F>
void for_each_matrix(int64_t count, int64_t per_worker, int64_t per_worker_int,
                     const F& body) {
  if (count <= 0) return;
  single_threaded_lapack();
  const int64_t parts =
      in_pool_task() ? 1 : std::min<int64_t>(pool_threads(), count);
  Scratch<T> work(parts * per_worker);
  Scratch<int32_t> iwork(parts * per_worker_int);
  std::atomic<int64_t> next{0};
  auto run = [&](int64_t part) {
    T* w = work.get() + part * per_worker;
    int* iw = iwork.get() + part * per_worker_int;
    for (int64_t i = next++; i < count; i = next++) body(i, w, iw);
  };
  if (parts == 1) {
    run(0);
  } else {
    pool_run(parts, run);
  }
}

}  // namespace fnx::cpu
