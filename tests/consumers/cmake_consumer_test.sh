#!/usr/bin/env bash
# Installs fnx into a temporary prefix (//tools:install) and builds the
# example consumer (examples/cmake_consumer) against it two ways, CMake
# (find_package(fnx), target fnx::fnx) and pkg-config (fnx.pc), then runs
# both programs, which check their results.
set -euo pipefail

prefix="${TEST_TMPDIR}/prefix"
src="examples/cmake_consumer"
tools/install --prefix "${prefix}"

for f in include/fnx/fnx.h include/fnx/core/tensor.h lib/libfnx.so \
         lib/pkgconfig/fnx.pc lib/cmake/fnx/fnxConfig.cmake; do
  [[ -e "${prefix}/${f}" ]] || { echo "missing ${f}"; exit 1; }
done

echo "== CMake"
cmake -S "${src}" -B "${TEST_TMPDIR}/build" -DCMAKE_PREFIX_PATH="${prefix}" \
  -DCMAKE_BUILD_TYPE=Release
cmake --build "${TEST_TMPDIR}/build" -j 2
"${TEST_TMPDIR}/build/per_sample_grads"

echo "== pkg-config"
export PKG_CONFIG_PATH="${prefix}/lib/pkgconfig"
# shellcheck disable=SC2046
g++ -O1 "${src}/main.cc" $(pkg-config --cflags --libs fnx) \
  -o "${TEST_TMPDIR}/per_sample_grads_pc"
"${TEST_TMPDIR}/per_sample_grads_pc"
