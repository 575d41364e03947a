#!/usr/bin/env bash
# Builds (incrementally) and runs every test tier: unit, e2e and gpu (gpu tests skip with a
# reason on machines without an NVIDIA GPU). Extra arguments go to ctest (e.g. -L unit).
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${ENVPIN_PRESET:-release}
[ -f "build/$preset/CMakeCache.txt" ] || cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$(nproc)"
ctest --preset "$preset" -j "$(nproc)" --timeout 600 "$@"
