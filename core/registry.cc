#include "core/registry.h"

#include <map>
#include <mutex>
#include <set>

#include "core/error.h"
#include "core/plugin_loading.h"
#include "core/str_cat.h"

namespace fnx {

void Registrar::kernel(DeviceType device, Prim prim, Kernel fn) {
  entries_.push_back({Entry::Kind::Kernel, device, prim, "",
                      reinterpret_cast<const void*>(fn)});
}
void Registrar::replace_kernel(DeviceType device, Prim prim, Kernel fn) {
  entries_.push_back({Entry::Kind::KernelReplacement, device, prim, "",
                      reinterpret_cast<const void*>(fn)});
}
void Registrar::rule(std::string_view table, Prim prim, const void* fn) {
  entries_.push_back(
      {Entry::Kind::Rule, DeviceType::CPU, prim, std::string(table), fn});
}
void Registrar::transform(std::string_view name, const void* impl) {
  entries_.push_back({Entry::Kind::Transform, DeviceType::CPU, Prim::Neg,
                      std::string(name), impl});
}
void Registrar::backend(DeviceType device, std::string_view description) {
  entries_.push_back({Entry::Kind::Backend, device, Prim::Neg,
                      std::string(description), nullptr});
}

struct Registry::State {
  mutable std::mutex mutex;
  std::vector<std::string> table_names;
  std::map<std::string, const void*, std::less<>> transforms;
  std::vector<std::pair<DeviceType, std::string>> backends;
  std::vector<PluginRecord> plugins;
  // Who registered each key, for duplicate messages.
  std::map<std::string, std::string> owners;
  std::vector<KernelReplacement> replacements;

  int table_id_locked(std::string_view name) {
    for (std::size_t i = 0; i < table_names.size(); ++i) {
      if (table_names[i] == name) return static_cast<int>(i);
    }
    FNX_CHECK(static_cast<int>(table_names.size()) < kMaxTables, "register",
              "too many rule tables (", kMaxTables, "); cannot add '", name,
              "'");
    table_names.emplace_back(name);
    return static_cast<int>(table_names.size()) - 1;
  }
};

namespace {

// A unique, readable key per registered thing (backends may repeat).
std::string entry_key(const Registrar::Entry& e) {
  using Kind = Registrar::Entry::Kind;
  switch (e.kind) {
    case Kind::Kernel:
    case Kind::KernelReplacement:
      return str_cat(device_type_name(e.device), " kernel for ",
                     prim_name(e.prim));
    case Kind::Rule:
      return str_cat(e.name, " rule for ", prim_name(e.prim));
    case Kind::Transform:
      return str_cat("transform ", e.name);
    case Kind::Backend:
      return "";
  }
  return "";
}

}  // namespace

Registry::Registry() : state_(new State) {
  for (auto& per_device : kernels_) {
    for (auto& k : per_device) k.store(nullptr);
  }
  for (auto& per_table : rules_) {
    for (auto& r : per_table) r.store(nullptr);
  }
}

Registry& Registry::get() {
  // Never destroyed: plugins and static destructors may still look here.
  static Registry* registry = new Registry;
  return *registry;
}

int Registry::table_id(std::string_view table) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->table_id_locked(table);
}

const void* Registry::transform(std::string_view name) const {
  ensure_env_plugins_loaded();
  std::lock_guard<std::mutex> lock(state_->mutex);
  auto it = state_->transforms.find(name);
  return it == state_->transforms.end() ? nullptr : it->second;
}

std::vector<std::string> Registry::table_names() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->table_names;
}

std::vector<PluginRecord> Registry::plugins() const {
  ensure_env_plugins_loaded();
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->plugins;
}

std::vector<KernelReplacement> Registry::kernel_replacements() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->replacements;
}

std::vector<std::pair<DeviceType, std::string>> Registry::backends() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->backends;
}

std::string Registry::conflicts(const Registrar& batch) const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  std::set<std::string> seen;
  for (const auto& e : batch.entries()) {
    const std::string key = entry_key(e);
    if (key.empty()) continue;
    auto it = state_->owners.find(key);
    // A replacement is meant to meet an existing kernel.
    if (it != state_->owners.end() &&
        e.kind != Registrar::Entry::Kind::KernelReplacement) {
      return str_cat(key, " (already registered by plugin '", it->second, "')");
    }
    if (!seen.insert(key).second) {
      return str_cat(key, " (registered twice by the same plugin)");
    }
  }
  return "";
}

void Registry::apply(std::string_view owner, std::string_view path,
                     const Registrar& batch) {
  const std::string conflict = conflicts(batch);
  FNX_CHECK(conflict.empty(), "register", "duplicate registration: ", conflict,
            ". Each primitive has one kernel per device and one "
            "rule per table; do not link or load a plugin twice");
  std::lock_guard<std::mutex> lock(state_->mutex);
  using Kind = Registrar::Entry::Kind;
  for (const auto& e : batch.entries()) {
    const std::string key = entry_key(e);
    if (e.kind == Kind::KernelReplacement) {
      auto it = state_->owners.find(key);
      state_->replacements.push_back(
          {e.device, e.prim, std::string(owner),
           it == state_->owners.end() ? std::string() : it->second});
    }
    if (!key.empty()) state_->owners[key] = std::string(owner);
    switch (e.kind) {
      case Kind::Kernel:
      case Kind::KernelReplacement:
        kernels_[static_cast<int>(e.device)][static_cast<int>(e.prim)].store(
            reinterpret_cast<Kernel>(const_cast<void*>(e.fn)),
            std::memory_order_release);
        break;
      case Kind::Rule:
        rules_[state_->table_id_locked(e.name)][static_cast<int>(e.prim)].store(
            e.fn, std::memory_order_release);
        break;
      case Kind::Transform:
        state_->transforms[e.name] = e.fn;
        break;
      case Kind::Backend:
        state_->backends.emplace_back(e.device, e.name);
        break;
    }
  }
  for (auto& record : state_->plugins) {
    if (record.name == owner && record.path == path) {
      record.entries += static_cast<int>(batch.entries().size());
      return;
    }
  }
  state_->plugins.push_back({std::string(owner), std::string(path),
                             static_cast<int>(batch.entries().size())});
}

void register_plugin(std::string_view owner,
                     std::function<void(Registrar&)> fill) {
  if (defer_registration(owner, fill)) return;
  Registrar batch;
  fill(batch);
  Registry::get().apply(owner, "", batch);
}

}  // namespace fnx
