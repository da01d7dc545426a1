// The arguments of a fused elementwise kernel (fused.cu's interpreter and
// the NVRTC-specialised kernels of fused_source.cc take the same struct, by
// value): the iteration space, the inputs' addresses and byte strides over
// it, the outputs (contiguous) and, for the interpreter, the instruction
// list. Plain C++ with <cstdint> only: NVRTC compiles this header too.
#pragma once

#include <cstdint>

namespace fnx::cuda {

// Limits of one launch, chosen so that the struct stays well under the
// 4 KiB of kernel parameters every CUDA device takes. A program beyond them
// runs instruction by instruction (fused.cc).
inline constexpr int kFusedMaxDims = 8;
inline constexpr int kFusedMaxInstrs = 48;
inline constexpr int kFusedMaxInputs = 12;
inline constexpr int kFusedMaxOutputs = 6;

// Instruction kinds, as fnx::FusedInstr::Kind.
enum class FusedKind : uint8_t { Input, Unary, Binary, Where, Cast };

// One instruction. `op`: a UnaryOp / BinaryOp code (kernels.h); `type`:
// the register's element type, `from`: the type the instruction reads
// (binary and unary operands, the cast's source), both kernels.h Scalar
// codes; a, b, c: registers read (Input: the input's index).
struct FusedOp {
  FusedKind kind;
  uint8_t op;
  uint8_t type;
  uint8_t from;
  int16_t a, b, c;
};

struct FusedArgs {
  int32_t ndim;
  int32_t n_instrs;
  int32_t n_inputs;
  int32_t n_outputs;
  int64_t numel;
  int64_t sizes[kFusedMaxDims];
  const char* in_ptrs[kFusedMaxInputs];
  int64_t in_strides[kFusedMaxInputs][kFusedMaxDims];  // bytes; 0 broadcasts
  char* out_ptrs[kFusedMaxOutputs];
  int16_t out_regs[kFusedMaxOutputs];
  FusedOp ops[kFusedMaxInstrs];
};

// Threads per block of both kernels.
inline constexpr int kFusedThreads = 256;

}  // namespace fnx::cuda
