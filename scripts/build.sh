#!/usr/bin/env bash
# Configures and builds metabench (Release) into build/.
#
#   bash scripts/build.sh [CMAKE ARGS]             everything, the tests included
#   bash scripts/build.sh --no-tests [CMAKE ARGS]  the metabench command and its
#                                                  library only (the quickstart)
#
# Extra arguments go to CMake, e.g. -DCMAKE_PREFIX_PATH=/opt/libtorch for
# another LibTorch.  --no-tests installs only the packages of running
# metabench (scripts/setup.sh run); a later full build turns the tests on.
set -euo pipefail
cd "$(dirname "$0")/.."
tests=ON
if [ "${1:-}" = --no-tests ]; then
  tests=OFF
  shift
fi
if [ "$tests" = ON ]; then
  bash scripts/setup.sh test
else
  bash scripts/setup.sh run
fi
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
if [ ! -f build/CMakeCache.txt ]; then
  cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DMETABENCH_BUILD_TESTS="$tests" "$@"
elif [ "$tests" = ON ] && ! grep -q '^METABENCH_BUILD_TESTS:BOOL=ON' build/CMakeCache.txt; then
  cmake -S . -B build -DMETABENCH_BUILD_TESTS=ON "$@"
elif [ $# -gt 0 ]; then
  cmake -S . -B build "$@"
fi
if [ "$tests" = ON ]; then
  cmake --build build -j "$(nproc)"
else
  cmake --build build -j "$(nproc)" --target metabench
fi
