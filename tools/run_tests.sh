#!/usr/bin/env bash
# Installs the dependencies, runs every test (`bazel test //...`, plus any
# extra Bazel arguments given, e.g. --config=asan), builds and runs the
# outside Bazel workspace examples/bazel_consumer, and prints, as its last
# line, "N passed, M failed" counting test targets (the consumer as one). Exits non-zero when a
# test fails, times out, has no status or the build fails.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! bash tools/install_deps.sh; then
  echo "run_tests: installing dependencies failed"
  echo "0 passed, 1 failed"
  exit 1
fi

log="$(mktemp "${TMPDIR:-/tmp}/fnx_tests.XXXXXX")"
trap 'rm -f "${log}"' EXIT

# --keep_going: one broken target must not hide the results of the others.
# --test_summary=short: one line per test target, passed ones included
# (.bazelrc's terse summary lists only the failures).
bazel test //... --keep_going --test_summary=short "$@" 2>&1 | tee "${log}"
rc=${PIPESTATUS[0]}

# The per-target summary follows Bazel's last "Elapsed time" line; test
# output printed earlier is not parsed.
summary="$(awk '/^INFO: Elapsed time:/ { buf = ""; next } { buf = buf $0 "\n" }
                END { printf "%s", buf }' "${log}")"
if ! grep -q '^INFO: Elapsed time:' "${log}"; then
  summary="$(cat "${log}")"
fi
target_lines="$(printf '%s\n' "${summary}" | grep -E '^//[^ ]+ ' || true)"
count() {
  printf '%s\n' "${target_lines}" | grep -E "$1" | awk '{ print $1 }' |
    sort -u | grep -c . || true
}
passed=$(count '[ )](PASSED|FLAKY)\b')
failed=$(count '[ )](FAILED|TIMEOUT|NO STATUS|INCOMPLETE|REMOTE FAILURE)\b')
flaky="$(printf '%s\n' "${target_lines}" | grep -E '[ )]FLAKY' |
  awk '{ print $1 }' || true)"
if [[ -n "${flaky}" ]]; then
  echo "run_tests: flaky (passed on retry): $(echo ${flaky})"
fi

# An outside Bazel workspace that uses fnx through deps.bzl, built and run
# on its own (examples/bazel_consumer; .bazelignore keeps it out of //...).
# It counts as one more test target.
echo "run_tests: building and running examples/bazel_consumer"
if (cd examples/bazel_consumer && bazel run //:per_sample_grads 2>&1 |
    tail -n 20 && test "${PIPESTATUS[0]}" -eq 0); then
  echo "//examples/bazel_consumer:per_sample_grads PASSED"
  passed=$((passed + 1))
else
  echo "//examples/bazel_consumer:per_sample_grads FAILED"
  failed=$((failed + 1))
fi
(cd examples/bazel_consumer && bazel shutdown >/dev/null 2>&1) || true

# Bazel exit codes: 0 ok, 3 tests failed, 4 no test targets; anything else
# (1 build failure, 2 bad command line, 8 interrupted...) is a failure even
# when no target line says so.
if [[ ${rc} -ne 0 && ${rc} -ne 4 && ${failed} -eq 0 ]]; then
  failed=1
fi
if [[ ${rc} -ne 0 && ${rc} -ne 4 ]] || [[ ${failed} -gt 0 ]]; then
  status=1
else
  status=0
fi
echo "${passed} passed, ${failed} failed"
exit "${status}"
