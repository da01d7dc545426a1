"""Compiler flags for fnx's own code (third-party code never sees -Werror)."""

FNX_COPTS = [
    "-Wall",
    "-Wextra",
    "-Werror",
    "-Wno-sign-compare",
    "-Wno-missing-field-initializers",
]
