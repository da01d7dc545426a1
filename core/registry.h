// The one registry per process: kernel tables per device type, one rule
// table per transform concern (filled by that transform's plugin), the
// transforms' entry points, and a record of which plugin registered what.
// Registration happens in batches ("registrations"), each applied whole or
// not at all, so a plugin that would register something twice is refused.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/primitive.h"

namespace fnx {

using Kernel = Tensor (*)(const OpCall& call, const OutMeta& out);

// Collects one batch of registrations.
class Registrar {
 public:
  void kernel(DeviceType device, Prim prim, Kernel fn);
  // Replaces the kernel for (device, prim) that another plugin registered
  // (or provides one where none is): how a plugin swaps one primitive's
  // implementation. `fnx info` lists every replacement.
  void replace_kernel(DeviceType device, Prim prim, Kernel fn);
  // A rule in the named table ("batching", "vjp", "jvp", "functionalize";
  // plugins may add others). The pointer's type is the table owner's.
  void rule(std::string_view table, Prim prim, const void* fn);
  // A transform entry point ("vmap", "grad"...), found by the thin API
  // headers at call time.
  void transform(std::string_view name, const void* impl);
  // A backend's name for `fnx info` ("cpu (OpenBLAS)").
  void backend(DeviceType device, std::string_view description);

  struct Entry {
    enum class Kind {
      Kernel,
      KernelReplacement,
      Rule,
      Transform,
      Backend
    } kind;
    DeviceType device = DeviceType::CPU;
    Prim prim = Prim::Neg;
    std::string name;  // table, transform or backend description
    const void* fn = nullptr;
  };
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

// A kernel one plugin put in place of another's (Registrar::replace_kernel).
struct KernelReplacement {
  DeviceType device;
  Prim prim;
  std::string owner;     // the plugin whose kernel runs now
  std::string replaced;  // the plugin it replaced ("" when there was none)
};

struct PluginRecord {
  std::string name;  // "cpu", "vmap", ...
  std::string path;  // shared object path, empty when linked statically
  int entries = 0;   // how many things it registered
};

class Registry {
 public:
  static Registry& get();

  // The kernel for (device, prim), or null. Lock-free: the dispatcher's
  // fast path calls it for every op.
  Kernel kernel(DeviceType device, Prim prim) const {
    return kernels_[static_cast<int>(device)][static_cast<int>(prim)].load(
        std::memory_order_acquire);
  }
  // Finds a rule table by name, creating an empty one; the id is stable.
  int table_id(std::string_view table);
  // The rule for `prim` in a table, or null. Lock-free, like kernel().
  const void* rule(int table_id, Prim prim) const {
    if (table_id < 0 || table_id >= kMaxTables) return nullptr;
    return rules_[table_id][static_cast<int>(prim)].load(
        std::memory_order_acquire);
  }
  static constexpr int kMaxTables = 16;
  const void* transform(std::string_view name) const;

  std::vector<std::string> table_names() const;
  std::vector<PluginRecord> plugins() const;
  std::vector<KernelReplacement> kernel_replacements() const;
  std::vector<std::pair<DeviceType, std::string>> backends() const;

  // Applies one batch from `owner` (a plugin name). Throws fnx::Error on a
  // duplicate, registering nothing.
  void apply(std::string_view owner, std::string_view path,
             const Registrar& batch);
  // Checks a batch without applying it: "" or what would be duplicated.
  std::string conflicts(const Registrar& batch) const;

 private:
  Registry();
  struct State;
  State* state_;
  std::atomic<Kernel> kernels_[kNumDeviceTypes][kNumPrims];
  std::atomic<const void*> rules_[kMaxTables][kNumPrims];
};

// Registers a batch at static-initialization time (statically linked
// plugins), or defers it to fnx::load_plugin when a shared object is being
// loaded, which checks the plugin's ABI version first.
void register_plugin(std::string_view owner,
                     std::function<void(Registrar&)> fill);

}  // namespace fnx

// FNX_REGISTER_PLUGIN(name) { r.kernel(...); ... } -- one per plugin source
// file that registers things; `r` is the Registrar.
#define FNX_REGISTER_PLUGIN_IMPL2(name, line)                     \
  static void fnx_register_##line(::fnx::Registrar& r);           \
  [[maybe_unused]] static const bool fnx_registered_##line =      \
      (::fnx::register_plugin(name, &fnx_register_##line), true); \
  static void fnx_register_##line([[maybe_unused]] ::fnx::Registrar& r)
#define FNX_REGISTER_PLUGIN_IMPL(name, line) \
  FNX_REGISTER_PLUGIN_IMPL2(name, line)
#define FNX_REGISTER_PLUGIN(name) FNX_REGISTER_PLUGIN_IMPL(name, __LINE__)
