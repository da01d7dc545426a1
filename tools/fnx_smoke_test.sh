#!/usr/bin/env bash
# Runs the fnx tool's commands and checks their exit codes and key output.
set -euo pipefail
fnx="$1"
plugin="$2"
nn_plugin="$3"
swap_plugin="$4"

"${fnx}" help > /dev/null
demo="$("${fnx}" demo)"
grep -q "\[dot\] expected two 1-D tensors" <<< "${demo}"
grep -q "test accuracy: private" <<< "${demo}"
grep -q "loss of the ensemble's averaged prediction" <<< "${demo}"
grep -q "held-out query loss after one adaptation step" <<< "${demo}"
grep -q "all demos done" <<< "${demo}"
seed="$("${fnx}" demo seed)"
grep -q "the no_grad gotcha" <<< "${seed}"
if grep -q "dpsgd" <<< "${seed}"; then
  echo "fnx demo seed should run the seed demo only"; exit 1
fi
if "${fnx}" demo no-such-demo > /dev/null 2>&1; then
  echo "an unknown demo should fail"; exit 1
fi
info="$("${fnx}" info)"
grep -q "cpu" <<< "${info}"
grep -q "matmul" <<< "${info}"
# cpu and every rule table full (batching, vjp, jvp, functionalize); the
# cuda column is full only in --config=cuda builds.
grep -qE "^total +([0-9]+)/\1 +[0-9]+/\1 +\1/\1 +\1/\1 +\1/\1 +\1/\1\b" <<< "${info}"
with_plugin="$("${fnx}" info --plugin "${plugin}")"
grep -q "test_table" <<< "${with_plugin}"
with_nn="$("${fnx}" info --plugin "${nn_plugin}")"
grep -q "^  nn .*libfnx_nn.so  0 entries" <<< "${with_nn}"
# A plugin that swaps the CPU Neg kernel is reported as such.
with_swap="$("${fnx}" info --plugin "${swap_plugin}")"
grep -q "cpu neg: plugin 'swap_neg' replaces 'cpu'" <<< "${with_swap}"
if "${fnx}" no-such-command > /dev/null 2>&1; then
  echo "unknown command should fail"; exit 1
fi
if "${fnx}" info --plugin missing.so > /dev/null 2>&1; then
  echo "loading a missing plugin should fail"; exit 1
fi
echo "fnx smoke test passed"
