// The entry symbols of libfnx_nn.so (only the shared object compiles this
// file). nn adds no kernels, rules or transforms to the registry: loading
// it makes the modules, losses and optimizers available to code that
// resolves them from the shared object, and lists "nn" among the plugins.
#include "core/plugin.h"

FNX_PLUGIN_ENTRY("nn")
