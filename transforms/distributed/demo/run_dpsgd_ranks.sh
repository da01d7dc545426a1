#!/usr/bin/env bash
# DP-SGD across N ranks vs one process: runs the demo both ways and checks
# that the losses, parameter checksum and accuracy agree to 9 digits.
# Usage: run_dpsgd_ranks.sh [ranks] [epochs] [demo binary]
# (default: 2 ranks, 2 epochs, bazel-bin/transforms/distributed/demo/dpsgd_ranks)
set -euo pipefail
ranks="${1:-2}"
epochs="${2:-2}"
demo="${3:-bazel-bin/transforms/distributed/demo/dpsgd_ranks}"
here="$(cd "$(dirname "$0")" && pwd)"
launcher="${here}/../../../tests/distributed/mpirun_test.sh"
[[ -x "${launcher}" ]] || launcher="${MPIRUN_LAUNCHER:?set MPIRUN_LAUNCHER}"

one="$("${demo}" "${epochs}")"
many="$("${launcher}" "${ranks}" 300 "${demo}" "${epochs}")"
echo "--- one process"
echo "${one}"
echo "--- ${ranks} ranks"
echo "${many}"
# Rounded to 9 significant digits: the ranks sum the gradients in another
# order than one process does.
round() { grep -E "^(epoch|checksum|test)" | awk '{ $NF = sprintf("%.9g", $NF); print }'; }
if [[ "$(round <<< "${one}")" != "$(round <<< "${many}")" ]]; then
  echo "DP-SGD on ${ranks} ranks differs from one process"
  exit 1
fi
echo "DP-SGD on ${ranks} ranks equals the one-process run"
