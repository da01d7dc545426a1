#include "backends/cpu/fused_reduction.h"

#include <algorithm>
#include <limits>

#include "backends/common/scalar_ops.h"
#include "core/error.h"

namespace fnx::cpu {
namespace {

// Sum of n values in double, in independent lanes so the loop pipelines
// and vectorizes.
template <typename T>
double sum_of(const T* v, int64_t n) {
  constexpr int kLanes = 8;
  double lanes[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) lanes[l] += static_cast<double>(v[i + l]);
  }
  for (; i < n; ++i) lanes[0] += static_cast<double>(v[i]);
  double s = 0;
  for (double l : lanes) s += l;
  return s;
}

template <typename T, typename Op>
double extreme_of(const T* v, int64_t n, double acc) {
  const Op op;
  T best = static_cast<T>(acc);
  for (int64_t i = 0; i < n; ++i) best = op(best, v[i]);
  return static_cast<double>(best);
}

}  // namespace

FusedReduceKind fused_reduce_kind(Prim prim, DType dtype) {
  FNX_CHECK(dtype == DType::Float32 || dtype == DType::Float64,
            "fused_elementwise", "a trailing reduction reduces float32 or ",
            "float64, not ", dtype_name(dtype));
  switch (prim) {
    case Prim::Sum:
      return FusedReduceKind::kSum;
    case Prim::Amax:
      return FusedReduceKind::kMax;
    case Prim::Amin:
      return FusedReduceKind::kMin;
    default:
      fail("fused_elementwise",
           "a trailing reduction is Sum, Amax or Amin, not ", prim_name(prim));
  }
}

double fused_reduce_init(FusedReduceKind kind) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  switch (kind) {
    case FusedReduceKind::kSum:
      return 0;
    case FusedReduceKind::kMax:
      return -inf;
    case FusedReduceKind::kMin:
      return inf;
  }
  return 0;
}

FusedRowReduction::FusedRowReduction(Prim prim, DType dtype, int64_t inner,
                                     char* out)
    : kind_(fused_reduce_kind(prim, dtype)),
      dtype_(dtype),
      inner_(inner),
      out_(out) {}

double FusedRowReduction::combine(double a, double b) const {
  switch (kind_) {
    case FusedReduceKind::kSum:
      return a + b;
    case FusedReduceKind::kMax:
      return scalar::MaximumOp{}(a, b);
    case FusedReduceKind::kMin:
      return scalar::MinimumOp{}(a, b);
  }
  return a;
}

double FusedRowReduction::segment(const char* values, int64_t n) const {
  auto run = [&]<typename T>(const T* v) {
    switch (kind_) {
      case FusedReduceKind::kSum:
        return sum_of(v, n);
      case FusedReduceKind::kMax:
        return extreme_of<T, scalar::MaximumOp>(v, n, init());
      case FusedReduceKind::kMin:
        return extreme_of<T, scalar::MinimumOp>(v, n, init());
    }
    return 0.0;
  };
  return dtype_ == DType::Float32
             ? run(reinterpret_cast<const float*>(values))
             : run(reinterpret_cast<const double*>(values));
}

void FusedRowReduction::write(int64_t row, double acc) const {
  if (dtype_ == DType::Float32) {
    reinterpret_cast<float*>(out_)[row] = static_cast<float>(acc);
  } else {
    reinterpret_cast<double*>(out_)[row] = acc;
  }
}

void FusedRowReduction::flush(FusedRowChunk& chunk) const {
  if (chunk.row < 0) return;
  const bool whole = chunk.row * inner_ >= chunk.begin &&
                     (chunk.row + 1) * inner_ <= chunk.end;
  if (whole) {
    write(chunk.row, chunk.acc);
  } else {
    chunk.edges[chunk.n_edges++] = {chunk.row, chunk.acc};
  }
  chunk.row = -1;
}

void FusedRowReduction::feed(FusedRowChunk& chunk, int64_t pos,
                             const char* values, int64_t n) const {
  const int64_t item = static_cast<int64_t>(itemsize(dtype_));
  const int64_t end = pos + n;
  while (pos < end) {
    const int64_t row = pos / inner_;
    if (row != chunk.row) {
      flush(chunk);
      chunk.row = row;
      chunk.acc = init();
    }
    const int64_t stop = std::min(end, (row + 1) * inner_);
    chunk.acc = combine(chunk.acc, segment(values, stop - pos));
    values += (stop - pos) * item;
    pos = stop;
  }
}

void FusedRowReduction::finish(FusedRowChunk& chunk) const { flush(chunk); }

