#!/usr/bin/env bash
# Builds fnx's fuzz targets (tests/fuzz) with clang's libFuzzer, AddressSanitizer
# and UndefinedBehaviorSanitizer, and runs each for a given time, starting
# from its checked-in seed corpus (tests/fuzz/corpus; new inputs the fuzzer
# finds go to a scratch copy, not into the repository).
#
#   bash tools/fuzz.sh                # every target, 60 s each
#   bash tools/fuzz.sh 600            # 10 minutes each
#   bash tools/fuzz.sh 60 elf_fuzzer  # one target
#
# It uses its own Bazel output base, so switching to clang does not rebuild
# the gcc tree. A crash stops that target, leaves the input in
# fuzz-artifacts/ and makes the script exit non-zero; add the input to the
# target's corpus folder with the fix, so the corpus test keeps it fixed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds="${1:-60}"
shift || true
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then targets=(checkpoint_fuzzer elf_fuzzer); fi

bash tools/install_deps.sh
if ! command -v clang >/dev/null || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
  echo "fuzz: installing clang and its libFuzzer runtime"
  sudo_cmd=""
  if [[ $(id -u) -ne 0 ]]; then sudo_cmd="sudo"; fi
  ${sudo_cmd} apt-get install -y clang libclang-rt-dev >/dev/null
fi

base="${HOME}/.cache/fnx-fuzz-output-base"
flags=(
  # No bazel-* symlinks: they would point the plain build's tree at this
  # output base.
  --symlink_prefix=/
  --repo_env=CC=clang
  --define=fnx_fuzz=libfuzzer
  --copt=-fsanitize=fuzzer-no-link,address,undefined
  --linkopt=-fsanitize=address,undefined
  --copt=-fno-sanitize-recover=undefined
  # Bazel links with the C driver: leave out the two checks that need
  # UBSan's C++ runtime.
  --copt=-fno-sanitize=vptr,function
  --copt=-Wno-error
  --copt=-O1 --copt=-g
)
labels=()
for t in "${targets[@]}"; do labels+=("//tests/fuzz:${t}"); done
bazel --output_base="${base}" build "${flags[@]}" "${labels[@]}"
bin="$(bazel --output_base="${base}" info "${flags[@]}" bazel-bin 2>/dev/null)"

status=0
mkdir -p fuzz-artifacts
for t in "${targets[@]}"; do
  seeds="tests/fuzz/corpus/${t%_fuzzer}"
  work="$(mktemp -d)"
  cp -r "${seeds}/." "${work}/"
  echo "fuzz: ${t} for ${seconds} s from ${seeds}"
  if ! "${bin}/tests/fuzz/${t}" -max_total_time="${seconds}" \
      -artifact_prefix="fuzz-artifacts/${t}-" -print_final_stats=1 \
      -rss_limit_mb=4096 -timeout=20 "${work}" 2>&1 | tee "${work}.log" |
      grep -E "^(#[0-9]+.*DONE|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY)"; then
    :
  fi
  if grep -qE "==[0-9]+==ERROR|SUMMARY: |deadly signal" "${work}.log"; then
    echo "fuzz: ${t} FOUND A CRASH (input in fuzz-artifacts/)"
    status=1
  fi
  rm -rf "${work}" "${work}.log"
done
exit "${status}"
