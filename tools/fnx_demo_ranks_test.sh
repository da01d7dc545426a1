#!/usr/bin/env bash
# `fnx demo dpsgd --ranks 2 --epochs 1`: the tool prints the mpirun command
# and the demo runs on 2 ranks; bad options are usage errors.
set -euo pipefail
fnx="$1"
out="$(timeout --kill-after=5 300 "${fnx}" demo dpsgd --ranks 2 --epochs 1)"
echo "${out}"
grep -q "^fnx demo dpsgd: mpirun .*-np 2 .*dpsgd_ranks 1$" <<< "${out}"
grep -q "^ranks 2 batch 64 (32 per rank)$" <<< "${out}"
grep -q "^epoch 0 loss " <<< "${out}"
grep -q "^test accuracy " <<< "${out}"
for bad in "--ranks" "--ranks 0" "--ranks two" "--nodes 2"; do
  # shellcheck disable=SC2086
  if "${fnx}" demo dpsgd ${bad} > /dev/null 2>&1; then
    echo "fnx demo dpsgd ${bad} should be a usage error"; exit 1
  fi
done
echo "fnx demo dpsgd --ranks works"
