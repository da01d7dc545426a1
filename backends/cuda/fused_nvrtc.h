// NVRTC (the CUDA toolkit's run-time compiler), loaded with dlopen the
// first time a fused kernel is specialised: nothing links it, so a machine
// without the toolkit still runs the backend (fused programs then take the
// interpreter kernel, fused.cu). Compiling needs no GPU, so the generated
// sources are checked on every machine that has NVRTC.
#pragma once

#include <string>
#include <string_view>

namespace fnx::cuda {

// Whether NVRTC and CUDA's C++ standard headers (include/cccl) were found;
// if not, *why (when given) says what is missing.
bool nvrtc_available(std::string* why = nullptr);

// PTX for compute capability major.minor from CUDA C++ `source`, which may
// include fused_args.h and backends/common/scalar_ops.h (built into this
// library) and the standard headers those use. Compile errors are an
// fnx::Error carrying NVRTC's log; so is calling it without NVRTC.
std::string compile_to_ptx(std::string_view source, int major, int minor);

}  // namespace fnx::cuda
