#!/bin/bash
# The CUDA backend's device checks, in one run (about 4 minutes on a
# 16-core H100 machine, at most 10): the CUDA test suites on the GPU, then the
# benchmarks next to PyTorch, printing every figure. From the repository
# root:
#
#   tools/device/cuda_checks.sh                 # everything
#   SKIP_TESTS=1 tools/device/cuda_checks.sh    # benchmarks only
#   SKIP_SANITIZER=1 ...                        # no compute-sanitizer stage
#
# Where Bazel is installed it builds with --config=cuda --config=opt and runs
# the test targets. Where it is not (this workplace's device machines: CUDA,
# PyTorch, no Bazel, nothing to fetch) it runs the prebuilt binaries of
# .device/cuda_bundle.tar.xz (tools/device/make_cuda_bundle.sh, run where
# Bazel is; carry .device). FNX_USE_BUNDLE=1 forces the bundle.
#
# When $OUT is set (the device tool's result folder), test logs and the
# benchmark output are copied there. Stage limits (seconds) can be raised
# for slower machines: BUILD_TIMEOUT (300), TEST_TIMEOUT (150),
# BENCH_TIMEOUT (150), SANITIZER_TIMEOUT (180, shared by its three tools).
set -uo pipefail
cd "$(dirname "$0")/../.."
start=$(date +%s)
stamp() { echo "== [$(( $(date +%s) - start ))s] $*"; }
status=0

stamp "machine"
# Where nvidia-smi sees a GPU, a CUDA test that would skip fails instead
# (tests/cuda/cuda_test_util.h): a run that never reached the GPU can't pass.
if nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.memory \
    --format=csv 2>&1; then
  export FNX_CUDA_TESTS_REQUIRE_GPU=1
else
  echo "nvidia-smi failed: the tests may skip"
fi
nproc
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())' 2>&1 | tail -1

TESTS=(
  //tests/cuda:device_test
  //tests/cuda:no_device_test
  //tests/cuda:lazy_load_test
  //tests/cuda:runtime_errors_test
  //tests/cuda:kernels_cuda_test
  //tests/cuda:pool_cuda_test
  //tests/cuda:linalg_cuda_test
  //tests/cuda:models_cuda_test
  //tests/cuda:opinfo_cuda_test
  //tests/cuda:transforms_opdb_cuda_test
  //tests/cuda:fused_cuda_test
  //tests/cuda:fused_nvrtc_test
  //tests/cuda:export_cuda_test
)

# ---- with Bazel: build here, run the test targets ----
run_with_bazel() {
  local flags=(--config=cuda --config=opt --jobs="$(nproc)")
  stamp "build (nvcc + g++, opt)"
  if ! timeout "${BUILD_TIMEOUT:-300}" bazel build "${flags[@]}" \
      //backends/cuda/... "${TESTS[@]}" //tests/benchmarks:cuda_benchmark \
      //tests/cuda:cuda_device_tests \
      2>&1 | grep -v '^\['; then
    echo "BUILD FAILED"
    exit 1
  fi
  if [[ "${SKIP_TESTS:-0}" != 1 ]]; then
    stamp "tests on the GPU"
    timeout "${TEST_TIMEOUT:-150}" bazel test "${flags[@]}" \
      --test_output=errors --test_timeout=140 --test_summary=short \
      --test_env=FNX_CUDA_TESTS_REQUIRE_GPU \
      "${TESTS[@]}" 2>&1 | grep -v '^\[' | tail -60
    test "${PIPESTATUS[0]}" -eq 0 || status=1
    for t in "${TESTS[@]}"; do
      log="bazel-testlogs/${t#//}"; log="${log/://}/test.log"
      [[ -f "$log" ]] || continue
      printf '%-48s %s passed, %s skipped, %s failed\n' "$t" \
        "$(grep -c '^\[       OK \]' "$log")" \
        "$(grep -c '^\[  SKIPPED \]' "$log")" \
        "$(grep -c '^\[  FAILED  \].*(' "$log")"
      if [[ -n "${OUT:-}" ]]; then
        { echo "==== $t"; cat "$log"; } >> "$OUT/testlogs.txt"
      fi
    done
  fi
  BENCH=bazel-bin/tests/benchmarks/cuda_benchmark
  DEVICE_TESTS=bazel-bin/tests/cuda/cuda_device_tests
}

