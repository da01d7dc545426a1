// Fused elementwise programs: a straight line of unary, binary, compare,
// where and cast primitives over inputs broadcast to one shape, which a
// backend may run as one pass over memory (compile's fusion builds them).
// The core names no backend: a backend that can run them installs a
// runner for its device type when it registers; without one the caller
// runs the primitives one by one (the results are the same either way).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/device.h"
#include "core/dtype.h"
#include "core/primitive.h"
#include "core/shape.h"
#include "core/tensor.h"

namespace fnx {

struct FusedInstr {
  enum class Kind : uint8_t { kInput, kUnary, kBinary, kWhere, kCast };
  Kind kind = Kind::kInput;
  Prim prim = Prim::Add;  // kUnary, kBinary (compares too), kWhere, kCast
  DType dtype = DType::Float32;  // the register's dtype
  // kInput: the input's index; otherwise the registers read (earlier
  // instructions), -1 when unused.
  int32_t a = -1, b = -1, c = -1;
};

// An optional reduction ending a program: `prim` (Sum, Amax or Amin, with
// the primitive's attributes: dims normalized and sorted) of register
// `reg` over `attrs.dims`, which are the last dims of the program's shape
// (all of them for a full reduction). The runner computes it in the same
// pass over the elements, without writing register `reg` to memory, and
// returns it after the outputs. Sums may differ from the primitive's by
// rounding (another order of additions, in double for float32 and
// float64); Amax and Amin are exact.
struct FusedReduction {
  Prim prim = Prim::Sum;
  ReduceAttrs attrs;
  int32_t reg = -1;
};

// Register i holds instruction i's result over every element of `shape`.
// Unary and binary instructions read and write one dtype (compares write
// bool); where reads a bool register and two of its dtype; cast converts
// as the Cast primitive does.
struct FusedProgram {
  Shape shape;
  Device device;
  std::vector<FusedInstr> instrs;
  std::vector<int32_t> outputs;  // registers returned, in order
  // Only in programs for a runner whose capabilities have
  // trailing_reduction; its result is returned last.
  std::optional<FusedReduction> reduction;
};

// Runs the program on dense inputs of the program's device (each
// broadcastable to its shape); returns one new contiguous tensor per output.
using FusedRunner = std::vector<Tensor> (*)(const FusedProgram& program,
                                            std::span<const Tensor> inputs);

// What a runner can do beyond the elementwise program (compile's fusion
// builds only programs the device's runner can run).
struct FusedRunnerCaps {
  // Runs FusedProgram::reduction over the shape's last dims...
  bool trailing_reduction = false;
  // ...and over a block of leading or middle dims (results (outer, inner)).
  bool middle_reduction = false;
};

// Installed by a backend at registration; null where none is. The
// two-argument form declares no capabilities.
void set_fused_runner(DeviceType type, FusedRunner runner);
void set_fused_runner(DeviceType type, FusedRunner runner,
                      FusedRunnerCaps caps);
FusedRunner fused_runner(DeviceType type);
FusedRunnerCaps fused_runner_caps(DeviceType type);

// The shape of a program's reduction result (reduction must be set).
Shape fused_reduction_shape(const FusedProgram& program);

// A reduction over one block of consecutive dims of `shape`, seen as
// (outer, reduced, inner) elements: inner is 1 when the block ends at the
// last dim. nullopt when the dims are not one block (or none).
struct ReductionBlock {
  int64_t outer = 1, reduced = 1, inner = 1;
};
std::optional<ReductionBlock> reduction_block(const Shape& shape,
                                              const ReduceAttrs& attrs);

// Whether the program's device has a runner that runs it, its reduction
// included (FusedRunnerCaps).
bool fused_runner_runs(const FusedProgram& program);

// Runs the program through its device's runner as one kernel call (counted
// by kernel_calls()). Only for dense inputs, when fused_runner_runs().
std::vector<Tensor> run_fused(const FusedProgram& program,
                              std::span<const Tensor> inputs);

// Runs the program's primitives one by one through dispatch (so under any
// transform, and where no runner takes the program): the same outputs as a
// runner's, each expanded to the program's shape, then the reduction's.
std::vector<Tensor> run_fused_primitives(const FusedProgram& program,
                                         std::span<const Tensor> inputs);

}  // namespace fnx
