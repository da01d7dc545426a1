#include "core/storage.h"

#include <array>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>

#include "core/cpu_allocator.h"
#include "core/error.h"
#include "core/memory_stats.h"
#include "core/plugin_loading.h"

namespace fnx {
namespace {

std::atomic<int64_t> g_live_bytes{0};
std::atomic<uint64_t> g_next_serial{1};

struct AllocatorTable {
  std::array<std::atomic<Allocator*>, kNumDeviceTypes> by_type;
  AllocatorTable() {
    for (auto& a : by_type) a.store(nullptr);
    by_type[static_cast<int>(DeviceType::CPU)].store(&cpu_allocator());
  }
};

std::array<std::atomic<Allocator*>, kNumDeviceTypes>& allocators() {
  static AllocatorTable table;
  return table.by_type;
}

}  // namespace

void set_allocator(DeviceType type, Allocator* allocator) {
  allocators()[static_cast<int>(type)].store(allocator);
}

Allocator* allocator(DeviceType type) {
  return allocators()[static_cast<int>(type)].load(std::memory_order_relaxed);
}

void Allocator::copy_bytes(void* dst, Device, const void* src, Device,
                           std::size_t nbytes) {
  if (nbytes > 0) std::memcpy(dst, src, nbytes);
}

Allocator& device_allocator(Device device, std::string_view op) {
  Allocator* alloc = allocator(device.type);
  if (alloc == nullptr && device.type != DeviceType::CPU) {
    ensure_device_backend(device.type);  // libfnx_<type>.so, once
    alloc = allocator(device.type);
  }
  FNX_CHECK(alloc != nullptr, op, "no backend for device ", device.str(),
            ": link it (build with --config=", device_type_name(device.type),
            ") or put libfnx_", device_type_name(device.type),
            ".so where fnx finds it (FNX_PLUGIN_DIR, next to the program, "
            "or FNX_PLUGINS)");
  return *alloc;
}

std::shared_ptr<Storage> Storage::allocate(std::size_t nbytes, Device device) {
  Allocator& alloc = device_allocator(device, "allocate");
  void* data = alloc.allocate_on(nbytes, device);
  FNX_CHECK(data != nullptr, "allocate", "out of memory allocating ", nbytes,
            " bytes on ", device.str());
  return std::make_shared<Storage>(data, nbytes, device, &alloc);
}

Storage::Storage(void* data, std::size_t nbytes, Device device,
                 Allocator* owner)
    : data_(data),
      nbytes_(nbytes),
      device_(device),
      owner_(owner),
      serial_(g_next_serial.fetch_add(1, std::memory_order_relaxed)) {
  g_live_bytes.fetch_add(static_cast<int64_t>(nbytes), std::memory_order_relaxed);
  memory_internal::note_allocated(device, static_cast<int64_t>(nbytes));
}

Storage::~Storage() {
  g_live_bytes.fetch_sub(static_cast<int64_t>(nbytes_), std::memory_order_relaxed);
  memory_internal::note_released(device_, static_cast<int64_t>(nbytes_));
  if (owner_ != nullptr) owner_->deallocate_on(data_, nbytes_, device_);
}

int64_t live_storage_bytes() { return g_live_bytes.load(); }

uint64_t Storage::next_serial() {
  return g_next_serial.load(std::memory_order_relaxed);
}

}  // namespace fnx
