#!/usr/bin/env bash
# Runs the fnx tool's commands and checks their exit codes and key output.
set -euo pipefail
fnx="$1"
plugin="$2"

"${fnx}" help > /dev/null
demo="$("${fnx}" demo)"
grep -q "\[dot\] expected two 1-D tensors" <<< "${demo}"
info="$("${fnx}" info)"
grep -q "cpu" <<< "${info}"
grep -q "matmul" <<< "${info}"
with_plugin="$("${fnx}" info --plugin "${plugin}")"
grep -q "test_table" <<< "${with_plugin}"
if "${fnx}" no-such-command > /dev/null 2>&1; then
  echo "unknown command should fail"; exit 1
fi
if "${fnx}" info --plugin missing.so > /dev/null 2>&1; then
  echo "loading a missing plugin should fail"; exit 1
fi
echo "fnx smoke test passed"
