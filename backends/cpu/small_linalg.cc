#include "backends/cpu/small_linalg.h"

#include <cmath>
#include <limits>
#include <type_traits>
#include <utility>

namespace fnx::cpu {
namespace {

// Calls f(std::integral_constant<int, N>) for the order n in [1, 8], so
// that each order's loops have constant trip counts.
template <typename F>
void with_order(int64_t n, const F& f) {
  static_assert(kSmallOrder == 8);
  switch (n) {
    case 1:
      return f(std::integral_constant<int, 1>{});
    case 2:
      return f(std::integral_constant<int, 2>{});
    case 3:
      return f(std::integral_constant<int, 3>{});
    case 4:
      return f(std::integral_constant<int, 4>{});
    case 5:
      return f(std::integral_constant<int, 5>{});
    case 6:
      return f(std::integral_constant<int, 6>{});
    case 7:
      return f(std::integral_constant<int, 7>{});
    default:
      return f(std::integral_constant<int, 8>{});
  }
}

// Runs one(i) for every matrix of the batch, in parallel chunks of about
// kGrainSize flops.
template <typename F>
void over_batch(int64_t count, int64_t work, const F& one) {
  parallel_for(0, count, grain_for(work), [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) one(i);
  });
}

// Cholesky-Crout, column by column (LAPACK's potf2 for the lower factor);
// N > 0 fixes the order at compile time, N == 0 takes n. The upper factor
// is the lower one of the transpose: the caller swaps the strides.
template <int N, typename T>
void cholesky_one(const T* a, int64_t rs, int64_t cs, int64_t n_rt, T* out,
                  int64_t ors, int64_t ocs) {
  const int64_t n = N > 0 ? N : n_rt;
  int64_t failed = n;
  for (int64_t j = 0; j < n; ++j) {
    T d = a[j * rs + j * cs];
    for (int64_t p = 0; p < j; ++p)
      d -= out[j * ors + p * ocs] * out[j * ors + p * ocs];
    if (!(d > T(0))) {  // not positive, or NaN (as potf2)
      failed = j;
      break;
    }
    const T ljj = std::sqrt(d);
    out[j * ors + j * ocs] = ljj;
    for (int64_t i = j + 1; i < n; ++i) {
      T s = a[i * rs + j * cs];
      for (int64_t p = 0; p < j; ++p)
        s -= out[i * ors + p * ocs] * out[j * ors + p * ocs];
      out[i * ors + j * ocs] = s / ljj;
    }
  }
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < n; ++j) {
      if (j > i) {
        out[i * ors + j * ocs] = T(0);
      } else if (j >= failed) {
        out[i * ors + j * ocs] = std::numeric_limits<T>::quiet_NaN();
      }
    }
  }
}

// E = op'(T) into e: its triangle, without the diagonal when it is unit.
// Returns whether E is lower triangular.
template <int N, typename T>
bool load_triangle(const T* a, int64_t rs, int64_t cs, const LinalgAttrs& at,
                   bool tr, T (&e)[N][N]) {
  const bool lower = at.upper == tr;
  for (int i = 0; i < N; ++i) {
    for (int j = lower ? 0 : i; j < (lower ? i + 1 : N); ++j) {
      if (i == j && at.unit_diagonal) continue;
      e[i][j] = tr ? a[j * rs + i * cs] : a[i * rs + j * cs];
    }
  }
  return lower;
}

// op(T) X = B for one matrix. A right solve X op(T) = B is the left solve
// op(T)^T X^T = B^T: the transpose flips and the rows of B become the
// vectors solved (element stride 1) instead of its columns.
template <int N, bool kLeft, typename T>
void trsm_one(const T* a, int64_t rs, int64_t cs, const LinalgAttrs& at,
              int64_t k, T* b) {
  const bool tr = at.transpose != !kLeft;
  T e[N][N] = {};  // {}: GCC -O2 cannot see load_triangle fill it
  const bool lower = load_triangle<N>(a, rs, cs, at, tr, e);
  const int64_t es = kLeft ? k : 1;  // between elements of a vector
  const int64_t vs = kLeft ? 1 : N;  // between vectors
  for (int s = 0; s < N; ++s) {
    const int i = lower ? s : N - 1 - s;
    T* xi = b + i * es;
    for (int j = lower ? 0 : i + 1; j < (lower ? i : N); ++j) {
      const T eij = e[i][j];
      const T* xj = b + j * es;
      for (int64_t r = 0; r < k; ++r) xi[r * vs] -= eij * xj[r * vs];
    }
    if (!at.unit_diagonal) {
      const T d = e[i][i];
      for (int64_t r = 0; r < k; ++r) xi[r * vs] /= d;
    }
  }
}

