"""Compiler flags for fnx's own code (third-party code never sees -Werror)."""

# GCC 12 reports false -Wmaybe-uninitialized and -Wrestrict positives in
# inlined absl::InlinedVector and std::string code once it optimises, so a
# plain `bazel build -c opt` (no --config=opt) would stop on them.
FNX_COPTS = [
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wno-sign-compare",
    "-Wno-missing-field-initializers",
] + select({
    str(Label("//tools:optimized")): [
        "-Wno-maybe-uninitialized",
        "-Wno-restrict",
    ],
    "//conditions:default": [],
})
