#!/usr/bin/env bash
# The README's test command (and CI's): checks the layering of the includes,
# builds metabench and runs every test, then the sanitizer stage: the unit
# tests that touch parsing, the store and the sweep under ASan+UBSan, and
# each fuzz target for 20 s (scripts/sanitize.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# The layering rule (docs/architecture.md), before spending minutes on a build.
/usr/bin/python3 scripts/check_includes.py
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j "$(nproc)"
bash scripts/sanitize.sh
