// The axes the collective primitives (AllReduce, AllGather, ReduceScatter,
// Broadcast, Ppermute; core/primitive.h) work over. An axis is either
//  - a process group: an abstract interface their kernels call. The core
//    names no transport: the dist plugin (transforms/distributed)
//    implements it over MPI, and as a single-process group when the
//    program was not launched by mpirun; or
//  - a vmap level (VmapAxis): its "ranks" are the level's examples, and
//    vmap's rule for the family at that level turns the collective into an
//    ordinary op over the batch dim (all_reduce is a reduction, all_gather
//    a movedim). vmap_mean / vmap_all_gather are these
//    (transforms/vmap/vmap_collectives.h), as JAX's psum over a vmap axis.
#pragma once

#include <cstdint>
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
  // The vmap level this axis names, or -1 for a process group.
  virtual int64_t vmap_level() const { return -1; }
};

// The axis of one vmap level (Interpreter::level(), unique for the
// process's lifetime) with `size` examples, where a group stands in
// CollectiveAttrs. The vmap level's batching rule handles every collective
// over it on a value the level batches. The buffer methods below run only
// for a value that level does not batch (it is the same in every example):
// all_reduce gives size * x (sum; so mean gives x) or x (max, min),
// all_gather `size` copies, broadcast x; reduce_scatter and ppermute, whose
// results would differ from example to example, are errors. An axis has no
// single rank: rank() is an error (so are the reverse rules that need it,
// broadcast's).
class VmapAxis final : public CommGroup {
 public:
  VmapAxis(int64_t level, int64_t size);
  int rank() const override;
  int size() const override { return static_cast<int>(size_); }
  std::string describe() const override;
  int64_t vmap_level() const override { return level_; }

  void all_reduce(const Tensor& in, const Tensor& out,
                  ReduceOp op) const override;
  void all_gather(const Tensor& in, const Tensor& out) const override;
  void reduce_scatter(const Tensor& in, const Tensor& out,
                      ReduceOp op) const override;
  void broadcast(const Tensor& in, const Tensor& out, int root) const override;
  void permute(const Tensor& in, const Tensor& out,
               std::span<const std::pair<int, int>> pairs) const override;

 private:
  int64_t level_;
  int64_t size_;
};

}  // namespace fnx
