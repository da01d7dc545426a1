// A plugin that claims to be built for another plugin ABI version.
#include "core/registry.h"

namespace {
int marker = 0;
}  // namespace

extern "C" __attribute__((visibility("default"))) int fnx_plugin_abi_version() {
  return 999;
}
extern "C" __attribute__((visibility("default"))) const char*
fnx_plugin_name() {
  return "old_abi_plugin";
}

FNX_REGISTER_PLUGIN("old_abi_plugin") {
  r.rule("old_abi_table", fnx::Prim::Add, &marker);
}
