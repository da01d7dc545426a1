// The CUDA runner of fused elementwise programs (core/fused_elementwise.h),
// installed by the backend: one kernel per fused group. Where NVRTC and a
// GPU are there (fused_module.cc), a kernel specialised to the program
// (fused_source.h), compiled once per signature and cached; otherwise (on
// cuda_sim, or a GPU without NVRTC) the interpreter kernel of fused.cu.
#pragma once

#include <cstdint>

#include "backends/cuda/fused_args.h"
#include "backends/cuda/runtime.h"
#include "core/fused_elementwise.h"

namespace fnx::cuda {

// Launches `program` as its specialised kernel with `args` on ctx's stream
// and returns true, or returns false where it cannot (no NVRTC): the
// interpreter runs it then. Compile failures are fnx::Errors.
using CompiledFusedLauncher = bool (*)(const FusedProgram& program,
                                       const FusedArgs& args,
                                       const Context& ctx);
// Set by fused_module.cc in builds for a real GPU.
void set_compiled_fused_launcher(CompiledFusedLauncher launcher);

// How the fused programs of this process ran, for tests and benchmarks:
// kernels launched by each path, programs run instruction by instruction
// (beyond the interpreter's limits), and specialised kernels compiled.
struct FusedStats {
  int64_t interpreted = 0;
  int64_t specialised = 0;
  int64_t unfused = 0;
  int64_t compiled_kernels = 0;
};
FusedStats fused_stats();
void note_compiled_fused_kernel();

}  // namespace fnx::cuda
