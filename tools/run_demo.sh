#!/usr/bin/env bash
# Installs the dependencies and runs `fnx demo`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tools/install_deps.sh
bazel run --config=opt //tools:fnx -- demo
