#include "core/plugin.h"

#include <dlfcn.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_split.h"
#include "core/elf_check.h"
#include "core/error.h"
#include "core/plugin_loading.h"
#include "core/str_cat.h"

namespace fnx {
namespace {

struct PendingRegistration {
  std::string owner;
  std::function<void(Registrar&)> fill;
};

// Set while dlopen runs on this thread.
thread_local std::vector<PendingRegistration>* t_pending = nullptr;

std::mutex& load_mutex() {
  static std::mutex m;
  return m;
}

std::set<std::string>& loaded_paths() {
  static std::set<std::string> paths;
  return paths;
}

absl::Status load_locked(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return absl::NotFoundError(str_cat(
        "[load_plugin] no plugin file at '", path,
        "'; check the path (relative paths are from the working directory)"));
  }
  const std::string canonical =
      std::filesystem::weakly_canonical(path, ec).string();
  if (loaded_paths().count(canonical) != 0) return absl::OkStatus();
  if (absl::Status elf = check_elf_file(path); !elf.ok()) return elf;

  std::vector<PendingRegistration> pending;
  t_pending = &pending;
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  t_pending = nullptr;
  if (handle == nullptr) {
    const std::string why = dlerror();
    // A plugin resolves the core's symbols (C++ names in namespace fnx:
    // functions, vtables, typeinfo) in the program; they are missing when
    // the program did not export them.
    constexpr std::string_view kUndefined = "undefined symbol: _Z";
    const std::size_t at = why.find(kUndefined);
    if (at != std::string::npos &&
        why.find("3fnx", at + kUndefined.size()) != std::string::npos) {
      return absl::FailedPreconditionError(str_cat(
          "[load_plugin] cannot load '", path, "': ", why,
          ". The plugin uses fnx's core from the program that loads it, and "
          "this program does not export the core's symbols: link it with "
          "-rdynamic (Bazel: linkopts = [\"-rdynamic\"]), or link against "
          "libfnx.so (bazel run //tools:install)"));
    }
    return absl::InvalidArgumentError(
        str_cat("[load_plugin] cannot load '", path, "': ", why));
  }
  auto fail_and_close = [&](absl::Status status) {
    pending.clear();  // the callbacks live in the library being closed
    dlclose(handle);
    return status;
  };
  using AbiFn = int (*)();
  using NameFn = const char* (*)();
  auto abi = reinterpret_cast<AbiFn>(dlsym(handle, "fnx_plugin_abi_version"));
  auto name = reinterpret_cast<NameFn>(dlsym(handle, "fnx_plugin_name"));
  if (abi == nullptr || name == nullptr) {
    return fail_and_close(absl::InvalidArgumentError(str_cat(
        "[load_plugin] '", path,
        "' is not an fnx plugin: it does not export fnx_plugin_abi_version "
        "and fnx_plugin_name (add FNX_PLUGIN_ENTRY(\"name\") to one of its "
        "sources)")));
  }
  if (abi() != kPluginAbiVersion) {
    return fail_and_close(absl::FailedPreconditionError(
        str_cat("[load_plugin] '", path, "' (plugin '", name(),
                "') was built for plugin ABI version ", abi(),
                " but this program has version ", kPluginAbiVersion,
                "; rebuild the plugin against this fnx")));
  }
  Registrar batch;
  for (const auto& p : pending) p.fill(batch);
  const std::string conflict = Registry::get().conflicts(batch);
  if (!conflict.empty()) {
    return fail_and_close(absl::AlreadyExistsError(
        str_cat("[load_plugin] '", path, "' (plugin '", name(),
                "') would register something twice: ", conflict,
                "; nothing from it was registered")));
  }
  Registry::get().apply(name(), path, batch);
  loaded_paths().insert(canonical);
  return absl::OkStatus();
}

}  // namespace

bool defer_registration(std::string_view owner,
                        const std::function<void(Registrar&)>& fill) {
  if (t_pending == nullptr) return false;
  t_pending->push_back({std::string(owner), fill});
  return true;
}

absl::Status load_plugin(const std::string& path) {
  std::lock_guard<std::mutex> lock(load_mutex());
  return load_locked(path);
}

absl::Status load_plugins_from_env() {
  const char* env = std::getenv("FNX_PLUGINS");
  if (env == nullptr || *env == '\0') return absl::OkStatus();
  absl::Status first = absl::OkStatus();
  for (absl::string_view path : absl::StrSplit(env, ':', absl::SkipEmpty())) {
    absl::Status status = load_plugin(std::string(path));
    if (!status.ok()) {
      std::fprintf(stderr, "fnx: FNX_PLUGINS: %s\n",
                   std::string(status.message()).c_str());
      if (first.ok()) first = status;
    }
  }
  return first;
}

void ensure_env_plugins_loaded() {
  static std::atomic<bool> done{false};
  thread_local bool in_progress = false;  // a plugin's initializer asking
  if (done.load(std::memory_order_acquire) || in_progress) return;
  in_progress = true;
  static std::once_flag once;
  std::call_once(once, [] {
    (void)load_plugins_from_env();
    done.store(true, std::memory_order_release);
  });
  in_progress = false;
}

namespace {

// Where a backend plugin named by convention may be, in order.
std::vector<std::string> backend_plugin_candidates(DeviceType type) {
  const std::string type_name = device_type_name(type);
  const std::string file = "libfnx_" + type_name + ".so";
  const std::string in_repo = "backends/" + type_name + "/" + file;
  std::vector<std::string> paths;
  if (const char* dir = std::getenv("FNX_PLUGIN_DIR"); dir && *dir) {
    paths.push_back(std::string(dir) + "/" + file);
  }
  std::error_code ec;
  const std::filesystem::path exe =
      std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const std::string exe_dir = exe.parent_path().string();
    paths.push_back(exe_dir + "/" + file);
    // bazel run / bazel-bin layout: <program>.runfiles/<workspace>/...
    paths.push_back(exe.string() + ".runfiles/fnx/" + in_repo);
  }
  paths.push_back(in_repo);  // bazel test: the runfiles tree is the cwd
  return paths;
}

}  // namespace

void ensure_device_backend(DeviceType type) {
  if (type == DeviceType::CPU) return;
  ensure_env_plugins_loaded();
  static std::mutex mutex;
  static bool tried[kNumDeviceTypes] = {};
  std::lock_guard<std::mutex> lock(mutex);
  if (tried[static_cast<int>(type)]) return;
  tried[static_cast<int>(type)] = true;
  for (const std::string& path : backend_plugin_candidates(type)) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) continue;
    const absl::Status status = load_plugin(path);
    if (!status.ok()) {
      std::fprintf(stderr, "fnx: %s backend: %s\n",
                   device_type_name(type).c_str(),
                   std::string(status.message()).c_str());
    }
    return;
  }
}

}  // namespace fnx
