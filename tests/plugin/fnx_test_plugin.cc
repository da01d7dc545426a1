// A plugin built as a shared object against the core's headers only: it
// registers a rule in its own table and a transform entry point, and
// reports the address of the registry it sees.
#include "core/plugin.h"
#include "core/registry.h"

namespace {

int test_rule_marker = 0;
int test_transform_marker = 0;

}  // namespace

FNX_PLUGIN_ENTRY("test_plugin")

FNX_REGISTER_PLUGIN("test_plugin") {
  r.rule("test_table", fnx::Prim::Add, &test_rule_marker);
  r.transform("test_transform", &test_transform_marker);
}

extern "C" __attribute__((visibility("default"))) void*
fnx_test_registry_address() {
  return &fnx::Registry::get();
}
