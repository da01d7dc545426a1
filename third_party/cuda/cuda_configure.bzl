"""@local_cuda: the CUDA toolkit (runtime, cuBLAS, cuSOLVER, cuDNN) of this machine.

Where the toolkit exists ($FNX_CUDA_PATH, default /usr/local/cuda) the
repository exposes its headers and link flags; where it does not (CI
installs Debian packages only) the targets are empty, so that nothing in a
build without --config=cuda ever needs CUDA. Only --config=cuda targets
(behind select() on //backends/cuda:enabled) depend on it.
"""

_BUILD_WITH_CUDA = """
package(default_visibility = ["//visibility:public"])

# Headers for host code compiled by the C++ toolchain (nvcc needs none).
cc_library(
    name = "headers",
    hdrs = glob(["include/**/*.h", "include/**/*.hpp", "include/**/*.inl"],
                exclude = ["include/cccl/thrust/**", "include/cccl/cub/**"]),
    includes = ["include"],
)

# Dynamic libraries, found at run time through the rpath.
cc_library(
    name = "runtime",
    linkopts = [
        "-L{root}/lib64",
        "-Wl,-rpath,{root}/lib64",
        "-lcudnn",
        "-lcusolver",
        "-lcublas",
        "-lcudart",
        "-ldl",
        "-lpthread",
    ],
    deps = [":headers"],
)

# NCCL (shipped with the toolkit here), for the dist plugin's NCCL groups.
cc_library(
    name = "nccl",
    linkopts = [
        "-L{root}/lib64",
        "-Wl,-rpath,{root}/lib64",
        "-lnccl",
    ],
    deps = [":runtime"],
)

exports_files(["nvcc"])
"""

_BUILD_WITHOUT_CUDA = """
package(default_visibility = ["//visibility:public"])

# No CUDA toolkit on this machine: empty targets (see cuda_configure.bzl).
cc_library(name = "headers")
cc_library(name = "runtime")
cc_library(name = "nccl")
"""

def _local_cuda_impl(ctx):
    root = ctx.os.environ.get("FNX_CUDA_PATH", "/usr/local/cuda")
    if ctx.path(root + "/include/cuda_runtime.h").exists:
        ctx.symlink(root + "/include", "include")
        ctx.symlink(root + "/bin/nvcc", "nvcc")
        ctx.file("BUILD.bazel", _BUILD_WITH_CUDA.replace("{root}", root))
    else:
        ctx.file("BUILD.bazel", _BUILD_WITHOUT_CUDA)

local_cuda = repository_rule(
    implementation = _local_cuda_impl,
    environ = ["FNX_CUDA_PATH"],
    local = True,
)
