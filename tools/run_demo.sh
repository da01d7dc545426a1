#!/usr/bin/env bash
# Installs the dependencies and runs `fnx demo`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tools/install_deps.sh
# Idle OpenBLAS threads spin (sched_yield) for ~2^28 cycles by default and
# take the cores fnx's own threads need between GEMMs; see README.
export OPENBLAS_THREAD_TIMEOUT="${OPENBLAS_THREAD_TIMEOUT:-4}"
bazel run --config=opt //tools:fnx -- demo
