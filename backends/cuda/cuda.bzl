"""nvcc through Bazel 4 without rules_cuda: one genrule per .cu file.

cuda_objects(name, srcs, hdrs) compiles each .cu in srcs with nvcc into an
object file (position independent, so it also goes into shared objects) and
returns the list of objects, which a cc_library or cc_binary takes in srcs.
The genrules are tagged manual: `bazel build //...` without --config=cuda
never runs nvcc; the objects are built only as inputs of a target that
selects them (see //backends/cuda:enabled).
"""

NVCC = "/usr/local/cuda/bin/nvcc"

# sm_90 (H100) machine code plus compute_90 PTX, which the driver compiles
# for newer GPUs. C++20, host code compiled by the same g++ as the rest.
NVCC_FLAGS = [
    "-std=c++20",
    "-O3",
    "--expt-relaxed-constexpr",
    "-Xcompiler=-fPIC",
    "-Xcompiler=-Wall",
    "-gencode=arch=compute_90,code=sm_90",
    "-gencode=arch=compute_90,code=compute_90",
    "-I.",
]

def cuda_objects(name, srcs, hdrs = []):
    objects = []
    for src in srcs:
        stem = src[:-len(".cu")]
        out = "_objs/%s/%s.o" % (name, stem)
        native.genrule(
            name = "%s_%s" % (name, stem),
            srcs = [src] + hdrs,
            outs = [out],
            cmd = "%s %s -c $(location %s) -o $@" % (NVCC, " ".join(NVCC_FLAGS), src),
            message = "nvcc " + src,
            tags = ["manual"],
        )
        objects.append(out)
    return objects
