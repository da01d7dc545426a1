#include "core/device.h"

namespace fnx {

std::string Device::str() const {
  return type == DeviceType::CPU ? "cpu" : "cuda:" + std::to_string(index);
}

std::string device_type_name(DeviceType type) {
  return type == DeviceType::CPU ? "cpu" : "cuda";
}

}  // namespace fnx
