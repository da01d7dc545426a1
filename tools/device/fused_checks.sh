#!/bin/bash
# The CUDA fused kernels on a GPU, in about a minute: the compile plugin's
# fused groups as NVRTC-specialised kernels (and the interpreter's
# fallback), equal to eager on the device (tests/cuda/fused_cuda_test.cc),
# the generated sources for every functor and dtype compiled by the
# machine's NVRTC (fused_nvrtc_test.cc), graph files loaded onto the GPU
# (export_cuda_test.cc), then compute-sanitizer's memcheck
# over the fused suite. Runs the prebuilt cuda_device_tests of
# .device/cuda_bundle.tar.xz (tools/device/make_cuda_bundle.sh, here; carry
# .device). Through the device tool: command "tools/device/fused_checks.sh",
# carry [".device"], timeout_s 300.
set -uo pipefail
cd "$(dirname "$0")/../.."
start=$(date +%s)
stamp() { echo "== [$(( $(date +%s) - start ))s] $*"; }
status=0

stamp "machine"
if nvidia-smi --query-gpu=name,driver_version --format=csv 2>&1; then
  export FNX_CUDA_TESTS_REQUIRE_GPU=1
  # On a GPU the fused kernels must be NVRTC's, not the interpreter's.
  export FNX_CUDA_FUSED_REQUIRE_NVRTC=1
fi

root=/tmp/fnx_fused_bundle
rm -rf "$root" && mkdir -p "$root" &&
  tar -C "$root" -xJf .device/cuda_bundle.tar.xz || exit 1
b="$root/bundle"
dirs="$b/lib"
found_all=$(find /usr/local/cuda/lib64/ /usr/local /opt /usr/lib \
  \( -name libcudart.so.13 -o -name libcublas.so.13 -o -name libcublasLt.so.13 \
     -o -name libcudnn.so.9 -o -name libnvrtc.so.13 \) 2>/dev/null)
for name in libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcudnn.so.9 \
    libnvrtc.so.13; do
  found=$(grep -m1 "/$name\$" <<< "$found_all")
  echo "$name: ${found:-NOT FOUND}"
  [[ -n "$found" ]] && dirs="$dirs:$(dirname "$found")"
done
export LD_LIBRARY_PATH="$dirs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

stamp "fused kernels on the GPU"
(cd "$b" && timeout 180 ./bin/cuda_device_tests \
  --gtest_filter='CudaFused.*:FusedNvrtc.*:CudaExport.*') 2>&1 | tee "$b/fused.log" | tail -40
test "${PIPESTATUS[0]}" -eq 0 || status=1
if [[ -n "${OUT:-}" ]]; then cp "$b/fused.log" "$OUT/fused_checks.log"; fi

sanitizer=$(command -v compute-sanitizer ||
  ls /usr/local/cuda/bin/compute-sanitizer 2>/dev/null)
if [[ -n "$sanitizer" ]]; then
  stamp "compute-sanitizer memcheck over the fused suite"
  (cd "$b" && FNX_CUDA_NO_CACHING=1 timeout 120 "$sanitizer" --tool memcheck \
    --error-exitcode=1 ./bin/cuda_device_tests --gtest_brief=1 \
    --gtest_filter='CudaFused.*') 2>&1 | tail -8
  test "${PIPESTATUS[0]}" -eq 0 || status=1
fi
stamp "done: status $status"
exit $status
