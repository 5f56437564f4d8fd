#!/usr/bin/env bash
# The README's main command: builds metabench, runs the quickstart sweep on the
# embedded synthetic dataset (no download) and prints its report: 19 min 50 s
# on 2 cores from a fresh clone (2026-12-02: build 3 min 43 s, sweep 16 min
# 07 s; the sweep took 13 min 54 s and 15 min 45 s on 2026-12-01).  It
# builds only the metabench command.  Interrupt it at any time; run it again
# to resume.  Cells run side by side, one per CPU up to 8 (--jobs): on 2
# cores a second thread speeds one run up by at most 1.1x, a second job
# about 1.5x (docs/performance.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh --no-tests
cpus=$(nproc)
./build/metabench sweep configs/sweeps/quickstart.yaml --jobs "$((cpus < 8 ? cpus : 8))" "$@"
./build/metabench report --sweep quickstart
