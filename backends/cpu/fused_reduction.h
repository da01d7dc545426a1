// The trailing reduction of a fused program on the CPU (fused.cc,
// FusedProgram::reduction): the reduced dims are the shape's last ones, so
// the elements are rows of `inner` consecutive elements, one result each.
// The runner splits the elements into chunks; each chunk feeds its
// register values tile by tile, writes the rows wholly inside it, and
// keeps the partial rows at its two ends, which merge() combines in chunk
// order after the parallel loop (so results do not depend on timing).
// Accumulation is in double (float32 and float64 registers): sums are
// exact up to reordering, Amax and Amin exactly the kernel's, NaN
// propagating.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/dtype.h"
#include "core/primitive.h"

namespace fnx::cpu {

// What a fused reduction computes, checked once: Sum, Amax or Amin of a
// float32 or float64 register (an fnx::Error otherwise).
enum class FusedReduceKind : uint8_t { kSum, kMax, kMin };
FusedReduceKind fused_reduce_kind(Prim prim, DType dtype);
double fused_reduce_init(FusedReduceKind kind);  // the empty reduction's value

// A row's partial result at a chunk's end.
struct FusedRowPartial {
  int64_t row = -1;
  double acc = 0;
};

// One chunk's state: set begin and end, then feed, then finish.
struct FusedRowChunk {
  int64_t begin = 0, end = 0;
  int64_t row = -1;  // the row being accumulated
  double acc = 0;
  FusedRowPartial edges[2];
  int n_edges = 0;
};

class FusedRowReduction {
 public:
  // prim: Sum, Amax or Amin; dtype: the register's (float32 or float64),
  // also the result's; out: rows * itemsize bytes, contiguous.
  FusedRowReduction(Prim prim, DType dtype, int64_t inner, char* out);

  // Values of elements [pos, pos + n) (contiguous, the register's dtype),
  // inside the chunk, in increasing pos across calls.
  void feed(FusedRowChunk& chunk, int64_t pos, const char* values,
            int64_t n) const;
  // Ends the chunk (its last row).
  void finish(FusedRowChunk& chunk) const;
  // Writes the rows split between chunks, given in order.
  void merge(std::span<const FusedRowChunk> chunks) const;

  double init() const { return fused_reduce_init(kind_); }

 private:
  double combine(double a, double b) const;
  double segment(const char* values, int64_t n) const;
  void flush(FusedRowChunk& chunk) const;
  void write(int64_t row, double acc) const;

  FusedReduceKind kind_;
  DType dtype_;
  int64_t inner_;
  char* out_;
};

// A reduction over leading or middle dims (reduction_block's inner > 1):
// each outer index's slab of reduced * inner elements gives `inner`
// results. The runner splits the elements into chunks of whole slabs, so
// every result is accumulated on one thread, in order (no merge). In
// double, as the row reduction.
class FusedSlabReduction {
 public:
  FusedSlabReduction(Prim prim, DType dtype, int64_t reduced, int64_t inner,
                     char* out);

  int64_t slab() const { return reduced_ * inner_; }
  // Values of elements [pos, pos + n) (contiguous, the register's dtype),
  // in increasing pos across calls within a chunk of whole slabs; acc is
  // the chunk's inner accumulators (resized here).
  void feed(std::vector<double>& acc, int64_t pos, const char* values,
            int64_t n) const;

 private:
  FusedReduceKind kind_;
  DType dtype_;
  int64_t reduced_, inner_;
  char* out_;
};

}  // namespace fnx::cpu
