// Storage: one 64-byte aligned block of device memory shared by a tensor and
// all of its views. Each device type has one Allocator (the CPU one is built
// in; backends install theirs).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "core/device.h"

namespace fnx {

class Allocator {
 public:
  virtual ~Allocator() = default;
  virtual void* allocate(std::size_t nbytes) = 0;
  virtual void deallocate(void* ptr, std::size_t nbytes) = 0;

  // What Storage calls: a device backend allocates on `device` (its type's
  // devices may be several); host allocators ignore it.
  virtual void* allocate_on(std::size_t nbytes, Device device) {
    (void)device;
    return allocate(nbytes);
  }
  virtual void deallocate_on(void* ptr, std::size_t nbytes, Device device) {
    (void)device;
    deallocate(ptr, nbytes);
  }
  // Copies nbytes of contiguous memory between this allocator's device type
  // and the host (or two devices of this type); core's to_device calls it.
  // Returns once dst may be read on its device: a copy to the host waits for
  // the device's pending work. The host allocator's copy is memcpy.
  virtual void copy_bytes(void* dst, Device dst_device, const void* src,
                          Device src_device, std::size_t nbytes);
};

// Installs the allocator for a device type (backends call this when they
// register). The allocator must outlive every storage made with it.
void set_allocator(DeviceType type, Allocator* allocator);
Allocator* allocator(DeviceType type);  // null when no backend installed one
// The allocator for `type`, loading the type's backend plugin on first use
// when none is installed (ensure_device_backend, core/plugin_loading.h); an
// fnx::Error naming the device and what to do when there is still none.
Allocator& device_allocator(Device device, std::string_view op);

class Storage {
 public:
  // Allocates nbytes (64-byte aligned) on `device`; an fnx::Error when the
  // device has no allocator or memory runs out.
  static std::shared_ptr<Storage> allocate(std::size_t nbytes, Device device);

  Storage(void* data, std::size_t nbytes, Device device, Allocator* owner);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  std::size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }
  // Bumped by every in-place write; lets transforms detect mutation of a
  // value they saved.
  uint64_t version() const { return version_; }
  void bump_version() { ++version_; }
  // Process-wide creation order: a storage made later has a larger serial
  // (transforms tell memory made inside their function from captured
  // memory with it).
  uint64_t serial() const { return serial_; }
  // The serial the next storage will get.
  static uint64_t next_serial();

 private:
  void* data_;
  std::size_t nbytes_;
  Device device_;
  Allocator* owner_;
  uint64_t version_ = 0;
  uint64_t serial_;
};

// Bytes held by live storages on all devices: tests use it to prove that
// transforms free what they no longer need.
int64_t live_storage_bytes();

}  // namespace fnx
