#!/bin/bash
# Writes a C++ file defining fnx::cuda::fused_embedded_headers(): each
# header given (paths under the workspace root) as an (include name, text)
# pair, for NVRTC to compile the fused kernels with (fused_nvrtc.cc).
set -euo pipefail
echo '#include <utility>'
echo '#include <vector>'
echo 'namespace fnx::cuda {'
echo 'const std::vector<std::pair<const char*, const char*>>&'
echo 'fused_embedded_headers() {'
echo '  static const std::vector<std::pair<const char*, const char*>> h = {'
for f in "$@"; do
  echo "{\"backends/${f#*backends/}\", R\"FNXEMBED("
  cat "$f"
  echo ')FNXEMBED"},'
done
echo '  };'
echo '  return h;'
echo '}'
echo '}  // namespace fnx::cuda'
