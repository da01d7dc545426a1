#include "core/fused_elementwise.h"

#include <algorithm>
#include <array>
#include <atomic>

#include "core/dispatch.h"
#include "core/error.h"

namespace fnx {
namespace {

constexpr std::size_t kDeviceTypes = kNumDeviceTypes;

std::array<std::atomic<FusedRunner>, kDeviceTypes>& runners() {
  static std::array<std::atomic<FusedRunner>, kDeviceTypes> table{};
  return table;
}

// Bit 0: trailing reductions; bit 1: middle ones.
std::array<std::atomic<uint8_t>, kDeviceTypes>& reduction_caps() {
  static std::array<std::atomic<uint8_t>, kDeviceTypes> table{};
  return table;
}

std::size_t slot(DeviceType type) {
  const auto index = static_cast<std::size_t>(type);
  FNX_CHECK(index < kDeviceTypes, "fused_elementwise", "unknown device type ",
            device_type_name(type));
  return index;
}

}  // namespace

void set_fused_runner(DeviceType type, FusedRunner runner) {
  set_fused_runner(type, runner, FusedRunnerCaps{});
}

void set_fused_runner(DeviceType type, FusedRunner runner,
                      FusedRunnerCaps caps) {
  const uint8_t bits =
      (caps.trailing_reduction ? 1 : 0) | (caps.middle_reduction ? 2 : 0);
  reduction_caps()[slot(type)].store(bits, std::memory_order_relaxed);
  runners()[slot(type)].store(runner, std::memory_order_release);
}

FusedRunnerCaps fused_runner_caps(DeviceType type) {
  const std::size_t i = slot(type);
  if (runners()[i].load(std::memory_order_acquire) == nullptr) return {};
  const uint8_t bits = reduction_caps()[i].load(std::memory_order_relaxed);
  return {.trailing_reduction = (bits & 1) != 0,
          .middle_reduction = (bits & 2) != 0};
}

std::optional<ReductionBlock> reduction_block(const Shape& shape,
                                              const ReduceAttrs& attrs) {
  const int64_t rank = static_cast<int64_t>(shape.size());
  if (attrs.dims.empty()) return std::nullopt;
  const int64_t first = attrs.dims.front();
  const int64_t k = static_cast<int64_t>(attrs.dims.size());
  for (int64_t i = 0; i < k; ++i) {
    if (attrs.dims[i] != first + i) return std::nullopt;
  }
  if (first < 0 || first + k > rank) return std::nullopt;
  ReductionBlock b;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t& part = d < first ? b.outer : d < first + k ? b.reduced : b.inner;
    part *= shape[d];
  }
  return b;
}

bool fused_runner_runs(const FusedProgram& program) {
  if (fused_runner(program.device.type) == nullptr) return false;
  if (!program.reduction.has_value()) return true;
  const FusedRunnerCaps caps = fused_runner_caps(program.device.type);
  const std::optional<ReductionBlock> block =
      reduction_block(program.shape, program.reduction->attrs);
  if (!block.has_value()) return false;
  return block->inner == 1 ? caps.trailing_reduction : caps.middle_reduction;
}

Shape fused_reduction_shape(const FusedProgram& program) {
  FNX_CHECK(program.reduction.has_value(), "fused_elementwise",
            "the program has no reduction");
  const ReduceAttrs& a = program.reduction->attrs;
  Shape out;
  for (int64_t d = 0; d < static_cast<int64_t>(program.shape.size()); ++d) {
    const bool reduced =
        std::find(a.dims.begin(), a.dims.end(), d) != a.dims.end();
    if (!reduced) {
      out.push_back(program.shape[d]);
    } else if (a.keepdim) {
      out.push_back(1);
    }
  }
  return out;
}

FusedRunner fused_runner(DeviceType type) {
  return runners()[slot(type)].load(std::memory_order_acquire);
}

std::vector<Tensor> run_fused(const FusedProgram& program,
                              std::span<const Tensor> inputs) {
  const FusedRunner runner = fused_runner(program.device.type);
  FNX_CHECK(runner != nullptr, "fused_elementwise",
            "no fused runner for device ", program.device.str(),
            "; run the primitives one by one");
  FNX_CHECK(fused_runner_runs(program), "fused_elementwise",
            "the fused runner of ", program.device.str(),
            " does not run this reduction (",
            prim_name(program.reduction->prim), " over dims ",
            shape_str(program.reduction->attrs.dims), " of ",
            shape_str(program.shape), "); run the primitives one by one");
  note_kernel_call();
  return runner(program, inputs);
}

std::vector<Tensor> run_fused_primitives(const FusedProgram& program,
                                         std::span<const Tensor> inputs) {
  std::vector<Tensor> regs(program.instrs.size());
  for (std::size_t r = 0; r < program.instrs.size(); ++r) {
    const FusedInstr& ins = program.instrs[r];
    switch (ins.kind) {
      case FusedInstr::Kind::kInput:
        regs[r] = inputs[ins.a];
        break;
      case FusedInstr::Kind::kUnary:
        regs[r] = dispatch(ins.prim, NoAttrs{}, {regs[ins.a]});
        break;
      case FusedInstr::Kind::kBinary:
        regs[r] = dispatch(ins.prim, NoAttrs{}, {regs[ins.a], regs[ins.b]});
        break;
      case FusedInstr::Kind::kWhere:
        regs[r] = dispatch(ins.prim, NoAttrs{},
                           {regs[ins.a], regs[ins.b], regs[ins.c]});
        break;
      case FusedInstr::Kind::kCast:
        regs[r] = dispatch(Prim::Cast, CastAttrs{ins.dtype}, {regs[ins.a]});
        break;
    }
  }
  std::vector<Tensor> out;
  for (int32_t r : program.outputs) {
    out.push_back(regs[r].shape() == program.shape
                      ? regs[r]
                      : regs[r].expand(program.shape).contiguous());
  }
  if (program.reduction.has_value()) {
    const FusedReduction& red = *program.reduction;
    out.push_back(dispatch(red.prim, red.attrs, {regs[red.reg]}));
  }
  return out;
}

}  // namespace fnx
