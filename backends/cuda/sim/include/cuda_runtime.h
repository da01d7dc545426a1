// cuda_sim: what a .cu file sees of CUDA (the runtime API, the kernel
// language's built-ins), so that backends/cuda's kernels compile as C++.
#pragma once

#include <cuda_runtime_api.h>
#include <cuda_sim/kernel.h>
