#!/usr/bin/env bash
# Installs fnx for CMake and pkg-config consumers:
#
#   bazel run //tools:install -- --prefix DIR
#
# lays out DIR/include/fnx/<the headers, under their source paths>,
# DIR/lib/libfnx.so (core, CPU backend, every transform and nn),
# DIR/lib/pkgconfig/fnx.pc and DIR/lib/cmake/fnx/fnxConfig.cmake (imported
# target fnx::fnx). A relative DIR is taken from where `bazel run` was
# called. The files come from the runfiles manifest tools/install_manifest.txt.
set -euo pipefail

readonly VERSION="0.2.0"
prefix=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --prefix) prefix="${2:-}"; shift 2 ;;
    --prefix=*) prefix="${1#--prefix=}"; shift ;;
    -h|--help)
      sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
      exit 0 ;;
    *) echo "install: unknown argument '$1' (usage: --prefix DIR)" >&2; exit 2 ;;
  esac
done
if [[ -z "${prefix}" ]]; then
  echo "install: pass --prefix DIR (where include/ and lib/ go)" >&2
  exit 2
fi
if [[ "${prefix}" != /* ]]; then
  prefix="${BUILD_WORKING_DIRECTORY:-$PWD}/${prefix}"
fi

manifest="tools/install_manifest.txt"
if [[ ! -f "${manifest}" ]]; then
  echo "install: ${manifest} not found; run it as bazel run //tools:install" >&2
  exit 1
fi

mkdir -p "${prefix}/include/fnx" "${prefix}/lib/pkgconfig" \
  "${prefix}/lib/cmake/fnx"
headers=0
while read -r kind path; do
  case "${kind}" in
    header)
      mkdir -p "${prefix}/include/fnx/$(dirname "${path}")"
      install -m 0644 "${path}" "${prefix}/include/fnx/${path}"
      headers=$((headers + 1)) ;;
    lib)
      install -m 0755 "${path}" "${prefix}/lib/libfnx.so" ;;
  esac
done < "${manifest}"

cat > "${prefix}/lib/pkgconfig/fnx.pc" <<PC
prefix=${prefix}
includedir=\${prefix}/include
libdir=\${prefix}/lib

Name: fnx
Description: Composable function transforms (vmap, grad, jvp, ...) for C++
Version: ${VERSION}
Cflags: -std=c++20 -I\${includedir}/fnx
Libs: -L\${libdir} -Wl,-rpath,\${libdir} -lfnx
PC

cat > "${prefix}/lib/cmake/fnx/fnxConfig.cmake" <<'CMAKE'
# fnx's CMake package: find_package(fnx) gives the imported target fnx::fnx
# (libfnx.so, the include directory, C++20).
get_filename_component(_fnx_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
if(NOT TARGET fnx::fnx)
  add_library(fnx::fnx SHARED IMPORTED)
  set_target_properties(fnx::fnx PROPERTIES
    IMPORTED_LOCATION "${_fnx_prefix}/lib/libfnx.so"
    IMPORTED_NO_SONAME TRUE
    INTERFACE_INCLUDE_DIRECTORIES "${_fnx_prefix}/include/fnx"
    INTERFACE_COMPILE_FEATURES cxx_std_20)
endif()
set(fnx_FOUND TRUE)
unset(_fnx_prefix)
CMAKE

cat > "${prefix}/lib/cmake/fnx/fnxConfigVersion.cmake" <<CMAKE
set(PACKAGE_VERSION "${VERSION}")
if(PACKAGE_FIND_VERSION VERSION_GREATER PACKAGE_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
else()
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
  if(PACKAGE_FIND_VERSION STREQUAL PACKAGE_VERSION)
    set(PACKAGE_VERSION_EXACT TRUE)
  endif()
endif()
CMAKE

echo "install: ${headers} headers, libfnx.so, fnx.pc and fnxConfig.cmake in ${prefix}"