# ---- without Bazel: the binaries of .device/cuda_bundle.tar.xz, built
# elsewhere by tools/device/make_cuda_bundle.sh ----
run_bundle() {
  local root=/tmp/fnx_cuda_bundle
  stamp "unpack .device/cuda_bundle.tar.xz"
  rm -rf "$root" && mkdir -p "$root" &&
    tar -C "$root" -xJf .device/cuda_bundle.tar.xz || exit 1
  local b="$root/bundle"
  # CUDA's libraries: the toolkit's, and cuDNN wherever it is installed
  # (PyTorch's wheels carry one).
  local dirs="$b/lib"
  # nvrtc: cuDNN 9 compiles some of its engines at run time. One pass over
  # the file system (the image is large); the toolkit's copy first.
  local names=(libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcudnn.so.9
               libnvrtc.so.13)
  local found_all
  found_all=$(find /usr/local/cuda/lib64/ /usr/local /opt /usr/lib \
    \( -name libcudart.so.13 -o -name libcublas.so.13 -o -name libcublasLt.so.13 \
       -o -name libcudnn.so.9 -o -name libnvrtc.so.13 \) 2>/dev/null)
  for name in "${names[@]}"; do
    local found
    found=$(grep -m1 "/$name\$" <<< "$found_all")
    if [[ -n "$found" ]]; then
      dirs="$dirs:$(dirname "$found")"
      echo "$name: $found"
    else
      echo "$name: NOT FOUND"
    fi
  done
  export LD_LIBRARY_PATH="$dirs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  if [[ "${SKIP_TESTS:-0}" != 1 ]]; then
    stamp "tests on the GPU (bundle: cuda_device_tests, a process per suite)"
    # A process per test suite: a kernel fault leaves the CUDA context
    # unusable, and it should cost only its own suite's results.
    local suites
    suites=$(cd "$b" && ./bin/cuda_device_tests --gtest_list_tests |
      awk '/^[^ ].*\.$/ {sub(/\.$/, ""); print}')
    local deadline=$(( $(date +%s) + ${TEST_TIMEOUT:-150} ))
    : > "$b/tests.log"
    for suite in $suites; do
      local left=$(( deadline - $(date +%s) ))
      if (( left <= 0 )); then
        echo "$suite: not run (out of time)" | tee -a "$b/tests.log"
        status=1
        continue
      fi
      (cd "$b" && timeout "$left" ./bin/cuda_device_tests --gtest_brief=1 \
        --gtest_filter="$suite.*" > "$b/suite.log" 2>&1)
      local rc=$?
      cat "$b/suite.log" >> "$b/tests.log"
      printf '%-36s %s passed, %s skipped, %s failed%s\n' "$suite" \
        "$(grep -oP '(?<=\[  PASSED  \] )[0-9]+' "$b/suite.log" || echo 0)" \
        "$(grep -oP '(?<=\[  SKIPPED \] )[0-9]+(?= test)' "$b/suite.log" || echo 0)" \
        "$(grep -oP '(?<=\[  FAILED  \] )[0-9]+(?= test)' "$b/suite.log" || echo 0)" \
        "$( ((rc == 0)) || echo "   (exit $rc)")"
      test "$rc" -eq 0 || status=1
    done
    grep -E '^\[  FAILED  \]|Failure|error' "$b/tests.log" | head -60
    stamp "lazy loading of libfnx_cuda.so (bundle: lazy_load_test)"
    (cd "$b" && timeout 60 ./bin/lazy_load_test --gtest_brief=1) 2>&1 | tail -5
    test "${PIPESTATUS[0]}" -eq 0 || status=1
    if [[ -n "${OUT:-}" ]]; then cp "$b/tests.log" "$OUT/cuda_device_tests.log"; fi
  fi
  # The benchmark and the sanitizer stage run with the bundle's libraries;
  # PyTorch without them.
  BENCH="$b/bin/run_benchmark.sh"
  DEVICE_TESTS="$b/bin/run_device_tests.sh"
  printf '#!/bin/bash\nexport LD_LIBRARY_PATH="%s"\nexec "%s" "$@"\n' \
    "$LD_LIBRARY_PATH" "$b/bin/cuda_benchmark" > "$BENCH"
  printf '#!/bin/bash\nexport LD_LIBRARY_PATH="%s"\ncd "%s"\nexec ./bin/cuda_device_tests "$@"\n' \
    "$LD_LIBRARY_PATH" "$b" > "$DEVICE_TESTS"
  chmod +x "$BENCH" "$DEVICE_TESTS"
  unset LD_LIBRARY_PATH
}

