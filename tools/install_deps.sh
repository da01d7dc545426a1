#!/usr/bin/env bash
# Installs the Debian packages fnx builds with (see docs/ARCHITECTURE.md,
# "Building offline"). Idempotent: when every package is already installed
# it touches nothing; otherwise it runs `apt-get update` once and installs
# only what is missing. Uses sudo only when not running as root.
set -euo pipefail

PACKAGES=(
  bazel-bootstrap
  libabsl-dev
  libgtest-dev
  libgmock-dev
  libbenchmark-dev
  libprotobuf-dev
  protobuf-compiler
  libopenblas-dev
  pkg-config
  cmake
  zlib1g-dev
  openmpi-bin
  libopenmpi-dev
)

installed() {
  dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed$'
}

missing=()
for pkg in "${PACKAGES[@]}"; do
  installed "${pkg}" || missing+=("${pkg}")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "install_deps: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "install_deps: need root or sudo to install: ${missing[*]}" >&2
    exit 1
  fi
  SUDO=(sudo)
fi

echo "install_deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "${missing[@]}"

for pkg in "${missing[@]}"; do
  if ! installed "${pkg}"; then
    echo "install_deps: ${pkg} is still not installed" >&2
    exit 1
  fi
done
echo "install_deps: done"
