// Where a tensor's memory lives.
#pragma once

#include <cstdint>
#include <string>

namespace fnx {

enum class DeviceType : uint8_t { CPU, CUDA };
inline constexpr int kNumDeviceTypes = 2;

struct Device {
  DeviceType type = DeviceType::CPU;
  int index = 0;

  static Device cpu() { return {}; }
  static Device cuda(int index = 0) { return {DeviceType::CUDA, index}; }
  bool operator==(const Device&) const = default;
  std::string str() const;  // "cpu", "cuda:0"
};

std::string device_type_name(DeviceType type);  // "cpu", "cuda"

}  // namespace fnx
