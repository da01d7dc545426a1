// The entry symbols of libfnx_dist.so, the MPI transport as a plugin (only
// the shared object compiles this file). Loading it (load_plugin or
// FNX_PLUGINS) hands the transport to the dist library the program links
// (backend_hooks.h), so a program built without MPI runs under mpirun.
#include "core/plugin.h"

FNX_PLUGIN_ENTRY("dist")
