#include "core/device.h"

namespace fnx {

std::string Device::str() const {
  // The CPU is one device: cpu:7 is shown as such so a message about it
  // never reads "cpu and cpu".
  if (type == DeviceType::CPU) {
    return index == 0 ? "cpu" : "cpu:" + std::to_string(index);
  }
  return "cuda:" + std::to_string(index);
}

std::string device_type_name(DeviceType type) {
  return type == DeviceType::CPU ? "cpu" : "cuda";
}

}  // namespace fnx
