#!/usr/bin/env bash
# Installs the Debian packages metabench needs, idempotently: when everything
# is already installed it changes nothing and needs no root.
set -euo pipefail

packages=(
  g++ cmake ninja-build git pkg-config sqlite3
  libtorch-dev libopenblas0-pthread        # LibTorch; OpenBLAS instead of the reference BLAS (~35x faster GEMM)
  libgloo-dev                               # headers of c10d's Gloo process group (run --nproc)
  libtcmalloc-minimal4                      # allocator: glibc malloc returns LibTorch's big tensors to the kernel
  python3-torch                             # the PyTorch reference of scripts/compare.sh (same LibTorch 1.13)
  python3-scipy                             # tests: reference values of the significance tests
  libyaml-cpp-dev libboost-program-options-dev libsqlite3-dev
  libgtest-dev libbenchmark-dev
  libarchive-dev libcurl4-openssl-dev zlib1g-dev libstb-dev   # dataset readers, downloader
  dataset-fashion-mnist                                        # cross-domain test set
  gnuplot-nox                                                  # report plots
  chromium                                                     # tests: the HTML report in a headless browser
  munge slurmctld slurmd slurm-client                          # `metabench slurm`; tests: a one-node cluster
  clang libclang-rt-14-dev                                     # tests: the ASan+UBSan build and libFuzzer targets
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} Debian packages are installed"
  exit 0
fi

echo "setup: installing ${missing[*]}"
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup: apt-get not found. metabench's scripts target Debian 12 (bookworm) or newer." >&2
  echo "setup: install these packages (or their equivalents) yourself: ${missing[*]}" >&2
  exit 1
fi
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  echo "setup: installing packages needs root. Run as root, or:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done"
