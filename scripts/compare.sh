#!/usr/bin/env bash
# The comparison benchmark: metabench against a straightforward PyTorch
# reference (Debian's python3-torch, the same LibTorch 1.13), alternating in
# one run.  Prints a Markdown table; see docs/performance.md.  Arguments go to
# scripts/compare/compare.py, e.g. --settings maml protonet --rounds 5.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh >&2
exec /usr/bin/python3 scripts/compare/compare.py --build build "$@"
