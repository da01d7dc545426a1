#include "backends/common/device_transfer.h"

#include "core/ops/ops.h"
#include "core/storage.h"

namespace fnx::backend {

// The source is made contiguous on its own device first; the result is a
// fresh contiguous tensor on out.device.
Tensor to_device_kernel(const OpCall& call, const OutMeta& out) {
  const Tensor src = contiguous(call.inputs[0]);
  const Device from = src.device();
  Allocator& remote = device_allocator(
      out.device.type != DeviceType::CPU ? out.device : from, "to");
  Tensor result = empty(src.shape(), src.dtype(), out.device);
  const std::size_t item = itemsize(src.dtype());
  const std::size_t nbytes = static_cast<std::size_t>(src.numel()) * item;
  if (nbytes == 0) return result;
  remote.copy_bytes(result.impl()->storage->data(), out.device,
                    static_cast<const char*>(src.impl()->storage->data()) +
                        static_cast<std::size_t>(src.offset()) * item,
                    from, nbytes);
  return result;
}

}  // namespace fnx::backend