# ---- compute-sanitizer over the backend's own kernels: memcheck (out of
# bounds; with FNX_CUDA_NO_CACHING=1 every tensor is its own allocation),
# racecheck and synccheck (shared memory and barriers: the reductions).
# Last, so that a slow tool costs no benchmark figures; a tool that runs
# out of time is reported, not failed. ----
run_sanitizer() {
  local cs
  cs=$(command -v compute-sanitizer || find /usr/local/cuda/bin /usr/local \
    /opt -name compute-sanitizer -type f 2>/dev/null | head -1)
  if [[ -z "$cs" ]]; then
    echo "compute-sanitizer not found: stage skipped"
    return
  fi
  local budget=${SANITIZER_TIMEOUT:-180}
  # Only fnx's own kernels are checked where the tool can filter by name
  # (cuBLAS and cuDNN run unchecked, at full speed).
  local only_ours=()
  if "$cs" --help 2>&1 | grep -q -- '--kernel-name'; then
    only_ours=(--kernel-name kns=fnx)
  fi
  local tool filter share n=0
  # memcheck first over the kernel suites (fast, and the kernels are
  # ours), then over the op database and the models, each with its share.
  # Shares as measured on an H100 (2026-11-26): memcheck 2.5 s and 3.2 s,
  # synccheck 2.2 s, racecheck 107 s (it instruments every shared-memory
  # access of the reductions).
  for spec in \
      "memcheck CudaKernels.*:CudaPool.* 10" \
      "memcheck AllOps/OpInfoCudaTest.*:ModelsCuda.* 10" \
      "racecheck CudaKernels.*:CudaPool.* 70" \
      "synccheck CudaKernels.*:CudaPool.* 10"; do
    read -r tool filter share <<< "$spec"
    local limit=$(( budget * share / 100 )) log=/tmp/sanitizer_$((++n)).log
    local rc
    for _ in 1 2; do
      FNX_CUDA_NO_CACHING=1 timeout "$limit" "$cs" --tool "$tool" \
        "${only_ours[@]}" --error-exitcode 86 --print-limit 20 \
        "$DEVICE_TESTS" --gtest_brief=1 --gtest_filter="$filter" > "$log" 2>&1
      rc=$?
      # A tool that refuses the name filter: again, checking every kernel.
      if (( rc != 0 && rc != 86 && rc != 124 && ${#only_ours[@]} > 0 )) &&
          grep -qi 'kernel-name' "$log"; then
        echo "compute-sanitizer refused --kernel-name; checking every kernel"
        only_ours=()
        continue
      fi
      break
    done
    local summary reports
    summary=$(grep -E '(ERROR|RACECHECK) SUMMARY' "$log" | tail -1)
    # Report lines, not the banner, the summary or a report's indented
    # details.
    reports=$(grep -E '^========= [A-Z]' "$log" |
      grep -cvE 'COMPUTE-SANITIZER|SUMMARY')
    printf '%-10s %-48s ' "$tool" "$filter"
    if (( rc == 124 && reports > 0 )); then rc=86; fi  # found before time ran out
    case $rc in
      0) echo "clean. ${summary#=========}" ;;
      124) echo "did not finish in ${limit}s, nothing reported (not a failure)" ;;
      86) echo "ERRORS FOUND. ${summary#=========}"; status=1
          grep -E '^========= ' "$log" | head -30 ;;
      *) echo "tests failed under the tool (exit $rc)"; status=1
         grep -E '^\[  FAILED  \]|Failure' "$log" | head -10 ;;
    esac
    if [[ -n "${OUT:-}" ]]; then
      { echo "==== $tool $filter"; cat "$log"; } >> "$OUT/sanitizer.log"
    fi
  done
}

if command -v bazel >/dev/null && [[ "${FNX_USE_BUNDLE:-0}" != 1 ]]; then
  test -x /usr/local/cuda/bin/nvcc || { echo "no CUDA toolkit at /usr/local/cuda"; exit 2; }
  run_with_bazel
elif [[ -f .device/cuda_bundle.tar.xz ]]; then
  run_bundle
else
  echo "no bazel here and no .device/cuda_bundle.tar.xz: run"
  echo "tools/device/make_cuda_bundle.sh where Bazel is and carry .device"
  exit 2
fi

stamp "benchmarks: fnx (Google Benchmark) and PyTorch"
timeout "${BENCH_TIMEOUT:-150}" python3 tests/benchmarks/cuda_vs_torch.py \
  "$BENCH" | tee /tmp/cuda_vs_torch.txt
test "${PIPESTATUS[0]}" -eq 0 || status=1
if [[ -n "${OUT:-}" ]]; then cp /tmp/cuda_vs_torch.txt "$OUT/"; fi

if [[ "${SKIP_SANITIZER:-0}" != 1 ]]; then
  stamp "compute-sanitizer (memcheck, racecheck, synccheck)"
  run_sanitizer
fi

stamp "done (status $status)"
exit $status
