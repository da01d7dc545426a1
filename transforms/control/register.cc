// Registers the control plugin's entry point.
#include "core/registry.h"
#include "transforms/control/control_internal.h"

namespace fnx::control_internal {
namespace {

constexpr Entry kEntry{kEntryVersion, &switch_case, &while_loop, &scan, &map};

}  // namespace

FNX_REGISTER_PLUGIN("control") { r.transform("control", &kEntry); }

}  // namespace fnx::control_internal
