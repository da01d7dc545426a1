#!/bin/bash
# The CUDA backend's device checks, in one run (at most 10 minutes on a
# 16-core H100 machine): build with --config=cuda --config=opt, run the CUDA
# test suites on the GPU, then the benchmarks next to PyTorch, printing
# every figure. From the repository root:
#
#   tools/device/cuda_checks.sh            # everything
#   SKIP_TESTS=1 tools/device/cuda_checks.sh   # benchmarks only
#
# When $OUT is set (the device tool's result folder), test logs and the
# benchmark output are copied there. Stage limits (seconds) can be raised
# for slower machines: BUILD_TIMEOUT (300), TEST_TIMEOUT (150),
# BENCH_TIMEOUT (150).
set -uo pipefail
cd "$(dirname "$0")/../.."
start=$(date +%s)
stamp() { echo "== [$(( $(date +%s) - start ))s] $*"; }
status=0

stamp "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.memory \
  --format=csv 2>&1 || echo "nvidia-smi failed"
nproc
command -v bazel >/dev/null || { echo "bazel is not installed (tools/install_deps.sh)"; exit 2; }
test -x /usr/local/cuda/bin/nvcc || { echo "no CUDA toolkit at /usr/local/cuda"; exit 2; }
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())' 2>&1 | tail -1

FLAGS=(--config=cuda --config=opt --jobs="$(nproc)")
TESTS=(
  //tests/cuda:device_test
  //tests/cuda:no_device_test
  //tests/cuda:lazy_load_test
  //tests/cuda:runtime_errors_test
  //tests/cuda:kernels_cuda_test
  //tests/cuda:models_cuda_test
  //tests/cuda:opinfo_cuda_test
  //tests/cuda:transforms_opdb_cuda_test
)

stamp "build (nvcc + g++, opt)"
if ! timeout "${BUILD_TIMEOUT:-300}" bazel build "${FLAGS[@]}" //backends/cuda/... "${TESTS[@]}" \
    //tests/benchmarks:cuda_benchmark 2>&1 | grep -v '^\[' | tail -30; then
  echo "BUILD FAILED"
  exit 1
fi

if [[ "${SKIP_TESTS:-0}" != 1 ]]; then
  stamp "tests on the GPU"
  timeout "${TEST_TIMEOUT:-150}" bazel test "${FLAGS[@]}" --test_output=errors --test_timeout=140 \
    --test_summary=short "${TESTS[@]}" 2>&1 | grep -v '^\[' | tail -60
  test "${PIPESTATUS[0]}" -eq 0 || status=1
  for t in "${TESTS[@]}"; do
    log="bazel-testlogs/${t#//}"; log="${log/://}/test.log"
    if [[ -f "$log" ]]; then
      printf '%-48s %s passed, %s skipped, %s failed\n' "$t" \
        "$(grep -c '^\[       OK \]' "$log")" \
        "$(grep -c '^\[  SKIPPED \]' "$log")" \
        "$(grep -c '^\[  FAILED  \].*(' "$log")"
      if [[ -n "${OUT:-}" ]]; then
        mkdir -p "$OUT/testlogs"; cp "$log" "$OUT/testlogs/$(basename "${t#*:}").log"
      fi
    fi
  done
fi

stamp "benchmarks: fnx (Google Benchmark) and PyTorch"
timeout "${BENCH_TIMEOUT:-150}" python3 tests/benchmarks/cuda_vs_torch.py \
  bazel-bin/tests/benchmarks/cuda_benchmark | tee /tmp/cuda_vs_torch.txt
test "${PIPESTATUS[0]}" -eq 0 || status=1
if [[ -n "${OUT:-}" ]]; then cp /tmp/cuda_vs_torch.txt "$OUT/"; fi

stamp "done (status $status)"
exit $status
