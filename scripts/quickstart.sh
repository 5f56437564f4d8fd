#!/usr/bin/env bash
# The README's main command: builds metabench, runs the quickstart sweep on the
# embedded synthetic dataset (no download) and prints its report: 8 min 20 s
# and 9 min 25 s on 2 cores from a fresh clone (2026-12-06, build included;
# the sweep 7 min 10 s and 7 min 58 s), up to about 13 minutes on a slower
# day of the same CPU (docs/performance.md).  It
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
