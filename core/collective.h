// Process groups as the core sees them: an abstract interface the
// collective primitives (AllReduce, AllGather, ReduceScatter, Broadcast,
// Ppermute; core/primitive.h) call from their kernels. The core names no
// transport: the dist plugin (transforms/distributed) implements it over
// MPI, and as a single-process group when the program was not launched
// by mpirun.
#pragma once

#include <span>
#include <string>
#include <utility>

#include "core/primitive.h"

namespace fnx {

std::string_view reduce_op_name(ReduceOp op);  // "sum", "mean", "max", "min"

// A fixed set of processes that call the same collectives in the same
// order. Buffers are dense contiguous tensors of one dtype on one device;
// `out` is allocated by the caller (the primitive's kernel) with the
// result's size, and the group writes every element of it.
class CommGroup {
 public:
  virtual ~CommGroup() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // For messages: "MPI world (2 processes)", "single process".
  virtual std::string describe() const = 0;

  // out = op over the ranks' `in`, elementwise (op is Sum, Max or Min:
  // the kernel makes Mean from Sum).
  virtual void all_reduce(const Tensor& in, const Tensor& out,
                          ReduceOp op) const = 0;
  // out = the ranks' `in` one after another in rank order (size() blocks).
  virtual void all_gather(const Tensor& in, const Tensor& out) const = 0;
  // `in` is size() blocks of out's size; out = op over the ranks of block
  // rank() (Sum, Max or Min).
  virtual void reduce_scatter(const Tensor& in, const Tensor& out,
                              ReduceOp op) const = 0;
  // out = root's `in` on every rank.
  virtual void broadcast(const Tensor& in, const Tensor& out,
                         int root) const = 0;
  // For each (source, destination) pair, destination's out = source's in;
  // a rank that is no pair's destination gets zeros.
  virtual void permute(const Tensor& in, const Tensor& out,
                       std::span<const std::pair<int, int>> pairs) const = 0;
};

}  // namespace fnx
