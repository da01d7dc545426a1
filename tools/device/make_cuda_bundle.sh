#!/bin/bash
# Builds the CUDA test and benchmark binaries HERE (where Bazel, the Debian
# libraries and the CUDA toolkit are) for a GPU machine that has the CUDA
# driver, toolkit and PyTorch but no Bazel and no Debian -dev packages (the
# device machines of this workplace). Writes .device/cuda_bundle.tar.xz:
#
#   bin/cuda_device_tests     every GPU suite in one gtest binary
#   bin/lazy_load_test        + backends/cuda/libfnx_cuda.so (loaded by it)
#   bin/cuda_benchmark        Google Benchmark binary
#   lib/                      the shared libraries they need that are not
#                             CUDA's, glibc's or libstdc++'s (abseil,
#                             OpenBLAS, Benchmark...)
#
# Portable code (no -march=native: the device's processor may differ).
# tools/device/cuda_checks.sh uses the bundle where there is no Bazel; pass
# `.device` in the device tool's `carry`.
set -euo pipefail
cd "$(dirname "$0")/../.."
FLAGS=(--config=cuda --config=opt_portable)
bazel build "${FLAGS[@]}" //tests/cuda:cuda_device_tests \
  //tests/cuda:lazy_load_test //tests/benchmarks:cuda_benchmark \
  //backends/cuda:libfnx_cuda.so
BIN="$(bazel info "${FLAGS[@]}" bazel-bin 2>/dev/null)"
stage=.device/bundle
rm -rf "$stage" .device/cuda_bundle.tar.xz
mkdir -p "$stage/bin" "$stage/lib" "$stage/backends/cuda"
cp "$BIN/tests/cuda/cuda_device_tests" "$BIN/tests/cuda/lazy_load_test" \
  "$BIN/tests/benchmarks/cuda_benchmark" "$stage/bin/"
cp "$BIN/backends/cuda/libfnx_cuda.so" "$stage/backends/cuda/"
chmod u+w "$stage"/bin/* "$stage"/backends/cuda/*
strip --strip-unneeded "$stage"/bin/* "$stage"/backends/cuda/libfnx_cuda.so
# Shared libraries to carry: everything ldd resolves except the C/C++
# runtime, the dynamic loader and CUDA's own (the device has those).
ldd "$stage"/bin/* "$stage"/backends/cuda/libfnx_cuda.so |
  awk '$2 == "=>" && $3 ~ /^\// {print $3}' | sort -u |
  grep -Ev '/(libc|libm|libdl|libpthread|librt|libgcc_s|libstdc\+\+|ld-linux[^/]*)\.so|/usr/local/cuda|libcuda\.so|libcudart|libcublas|libcudnn' |
  while read -r lib; do cp -L "$lib" "$stage/lib/"; done
du -sh "$stage"/* | sed 's/^/  /'
tar -C .device -cJf .device/cuda_bundle.tar.xz bundle
rm -rf "$stage"
ls -la .device/cuda_bundle.tar.xz
