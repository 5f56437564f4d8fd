#!/usr/bin/env bash
# Configures and builds metabench (Release) into build/.  Extra arguments go
# to CMake, e.g. -DCMAKE_PREFIX_PATH=/opt/libtorch for another LibTorch.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
if [ ! -f build/CMakeCache.txt ]; then
  cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=Release "$@"
elif [ $# -gt 0 ]; then
  cmake -S . -B build "$@"
fi
cmake --build build -j "$(nproc)"
