#!/usr/bin/env bash
# The README's test command (and CI's): builds metabench and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j "$(nproc)"
