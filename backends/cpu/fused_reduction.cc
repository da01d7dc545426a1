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

FusedRowReduction::FusedRowReduction(Prim prim, DType dtype, int64_t inner,
                                     char* out)
    : dtype_(dtype), inner_(inner), out_(out) {
  switch (prim) {
    case Prim::Sum:
      kind_ = Kind::kSum;
      break;
    case Prim::Amax:
      kind_ = Kind::kMax;
      break;
    case Prim::Amin:
      kind_ = Kind::kMin;
      break;
    default:
      fail("fused_elementwise",
           "a trailing reduction is Sum, Amax or Amin, not ", prim_name(prim));
  }
  FNX_CHECK(dtype == DType::Float32 || dtype == DType::Float64,
            "fused_elementwise", "a trailing reduction reduces float32 or ",
            "float64, not ", dtype_name(dtype));
}

double FusedRowReduction::init() const {
  constexpr double inf = std::numeric_limits<double>::infinity();
  switch (kind_) {
    case Kind::kSum:
      return 0;
    case Kind::kMax:
      return -inf;
    case Kind::kMin:
      return inf;
  }
  return 0;
}

double FusedRowReduction::combine(double a, double b) const {
  switch (kind_) {
    case Kind::kSum:
      return a + b;
    case Kind::kMax:
      return scalar::MaximumOp{}(a, b);
    case Kind::kMin:
      return scalar::MinimumOp{}(a, b);
  }
  return a;
}

double FusedRowReduction::segment(const char* values, int64_t n) const {
  auto run = [&]<typename T>(const T* v) {
    switch (kind_) {
      case Kind::kSum:
        return sum_of(v, n);
      case Kind::kMax:
        return extreme_of<T, scalar::MaximumOp>(v, n, init());
      case Kind::kMin:
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

void FusedRowReduction::combine_into(double* acc, const char* values,
                                     int64_t n) const {
  auto run = [&]<typename T>(const T* v) {
    switch (kind_) {
      case Kind::kSum:
        for (int64_t i = 0; i < n; ++i) acc[i] += static_cast<double>(v[i]);
        return;
      case Kind::kMax:
        for (int64_t i = 0; i < n; ++i) {
          acc[i] = scalar::MaximumOp{}(acc[i], static_cast<double>(v[i]));
        }
        return;
      case Kind::kMin:
        for (int64_t i = 0; i < n; ++i) {
          acc[i] = scalar::MinimumOp{}(acc[i], static_cast<double>(v[i]));
        }
        return;
    }
  };
  if (dtype_ == DType::Float32) {
    run(reinterpret_cast<const float*>(values));
  } else {
    run(reinterpret_cast<const double*>(values));
  }
}

FusedSlabReduction::FusedSlabReduction(Prim prim, DType dtype, int64_t reduced,
                                       int64_t inner, char* out)
    : row_(prim, dtype, 1, out),
      dtype_(dtype),
      reduced_(reduced),
      inner_(inner),
      out_(out) {}

void FusedSlabReduction::feed(std::vector<double>& acc, int64_t pos,
                              const char* values, int64_t n) const {
  const int64_t item = static_cast<int64_t>(itemsize(dtype_));
  const int64_t slab = reduced_ * inner_;
  if (static_cast<int64_t>(acc.size()) != inner_) {
    acc.resize(static_cast<std::size_t>(inner_));
  }
  while (n > 0) {
    const int64_t within = pos % slab;
    if (within == 0) std::fill(acc.begin(), acc.end(), row_.init());
    const int64_t i0 = within % inner_;
    const int64_t len = std::min(n, inner_ - i0);
    row_.combine_into(acc.data() + i0, values, len);
    if (within + len == slab) {
      // The slab's last row: its results are complete.
      const int64_t base = pos / slab * inner_;
      for (int64_t i = 0; i < inner_; ++i) {
        if (dtype_ == DType::Float32) {
          reinterpret_cast<float*>(out_)[base + i] = static_cast<float>(acc[i]);
        } else {
          reinterpret_cast<double*>(out_)[base + i] = acc[i];
        }
      }
    }
    pos += len;
    values += len * item;
    n -= len;
  }
}

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

}  // namespace fnx::cpu
