// libfnx_cuda.so's entry: fnx::load_plugin checks it before applying the
// kernels the backend registers (core loads this library by itself the
// first time a CUDA device is used and no CUDA backend is linked).
#include "core/plugin.h"

FNX_PLUGIN_ENTRY("cuda")
