#!/bin/bash
# Builds the NCCL group test HERE (Bazel, OpenMPI, the CUDA toolkit and
# its NCCL) for a GPU machine without Bazel or Debian's -dev packages (the
# device machines of this workplace). Writes .device/nccl_bundle.tar.xz:
#
#   bin/nccl_test   tests/distributed/nccl_test.cc, --config=cuda
#   lib/            the shared libraries it needs that are not CUDA's
#                   runtime, glibc's or libstdc++'s: OpenMPI's (loaded but
#                   not initialized in a 1-rank run), abseil, OpenBLAS...,
#                   and libnccl (the device may have none outside PyTorch)
#
# tools/device/nccl_check.sh runs it; pass `.device` in the device tool's
# `carry`.
set -euo pipefail
cd "$(dirname "$0")/../.."
FLAGS=(--config=cuda --config=opt_portable)
bazel build "${FLAGS[@]}" //tests/distributed:nccl_test
BIN="$(bazel info "${FLAGS[@]}" bazel-bin 2>/dev/null)"
stage=.device/nccl_bundle
rm -rf "$stage" .device/nccl_bundle.tar.xz
mkdir -p "$stage/bin" "$stage/lib"
cp "$BIN/tests/distributed/nccl_test" "$stage/bin/"
chmod u+w "$stage"/bin/*
strip --strip-unneeded "$stage"/bin/*
ldd "$stage"/bin/nccl_test |
  awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u |
  grep -Ev '/(libc|libm|libdl|libpthread|librt|libgcc_s|libstdc\+\+|ld-linux[^/]*)\.so|libcuda\.so|libcudart|libcublas|libcudnn|libcusolver' |
  while read -r lib; do cp -L "$lib" "$stage/lib/"; done
du -sh "$stage"/* | sed 's/^/  /'
tar -C .device -cJf .device/nccl_bundle.tar.xz nccl_bundle
rm -rf "$stage"
ls -la .device/nccl_bundle.tar.xz
