#!/usr/bin/env bash
# Runs a test binary as N ranks on this machine under mpirun, within a time
# limit: mpirun_test.sh <ranks> <seconds> <binary> [args...].
# The flags are what a container needs: root allowed, shared memory
# without single-copy (no ptrace), more ranks than cores allowed.
set -euo pipefail
ranks="$1"
seconds="$2"
shift 2
# Under --config=asan / tsan, OpenMPI's own memory kept at exit and its
# uninstrumented threads are not fnx's bugs: leak and race reports are off
# in the ranks. The one-process runs of the same test binaries (the
# cc_tests) keep them on.
export ASAN_OPTIONS="${ASAN_OPTIONS:+${ASAN_OPTIONS}:}detect_leaks=0"
export TSAN_OPTIONS="${TSAN_OPTIONS:+${TSAN_OPTIONS}:}report_bugs=0"
exec timeout --kill-after=5 "${seconds}" mpirun \
  --allow-run-as-root --oversubscribe \
  --mca btl self,vader --mca btl_vader_single_copy_mechanism none \
  -np "${ranks}" "$@"
