#!/bin/sh
# fnx next to functorch 1.13, torch.func 2.x, JAX and numpy: runs
# peers_compare.py from the repository root (arguments pass through), e.g.
#   tests/benchmarks/peers_compare.sh --rounds 5 --only 'jac|hvp'
# See tests/benchmarks/README.md.
cd "$(dirname "$0")/../.." || exit 1
exec python3 tests/benchmarks/peers_compare.py "$@"
