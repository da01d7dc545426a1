// The CUDA fused runner: checks a program against what the kernels compute
// (each instruction's functor must give the register's dtype), lays out its
// inputs over the merged iteration space, and launches one kernel: the
// specialised one where fused_module.cc can compile it, else the
// interpreter (fused.cu). Programs beyond the interpreter's fixed limits
// (instructions, inputs, outputs) run instruction by instruction through
// the ordinary kernels, which gives the same values.
#include "backends/cuda/fused.h"

#include <atomic>
#include <optional>
#include <vector>

#include "backends/common/scalar_ops.h"
#include "backends/cuda/fused_ops.h"
#include "backends/cuda/kernels.h"
#include "backends/cuda/tensors.h"
#include "core/dispatch.h"
#include "core/error.h"
#include "core/registry.h"

namespace fnx::cuda {
namespace {

constexpr std::string_view kOp = "fused_elementwise";

std::atomic<CompiledFusedLauncher> g_launcher{nullptr};
std::atomic<int64_t> g_interpreted{0}, g_specialised{0}, g_unfused{0},
    g_compiled{0};

template <typename T>
std::optional<DType> dtype_of() {
  if constexpr (std::is_same_v<T, bool>) return DType::Bool;
  if constexpr (std::is_same_v<T, int32_t>) return DType::Int32;
  if constexpr (std::is_same_v<T, int64_t>) return DType::Int64;
  if constexpr (std::is_same_v<T, float>) return DType::Float32;
  if constexpr (std::is_same_v<T, double>) return DType::Float64;
  return std::nullopt;
}

// The dtype Op gives for operands of dtype `in` (what the kernels store).
template <typename Op, int kArity>
std::optional<DType> result_dtype(DType in) {
  std::optional<DType> out;
  FNX_DISPATCH_ALL_TYPES(in, [&] {
    if constexpr (kArity == 1) {
      out = dtype_of<decltype(Op{}(scalar_t{}))>();
    } else {
      out = dtype_of<decltype(Op{}(scalar_t{}, scalar_t{}))>();
    }
  });
  return out;
}

struct OpInfo {
  uint8_t code = 0;
  std::optional<DType> result;
};

std::optional<OpInfo> unary_info(Prim prim, DType in) {
  switch (prim) {
#define FNX_FUSED_CASE(name)                           \
  case Prim::name:                                     \
    return OpInfo{static_cast<uint8_t>(UnaryOp::name), \
                  result_dtype<scalar::name##Op, 1>(in)};
    FNX_CUDA_FUSED_UNARY_OPS(FNX_FUSED_CASE)
#undef FNX_FUSED_CASE
    default:
      return std::nullopt;
  }
}

std::optional<OpInfo> binary_info(Prim prim, DType in) {
  switch (prim) {
#define FNX_FUSED_CASE(name)                            \
  case Prim::name:                                      \
    return OpInfo{static_cast<uint8_t>(BinaryOp::name), \
                  result_dtype<scalar::name##Op, 2>(in)};
    FNX_CUDA_FUSED_BINARY_OPS(FNX_FUSED_CASE)
#undef FNX_FUSED_CASE
    default:
      return std::nullopt;
  }
}

uint8_t code_of(DType d) { return static_cast<uint8_t>(scalar_of(d)); }

// Checks instruction r (reading only earlier registers, with dtypes the
// kernels compute) and encodes it for the interpreter.
FusedOp encode(const FusedProgram& prog, std::size_t r, std::size_t inputs) {
  const FusedInstr& ins = prog.instrs[r];
  const auto reads = [&](int32_t x) {
    FNX_CHECK(x >= 0 && static_cast<std::size_t>(x) < r, kOp, "instruction ", r,
              " reads register ", x, ", which is not an earlier one");
    return prog.instrs[x].dtype;
  };
  FusedOp op{};
  op.type = code_of(ins.dtype);
  op.a = static_cast<int16_t>(ins.a);
  op.b = static_cast<int16_t>(ins.b);
  op.c = static_cast<int16_t>(ins.c);
  const auto check_result = [&](const std::optional<OpInfo>& info, DType in) {
    FNX_CHECK(info.has_value(), kOp, "instruction ", r, " applies ",
              prim_name(ins.prim), ", which is not a ",
              ins.kind == FusedInstr::Kind::kUnary ? "unary" : "binary",
              " elementwise primitive");
    FNX_CHECK(info->result == ins.dtype, kOp, "instruction ", r, ": ",
              prim_name(ins.prim), " of ", dtype_name(in), " gives ",
              info->result ? dtype_name(*info->result) : "no element type",
              " on CUDA, not the register's ", dtype_name(ins.dtype),
              "; cast the operand first");
    op.op = info->code;
    op.from = code_of(in);
  };
  switch (ins.kind) {
    case FusedInstr::Kind::kInput:
      FNX_CHECK(ins.a >= 0 && static_cast<std::size_t>(ins.a) < inputs, kOp,
                "instruction ", r, " reads input ", ins.a, " of ", inputs);
      op.kind = FusedKind::Input;
      break;
    case FusedInstr::Kind::kUnary: {
      const DType in = reads(ins.a);
      check_result(unary_info(ins.prim, in), in);
      op.kind = FusedKind::Unary;
      break;
    }
    case FusedInstr::Kind::kBinary: {
      const DType in = reads(ins.a);
      FNX_CHECK(reads(ins.b) == in, kOp, "instruction ", r, ": ",
                prim_name(ins.prim), " reads ", dtype_name(in), " and ",
                dtype_name(prog.instrs[ins.b].dtype),
                "; both operands must have one dtype");
      check_result(binary_info(ins.prim, in), in);
      op.kind = FusedKind::Binary;
      break;
    }
    case FusedInstr::Kind::kWhere:
      FNX_CHECK(reads(ins.a) == DType::Bool && reads(ins.b) == ins.dtype &&
                    reads(ins.c) == ins.dtype,
                kOp, "instruction ", r, ": where needs a bool condition and ",
                "two ", dtype_name(ins.dtype), " operands");
      op.kind = FusedKind::Where;
      break;
    case FusedInstr::Kind::kCast:
      op.from = code_of(reads(ins.a));
      op.kind = FusedKind::Cast;
      break;
  }
  return op;
}

// The program one primitive at a time (through the ordinary kernels).
std::vector<Tensor> run_unfused(const FusedProgram& prog,
                                std::span<const Tensor> inputs) {
  g_unfused.fetch_add(1, std::memory_order_relaxed);
  return run_fused_primitives(prog, inputs);
}

// The iteration space: size-1 dims dropped, dims merged where every input
// (and the contiguous output) steps through them as one.
void lay_out(const FusedProgram& prog, std::span<const Tensor> inputs,
             FusedArgs& args) {
  const Shape& shape = prog.shape;
  std::vector<Strides> in;
  for (const Tensor& t : inputs) in.push_back(broadcast_strides(t, shape));
  in.push_back(contiguous_strides(shape));
  Shape sizes;
  std::vector<Strides> steps(in.size());
  for (std::size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    bool merge = !sizes.empty();
    for (std::size_t k = 0; k < in.size() && merge; ++k) {
      merge = steps[k].back() == in[k][d] * shape[d];
    }
    if (merge) {
      sizes.back() *= shape[d];
      for (std::size_t k = 0; k < in.size(); ++k) steps[k].back() = in[k][d];
    } else {
      sizes.push_back(shape[d]);
      for (std::size_t k = 0; k < in.size(); ++k) steps[k].push_back(in[k][d]);
    }
  }
  FNX_CHECK(sizes.size() <= static_cast<std::size_t>(kFusedMaxDims), kOp,
            "a CUDA fused kernel handles at most ", kFusedMaxDims,
            " dims that cannot be merged; got ", shape_str(shape),
            ". Make the inputs contiguous first");
  args.ndim = static_cast<int32_t>(sizes.size());
  args.numel = numel(shape);
  for (int d = 0; d < args.ndim; ++d) {
    args.sizes[d] = sizes[d];
    for (std::size_t k = 0; k < inputs.size(); ++k) {
      args.in_strides[k][d] =
          steps[k][d] * static_cast<int64_t>(itemsize(inputs[k].dtype()));
    }
  }
}

std::vector<Tensor> run_program(const FusedProgram& prog,
                                std::span<const Tensor> inputs) {
  for (const Tensor& t : inputs) {
    FNX_CHECK(!t.is_wrapper() && t.device() == prog.device, kOp,
              "inputs must be dense tensors on ", prog.device.str(), "; got ",
              t.is_wrapper() ? "a transform's tensor" : t.device().str());
  }
  FNX_CHECK(!prog.outputs.empty(), kOp, "the program has no outputs");
  if (prog.instrs.size() > static_cast<std::size_t>(kFusedMaxInstrs) ||
      inputs.size() > static_cast<std::size_t>(kFusedMaxInputs) ||
      prog.outputs.size() > static_cast<std::size_t>(kFusedMaxOutputs)) {
    return run_unfused(prog, inputs);
  }
  FusedArgs args{};
  args.n_instrs = static_cast<int32_t>(prog.instrs.size());
  args.n_inputs = static_cast<int32_t>(inputs.size());
  args.n_outputs = static_cast<int32_t>(prog.outputs.size());
  for (std::size_t r = 0; r < prog.instrs.size(); ++r) {
    args.ops[r] = encode(prog, r, inputs.size());
    if (prog.instrs[r].kind == FusedInstr::Kind::kInput) {
      const Tensor& t = inputs[prog.instrs[r].a];
      FNX_CHECK(t.dtype() == prog.instrs[r].dtype, kOp, "input ",
                prog.instrs[r].a, " is ", dtype_name(t.dtype()),
                " but the program reads it as ",
                dtype_name(prog.instrs[r].dtype));
    }
  }
  lay_out(prog, inputs, args);
  for (std::size_t k = 0; k < inputs.size(); ++k)
    args.in_ptrs[k] = dptr(inputs[k]);
  std::vector<Tensor> results;
  for (std::size_t k = 0; k < prog.outputs.size(); ++k) {
    const int32_t r = prog.outputs[k];
    FNX_CHECK(r >= 0 && static_cast<std::size_t>(r) < prog.instrs.size(), kOp,
              "output ", k, " names register ", r, " of ", prog.instrs.size());
    results.push_back(
        make_result(OutMeta{prog.shape, prog.instrs[r].dtype, prog.device}));
    args.out_ptrs[k] = dptr(results.back());
    args.out_regs[k] = static_cast<int16_t>(r);
  }
  if (args.numel == 0) return results;
  const Context& ctx = context(prog.device);
  const CompiledFusedLauncher launcher =
      g_launcher.load(std::memory_order_acquire);
  if (launcher != nullptr && launcher(prog, args, ctx)) {
    g_specialised.fetch_add(1, std::memory_order_relaxed);
    return results;
  }
  launched(launch_fused_interpreter(args, ctx.stream), kOp);
  g_interpreted.fetch_add(1, std::memory_order_relaxed);
  return results;
}

}  // namespace

void set_compiled_fused_launcher(CompiledFusedLauncher launcher) {
  g_launcher.store(launcher, std::memory_order_release);
}

void note_compiled_fused_kernel() {
  g_compiled.fetch_add(1, std::memory_order_relaxed);
}

FusedStats fused_stats() {
  return {g_interpreted.load(), g_specialised.load(), g_unfused.load(),
          g_compiled.load()};
}

FNX_REGISTER_PLUGIN("cuda") {
  set_fused_runner(DeviceType::CUDA, &run_program);
}

}  // namespace fnx::cuda
