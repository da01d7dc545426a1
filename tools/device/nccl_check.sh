#!/bin/bash
# The NCCL device check (issue 18): a 1-rank NCCL group on the GPU
# (tests/distributed/nccl_test.cc: every collective on CUDA tensors equals
# the same collective on the CPU, and a gradient through one), a minute or
# two. From the repository root, on the GPU machine:
#
#   tools/device/nccl_check.sh
#
# Where Bazel is installed it builds and runs //tests/distributed:nccl_test
# with --config=cuda. Where it is not (this workplace's device machines) it
# runs the binary of .device/nccl_bundle.tar.xz (built elsewhere with
# tools/device/make_nccl_bundle.sh; carry .device). One process: the
# bootstrap group is the single-process world, no mpirun needed. Where
# nvidia-smi sees a GPU, a test that skips fails the check (a run that
# never reached the GPU must not pass). With $OUT set, the log is copied
# there.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
log=/tmp/nccl_check.log
gpu=0
if nvidia-smi --query-gpu=name,driver_version --format=csv 2>&1; then gpu=1; fi

if command -v bazel >/dev/null && [[ "${FNX_USE_BUNDLE:-0}" != 1 ]]; then
  timeout "${BUILD_TIMEOUT:-420}" bazel build --config=cuda --config=opt \
    --jobs="$(nproc)" //tests/distributed:nccl_test 2>&1 | grep -v '^\[' ||
    { echo "BUILD FAILED"; exit 1; }
  timeout 120 bazel-bin/tests/distributed/nccl_test > "$log" 2>&1
  rc=$?
elif [[ -f .device/nccl_bundle.tar.xz ]]; then
  root=/tmp/fnx_nccl_bundle
  rm -rf "$root" && mkdir -p "$root" &&
    tar -C "$root" -xJf .device/nccl_bundle.tar.xz || exit 1
  b="$root/nccl_bundle"
  # CUDA's runtime libraries from the toolkit (or PyTorch's wheels).
  dirs="$b/lib"
  for name in libcudart.so.13 libcublas.so.13 libcublasLt.so.13 \
      libcudnn.so.9 libcusolver.so.12; do
    found=$(find /usr/local/cuda/lib64/ /usr/local /opt /usr/lib \
      -name "$name" 2>/dev/null | head -1)
    [[ -n "$found" ]] && dirs="$dirs:$(dirname "$found")"
    echo "$name: ${found:-NOT FOUND}"
  done
  LD_LIBRARY_PATH="$dirs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    timeout 120 "$b/bin/nccl_test" > "$log" 2>&1
  rc=$?
else
  echo "no bazel here and no .device/nccl_bundle.tar.xz: run"
  echo "tools/device/make_nccl_bundle.sh where Bazel is and carry .device"
  exit 2
fi

cat "$log"
[[ -n "${OUT:-}" ]] && cp "$log" "$OUT/"
if ((rc != 0)); then
  echo "NCCL CHECK FAILED (exit $rc)"
  exit 1
fi
if ((gpu)) && grep -q '^\[  SKIPPED \]' "$log"; then
  echo "NCCL CHECK FAILED: the test skipped on a machine with a GPU"
  exit 1
fi
echo "NCCL check passed$( ((gpu)) || echo ' (no GPU: the test skipped)')"
