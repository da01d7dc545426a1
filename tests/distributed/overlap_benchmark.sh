#!/usr/bin/env bash
# The overlap benchmark (overlap_benchmark.cc) on 2 ranks, with and without
# the MPI progress thread, with DDP's 25 MB buckets and with 8 MB buckets
# (one per layer). Run from the repository root on a quiet machine:
#   bazel build --config=opt //tests/distributed:overlap_benchmark
#   tests/distributed/overlap_benchmark.sh [reps] [threads per rank]
set -euo pipefail
reps="${1:-10}"
export FNX_NUM_THREADS="${2:-1}"
binary=bazel-bin/tests/distributed/overlap_benchmark
for thread in 1 0; do
  for mb in 25 8; do
    FNX_DIST_PROGRESS_THREAD="${thread}" \
      "$(dirname "$0")/mpirun_test.sh" 2 600 \
      -x FNX_DIST_PROGRESS_THREAD -x FNX_NUM_THREADS \
      "${binary}" "${reps}" "${mb}"
  done
done
