// Fused elementwise programs: a straight line of unary, binary, compare,
// where and cast primitives over inputs broadcast to one shape, which a
// backend may run as one pass over memory (compile's fusion builds them).
// The core names no backend: a backend that can run them installs a
// runner for its device type when it registers; without one the caller
// runs the primitives one by one (the results are the same either way).
#pragma once

#include <cstdint>
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

// Register i holds instruction i's result over every element of `shape`.
// Unary and binary instructions read and write one dtype (compares write
// bool); where reads a bool register and two of its dtype; cast converts
// as the Cast primitive does.
struct FusedProgram {
  Shape shape;
  Device device;
  std::vector<FusedInstr> instrs;
  std::vector<int32_t> outputs;  // registers returned, in order
};

// Runs the program on dense inputs of the program's device (each
// broadcastable to its shape); returns one new contiguous tensor per output.
using FusedRunner = std::vector<Tensor> (*)(const FusedProgram& program,
                                            std::span<const Tensor> inputs);

// Installed by a backend at registration; null where none is.
void set_fused_runner(DeviceType type, FusedRunner runner);
FusedRunner fused_runner(DeviceType type);

// Runs the program through its device's runner as one kernel call (counted
// by kernel_calls()). Only for dense inputs, with fused_runner() non-null.
std::vector<Tensor> run_fused(const FusedProgram& program,
                              std::span<const Tensor> inputs);

}  // namespace fnx