void FusedRowReduction::merge(std::span<const FusedRowChunk> chunks) const {
  int64_t row = -1;
  double acc = 0;
  for (const FusedRowChunk& chunk : chunks) {
    for (int e = 0; e < chunk.n_edges; ++e) {
      const FusedRowPartial& p = chunk.edges[e];
      if (p.row != row) {
        if (row >= 0) write(row, acc);
        row = p.row;
        acc = init();
      }
      acc = combine(acc, p.acc);
    }
  }
  if (row >= 0) write(row, acc);
}

FusedSlabReduction::FusedSlabReduction(Prim prim, DType dtype, int64_t reduced,
                                       int64_t inner, char* out)
    : kind_(fused_reduce_kind(prim, dtype)),
      dtype_(dtype),
      reduced_(reduced),
      inner_(inner),
      out_(out) {}

namespace {

// a[j] combined with v[r * inner + j] for r = 0..rows-1 in order, per
// column j.
template <typename T, typename Combine>
void feed_rows(const Combine& combine, double* a, int64_t inner, int64_t rows,
               const T* v) {
  constexpr int64_t kCols = 8;
  int64_t j = 0;
  for (; j + kCols <= inner; j += kCols) {
    double s[kCols];
    for (int64_t t = 0; t < kCols; ++t) s[t] = a[j + t];
    for (int64_t r = 0; r < rows; ++r) {
      const T* row = v + r * inner + j;
      for (int64_t t = 0; t < kCols; ++t) {
        s[t] = combine(s[t], static_cast<double>(row[t]));
      }
    }
    for (int64_t t = 0; t < kCols; ++t) a[j + t] = s[t];
  }
  for (; j < inner; ++j) {
    double s = a[j];
    for (int64_t r = 0; r < rows; ++r) {
      s = combine(s, static_cast<double>(v[r * inner + j]));
    }
    a[j] = s;
  }
}

// The slab loop for one dtype and combine: one call per tile, segments of
// a row each, accumulators reset at each slab's start and written at its
// end.
template <typename T, typename Combine>
void feed_slabs(std::vector<double>& acc, double init, int64_t slab,
                int64_t inner, int64_t pos, const T* v, int64_t n, T* out) {
  const Combine combine;
  double* a = acc.data();
  // Positions advance by rows: one division to start, none per row (two
  // per 32-element row were most of the feed's time).
  int64_t within = pos % slab;
  int64_t i0 = within % inner;
  T* o = out + pos / slab * inner;
  while (n > 0) {
    if (within == 0) std::fill(acc.begin(), acc.end(), init);
    if (i0 == 0 && n >= 2 * inner) {
      // Whole rows of one slab: each accumulator takes its column's rows in
      // order (the same additions as row by row), eight columns at a time
      // in registers rather than a load and a store per element.
      const int64_t rows = std::min(n, slab - within) / inner;
      if (rows >= 2) {
        feed_rows(combine, a, inner, rows, v);
        within += rows * inner;
        v += rows * inner;
        n -= rows * inner;
        if (within == slab) {
          for (int64_t i = 0; i < inner; ++i) o[i] = static_cast<T>(a[i]);
          within = 0;
          o += inner;
        }
        continue;
      }
    }
    const int64_t len = std::min(n, inner - i0);
    for (int64_t i = 0; i < len; ++i) {
      a[i0 + i] = combine(a[i0 + i], static_cast<double>(v[i]));
    }
    within += len;
    i0 += len;
    if (i0 == inner) i0 = 0;
    if (within == slab) {
      for (int64_t i = 0; i < inner; ++i) o[i] = static_cast<T>(a[i]);
      within = 0;
      o += inner;
    }
    v += len;
    n -= len;
  }
}

struct PlusOp {
  double operator()(double a, double b) const { return a + b; }
};

}  // namespace

void FusedSlabReduction::feed(std::vector<double>& acc, int64_t pos,
                              const char* values, int64_t n) const {
  if (static_cast<int64_t>(acc.size()) != inner_) {
    acc.resize(static_cast<std::size_t>(inner_));
  }
  const int64_t slab = reduced_ * inner_;
  auto run = [&]<typename T>(const T* v) {
    T* out = reinterpret_cast<T*>(out_);
    switch (kind_) {
      case FusedReduceKind::kSum:
        return feed_slabs<T, PlusOp>(acc, 0.0, slab, inner_, pos, v, n, out);
      case FusedReduceKind::kMax:
        return feed_slabs<T, scalar::MaximumOp>(acc, fused_reduce_init(kind_),
                                                slab, inner_, pos, v, n, out);
      case FusedReduceKind::kMin:
        return feed_slabs<T, scalar::MinimumOp>(acc, fused_reduce_init(kind_),
                                                slab, inner_, pos, v, n, out);
    }
  };
  if (dtype_ == DType::Float32) {
    run(reinterpret_cast<const float*>(values));
  } else {
    run(reinterpret_cast<const double*>(values));
  }
}

}  // namespace fnx::cpu
