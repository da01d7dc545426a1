// Loading plugins (transforms, backends) built as shared objects.
#pragma once

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "core/registry.h"

namespace fnx {

// Bumped whenever a change to the core breaks plugins built against an
// older one (layout of Tensor, OpCall, Registrar, the primitive list,
// Allocator's virtual functions). 2: Allocator gained allocate_on,
// deallocate_on and copy_bytes (device backends as plugins). 3: the
// Collective primitives and CollectiveAttrs in Attrs.
inline constexpr int kPluginAbiVersion = 3;

// dlopens `path` once (loading the same path again is a no-op), checks its
// ABI version and applies what it registers. Errors say what went wrong:
// missing file, missing entry symbol, ABI mismatch, duplicate registration.
absl::Status load_plugin(const std::string& path);

// Loads each path of FNX_PLUGINS (colon-separated). Called once at start-up
// by the core; returns the first error (also printed to stderr).
absl::Status load_plugins_from_env();

}  // namespace fnx

// Every plugin shared object exports this, once:
//   FNX_PLUGIN_ENTRY("vmap")
#define FNX_PLUGIN_ENTRY(plugin_name)                                     \
  extern "C" __attribute__((visibility("default"))) int                   \
  fnx_plugin_abi_version() {                                              \
    return ::fnx::kPluginAbiVersion;                                      \
  }                                                                       \
  extern "C" __attribute__((visibility("default"))) const char*           \
  fnx_plugin_name() {                                                     \
    return plugin_name;                                                   \
  }
