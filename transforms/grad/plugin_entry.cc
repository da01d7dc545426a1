// Compiled into libfnx_grad.so only: the symbols fnx::load_plugin checks.
#include "core/plugin.h"

FNX_PLUGIN_ENTRY("grad")
