// launch(kernel, grid, block, stream, args...): kernel<<<grid, block, 0,
// stream>>>(args...) under nvcc, and the CPU simulator's launch
// (backends/cuda/sim) when the kernels are compiled as host C++ for tests.
// The kernel is named with all its template arguments.
#pragma once

#include <cuda_runtime.h>

#include <utility>

namespace fnx::cuda {

template <typename... Params, typename... Args>
void launch(void (*kernel)(Params...), dim3 grid, dim3 block,
            cudaStream_t stream, Args&&... args) {
#if defined(__CUDACC__)
  kernel<<<grid, block, 0, stream>>>(std::forward<Args>(args)...);
#else
  cuda_sim::launch(kernel, grid, block, stream, std::forward<Args>(args)...);
#endif
}

}  // namespace fnx::cuda
