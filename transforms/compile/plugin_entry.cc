// The entry symbols of libfnx_compile.so (only the shared object compiles
// this file; the static library registers at static initialization).
#include "core/plugin.h"

FNX_PLUGIN_ENTRY("compile")