// trsm_one's left solve with N right-hand sides (B N x N: an inverse, a
// square right-hand side). Each row of X is accumulated in a local row
// from the rows solved before it, so the compiler keeps it in one vector
// register (trsm_one's runtime k and in-place rows leave that loop scalar:
// it cannot rule out aliasing); the same operations in the same order.
template <int N, typename T>
void trsm_square(const T* a, int64_t rs, int64_t cs, const LinalgAttrs& at,
                 T* b) {
  T e[N][N] = {};  // {}: GCC -O2 cannot see load_triangle fill it
  const bool lower = load_triangle<N>(a, rs, cs, at, at.transpose, e);
  for (int s = 0; s < N; ++s) {
    const int i = lower ? s : N - 1 - s;
    T row[N];
    for (int r = 0; r < N; ++r) row[r] = b[i * N + r];
    for (int j = lower ? 0 : i + 1; j < (lower ? i : N); ++j) {
      const T eij = e[i][j];
      for (int r = 0; r < N; ++r) row[r] -= eij * b[j * N + r];
    }
    if (!at.unit_diagonal) {
      const T d = e[i][i];
      for (int r = 0; r < N; ++r) row[r] /= d;
    }
    for (int r = 0; r < N; ++r) b[i * N + r] = row[r];
  }
}

// Right-looking LU with partial pivoting (LAPACK's getf2): the pivot is
// the first largest |value| in the column; a zero pivot is left in place.
template <int N, typename T>
void lu_one(const T* a, int64_t rs, int64_t cs, T* out) {
  T m[N][N];
  for (int i = 0; i < N; ++i) {
    for (int j = 0; j < N; ++j) m[i][j] = a[i * rs + j * cs];
  }
  int piv[N];
  for (int j = 0; j < N; ++j) {
    int p = j;
    T best = std::abs(m[j][j]);
    for (int i = j + 1; i < N; ++i) {
      if (std::abs(m[i][j]) > best) {
        best = std::abs(m[i][j]);
        p = i;
      }
    }
    piv[j] = p;
    if (m[p][j] != T(0)) {
      if (p != j) {
        for (int l = 0; l < N; ++l) std::swap(m[j][l], m[p][l]);
      }
      const T inv = T(1) / m[j][j];
      for (int i = j + 1; i < N; ++i) m[i][j] *= inv;
    }
    for (int i = j + 1; i < N; ++i) {
      for (int l = j + 1; l < N; ++l) m[i][l] -= m[i][j] * m[j][l];
    }
  }
  for (int i = 0; i < N; ++i) {
    for (int j = 0; j < N; ++j) out[i * N + j] = m[i][j];
  }
  T* pivots = out + N * N;
  T* perm = pivots + N;
  for (int i = 0; i < N; ++i) perm[i] = T(i);
  for (int i = 0; i < N; ++i) {
    pivots[i] = T(piv[i] + 1);
    std::swap(perm[i], perm[piv[i]]);
  }
}

}  // namespace

template <typename T>
void cholesky_unblocked(const T* a, int64_t rs, int64_t cs, int64_t n,
                        bool upper, T* out) {
  if (upper) {
    cholesky_one<0>(a, cs, rs, n, out, 1, n);
  } else {
    cholesky_one<0>(a, rs, cs, n, out, n, 1);
  }
}

template <typename T>
void small_cholesky(const MatrixBatch& a, const T* pa, bool upper, T* out) {
  with_order(a.rows, [&](auto order) {
    constexpr int N = decltype(order)::value;
    // The upper factor: the lower one of the transpose, written transposed.
    const int64_t rs = upper ? a.cs : a.rs, cs = upper ? a.rs : a.cs;
    const int64_t ors = upper ? 1 : N, ocs = upper ? N : 1;
    over_batch(a.count, N * N * N, [&](int64_t i) {
      cholesky_one<N>(pa + a.offset(i), rs, cs, N, out + i * N * N, ors, ocs);
    });
  });
}

template <typename T>
void small_triangular_solve(const MatrixBatch& a, const T* pa,
                            const LinalgAttrs& attrs, int64_t rows,
                            int64_t cols, T* b) {
  with_order(a.rows, [&](auto order) {
    constexpr int N = decltype(order)::value;
    const int64_t size = rows * cols;
    over_batch(a.count, N * size, [&](int64_t i) {
      if (attrs.left && cols == N) {
        trsm_square<N>(pa + a.offset(i), a.rs, a.cs, attrs, b + i * size);
      } else if (attrs.left) {
        trsm_one<N, true>(pa + a.offset(i), a.rs, a.cs, attrs, cols,
                          b + i * size);
      } else {
        trsm_one<N, false>(pa + a.offset(i), a.rs, a.cs, attrs, rows,
                           b + i * size);
      }
    });
  });
}

template <typename T>
void small_lu(const MatrixBatch& a, const T* pa, T* out) {
  with_order(a.rows, [&](auto order) {
    constexpr int N = decltype(order)::value;
    over_batch(a.count, N * N * N, [&](int64_t i) {
      lu_one<N>(pa + a.offset(i), a.rs, a.cs, out + i * (N * N + 2 * N));
    });
  });
}

#define FNX_SMALL_LINALG(T)                                                    \
  template void cholesky_unblocked<T>(const T*, int64_t, int64_t, int64_t,     \
                                      bool, T*);                               \
  template void small_cholesky<T>(const MatrixBatch&, const T*, bool, T*);     \
  template void small_triangular_solve<T>(                                     \
      const MatrixBatch&, const T*, const LinalgAttrs&, int64_t, int64_t, T*); \
  template void small_lu<T>(const MatrixBatch&, const T*, T*);
FNX_SMALL_LINALG(float)
FNX_SMALL_LINALG(double)
#undef FNX_SMALL_LINALG

}  // namespace fnx::cpu
