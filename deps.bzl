"""What a Bazel workspace that uses fnx declares, in one call.

In the consumer's WORKSPACE:

    local_repository(name = "fnx", path = "/path/to/fnx")   # or an archive
    load("@fnx//:deps.bzl", "fnx_dependencies")
    fnx_dependencies()

and in its .bazelrc (fnx is C++20):

    build --cxxopt=-std=c++20 --host_cxxopt=-std=c++20

fnx_dependencies() declares, each unless the workspace already has one by
that name: the offline stand-ins Bazel 4's built-in tools reference
(rules_cc, rules_java, remote_coverage_tools: fnx's own copies under
third_party/, and platforms from the bazel-bootstrap package), @system (the
Debian libraries fnx links: abseil, protobuf, OpenBLAS, GoogleTest, Google
Benchmark, zlib, OpenMPI) and @local_cuda (the CUDA toolkit where it is installed,
empty targets where not; used by --config=cuda builds only).
"""

load("//third_party/cuda:cuda_configure.bzl", "local_cuda")

def _fnx_local_copy_impl(rctx):
    # The folder holding `marker`, linked in file by file.
    folder = rctx.path(rctx.attr.marker).dirname
    for child in folder.readdir():
        rctx.symlink(child, child.basename)

_fnx_local_copy = repository_rule(
    implementation = _fnx_local_copy_impl,
    attrs = {"marker": attr.label(allow_single_file = True)},
    local = True,
)

def fnx_dependencies():
    """Declares the external repositories fnx's targets need."""
    existing = native.existing_rules()
    for name in ["rules_cc", "rules_java", "remote_coverage_tools"]:
        if name not in existing:
            _fnx_local_copy(
                name = name,
                marker = Label("//third_party/%s:WORKSPACE" % name),
            )
    if "platforms" not in existing:
        native.local_repository(
            name = "platforms",
            path = "/usr/share/bazel/platforms",
        )
    if "system" not in existing:
        # A label string: Bazel 4's new_local_repository takes no Label.
        native.new_local_repository(
            name = "system",
            path = "/usr",
            build_file = "@fnx//third_party:system_libs.BUILD",
        )
    if "local_cuda" not in existing:
        local_cuda(name = "local_cuda")
