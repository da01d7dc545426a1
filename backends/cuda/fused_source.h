// CUDA C++ for one fused elementwise program (core/fused_elementwise.h):
// a kernel specialised to the program's instructions and dtypes, computing
// each element with the same per-element functions as the elementwise
// kernels (backends/common/scalar_ops.h). Plain C++: the source is made and
// compiled (fused_nvrtc.h) on any machine; only loading it needs a GPU.
#pragma once

#include <string>

#include "core/dtype.h"
#include "core/fused_elementwise.h"

namespace fnx::cuda {

// The kernel's name (extern "C", so that it is found unmangled).
inline constexpr char kFusedKernelName[] = "fnx_fused";

// The C++ name of an element type in the generated code.
const char* fused_type_name(DType dtype);

// The kernel's source for `program` over an iteration space of `ndim`
// merged dims (0..kFusedMaxDims); it takes one fnx::cuda::FusedArgs
// (fused_args.h) by value, whose `ops` it ignores. The text is also the
// program's signature: programs with equal text share a compiled kernel.
// An instruction this generator cannot express is an fnx::Error.
std::string fused_kernel_source(const FusedProgram& program, int ndim);

}  // namespace fnx::cuda
