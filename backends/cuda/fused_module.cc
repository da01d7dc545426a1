// Specialised fused kernels on a real GPU: the program's source
// (fused_source.h) compiled by NVRTC to PTX for the device's compute
// capability, loaded with the runtime's library API (cudaLibraryLoadData,
// which JIT-compiles the PTX, context-independent) and launched with
// cudaLaunchKernel. Kernels are cached by (source, architecture): the
// source spells out every instruction and dtype and the number of dims, so
// it is the program's signature, and shapes and addresses are arguments.
// Only in builds for a GPU (cuda_sim runs no PTX: it takes the
// interpreter). Where NVRTC is missing this declines once and for all, and
// the interpreter runs every program.
#include <cuda_runtime.h>

#include <map>
#include <mutex>
#include <string>

#include "absl/strings/str_cat.h"
#include "backends/cuda/fused.h"
#include "backends/cuda/fused_nvrtc.h"
#include "backends/cuda/fused_source.h"
#include "backends/cuda/kernels.h"
#include "backends/cuda/tensors.h"
#include "core/error.h"

namespace fnx::cuda {
namespace {

std::mutex g_mutex;
std::map<std::string, cudaKernel_t>& cache() {
  static auto* kernels = new std::map<std::string, cudaKernel_t>;
  return *kernels;
}

cudaKernel_t kernel_for(const FusedProgram& prog, const FusedArgs& args,
                        const Context& ctx) {
  int major = 0, minor = 0;
  FNX_CUDA_CHECK(cudaDeviceGetAttribute(
      &major, cudaDevAttrComputeCapabilityMajor, ctx.index));
  FNX_CUDA_CHECK(cudaDeviceGetAttribute(
      &minor, cudaDevAttrComputeCapabilityMinor, ctx.index));
  const std::string source = fused_kernel_source(prog, args.ndim);
  const std::string key = absl::StrCat(major, ".", minor, "\n", source);
  std::lock_guard<std::mutex> lock(g_mutex);
  if (auto it = cache().find(key); it != cache().end()) return it->second;
  const std::string ptx = compile_to_ptx(source, major, minor);
  cudaLibrary_t library = nullptr;
  FNX_CUDA_CHECK(cudaLibraryLoadData(&library, ptx.c_str(), nullptr, nullptr, 0,
                                     nullptr, nullptr, 0));
  cudaKernel_t kernel = nullptr;
  FNX_CUDA_CHECK(cudaLibraryGetKernel(&kernel, library, kFusedKernelName));
  note_compiled_fused_kernel();
  cache().emplace(key, kernel);
  return kernel;
}

bool launch_specialised(const FusedProgram& prog, const FusedArgs& args,
                        const Context& ctx) {
  if (!nvrtc_available()) return false;
  const cudaKernel_t kernel = kernel_for(prog, args, ctx);
  void* params[] = {const_cast<FusedArgs*>(&args)};
  launched(cudaLaunchKernel(reinterpret_cast<const void*>(kernel),
                            dim3(fused_blocks(args.numel)), dim3(kFusedThreads),
                            params, 0, ctx.stream),
           "fused_elementwise");
  return true;
}

const bool registered = [] {
  set_compiled_fused_launcher(&launch_specialised);
  return true;
}();

}  // namespace
}  // namespace fnx::cuda
