#!/usr/bin/env bash
# The README's main command: builds metabench, runs the quickstart sweep on the
# embedded synthetic dataset (no download; about 10 minutes on 2 cores) and
# prints its report.  Interrupt it at any time; run it again to resume.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
./build/metabench sweep configs/sweeps/quickstart.yaml "$@"
./build/metabench report --sweep quickstart
