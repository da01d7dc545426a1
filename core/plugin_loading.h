// Internal glue between the registry and the plugin loader.
#pragma once

#include <functional>
#include <string_view>

#include "core/registry.h"

namespace fnx {

// While fnx::load_plugin is dlopening a shared object, registrations made by
// its static initializers are collected here instead of applied (returns
// true); the loader applies them after checking the plugin's ABI version.
bool defer_registration(std::string_view owner,
                        const std::function<void(Registrar&)>& fill);

// Loads FNX_PLUGINS once, after static initialization (first dispatch or
// first registry query).
void ensure_env_plugins_loaded();

// The first time a device type other than the CPU has no kernel or no
// allocator: loads FNX_PLUGINS, then the backend plugin by convention,
// libfnx_<type>.so (libfnx_cuda.so), from the first of $FNX_PLUGIN_DIR,
// the program's directory, its runfiles (backends/<type>/) and
// backends/<type>/ under the working directory that exists. Once per type;
// a plugin that exists but fails to load is reported on stderr.
void ensure_device_backend(DeviceType type);

}  // namespace fnx
