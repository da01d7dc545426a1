#!/usr/bin/env bash
# One DP-SGD epoch on the digits as 1 process and as N ranks
# (dpsgd_epoch_benchmark.cc). Run from the repository root:
#   bazel build --config=opt //tests/distributed:dpsgd_epoch_benchmark
#   tests/distributed/dpsgd_epoch_benchmark.sh [ranks] [threads per rank]
# The 1-process run gets ranks x threads threads, so both use the same
# cores.
set -euo pipefail
ranks="${1:-2}"
threads="${2:-1}"
binary=bazel-bin/tests/distributed/dpsgd_epoch_benchmark
echo "--- 1 process, FNX_NUM_THREADS=$((ranks * threads))"
FNX_NUM_THREADS=$((ranks * threads)) "${binary}" --benchmark_color=false
echo "--- ${ranks} ranks, FNX_NUM_THREADS=${threads} each"
FNX_NUM_THREADS="${threads}" "$(dirname "$0")/mpirun_test.sh" "${ranks}" 600 \
  -x FNX_NUM_THREADS "${binary}" --benchmark_color=false
