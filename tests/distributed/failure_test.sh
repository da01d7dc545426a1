#!/usr/bin/env bash
# An error or crash on one rank ends the whole 2-rank job within 10 s with
# the rank and the error printed; mismatched collectives are reported in
# debug mode (FNX_DIST_DEBUG=1) instead of hanging.
# Usage: failure_test.sh <mpirun_test.sh> <failure_main>
set -uo pipefail
launcher="$1"
program="$2"
failures=0

expect_failure() {  # mode, then strings the output must contain
  local mode="$1"
  shift
  local start end output rc
  start=$(date +%s)
  output=$("${launcher}" 2 30 "${program}" "${mode}" 2>&1)
  rc=$?
  end=$(date +%s)
  local seconds=$((end - start))
  if [[ ${rc} -eq 0 || ${rc} -eq 124 || ${rc} -eq 137 ]]; then
    echo "FAIL ${mode}: exit code ${rc} (want a failure, not success or timeout)"
    failures=$((failures + 1))
  elif ((seconds > 10)); then
    echo "FAIL ${mode}: took ${seconds} s (want <= 10)"
    failures=$((failures + 1))
  fi
  for want in "$@"; do
    if [[ "${output}" != *"${want}"* ]]; then
      echo "FAIL ${mode}: output lacks '${want}'"
      failures=$((failures + 1))
    fi
  done
  echo "--- ${mode}: exit ${rc} after ${seconds} s"
  echo "${output}" | head -20
}

expect_failure throw "[dist] rank 1: [failure_main] rank 1 gives up on purpose"
expect_failure run "[dist] rank 1: [failure_main] rank 1 gives up on purpose"
expect_failure crash
FNX_DIST_DEBUG=1 expect_failure mismatch "collective mismatch in MPI world" \
  "calls all_reduce(sum) float64 [4]" "calls all_gather float64 [4]"
FNX_DIST_DEBUG=1 expect_failure shape "calls all_reduce(sum) float64 [4]" \
  "calls all_reduce(sum) float64 [5]"
# The same with the bucket all-reduce the progress thread polls.
export FNX_DIST_PROGRESS_THREAD=1
expect_failure bucket "[dist] rank 1: [failure_main] rank 1 gives up on purpose"
FNX_DIST_DEBUG=1 expect_failure bucket_shape \
  "calls all_reduce(sum) float64 [4]" "calls all_reduce(sum) float64 [5]"


if ((failures > 0)); then
  echo "${failures} check(s) failed"
  exit 1
fi
echo "all failure checks passed"
