#include "core/fused_elementwise.h"

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

std::size_t slot(DeviceType type) {
  const auto index = static_cast<std::size_t>(type);
  FNX_CHECK(index < kDeviceTypes, "fused_elementwise", "unknown device type ",
            device_type_name(type));
  return index;
}

}  // namespace

void set_fused_runner(DeviceType type, FusedRunner runner) {
  runners()[slot(type)].store(runner, std::memory_order_release);
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
  note_kernel_call();
  return runner(program, inputs);
}

}  // namespace fnx
