// libfnx_cpu.so's entry: a program that links only the core loads the CPU
// backend at run time (fnx::load_plugin or FNX_PLUGINS), as it does the
// CUDA backend. Only the shared object compiles this file; the static
// library registers its kernels at static initialization.
#include "core/plugin.h"

FNX_PLUGIN_ENTRY("cpu")
