#!/usr/bin/env bash
# Installs the Debian packages a command needs, idempotently: when they are
# already installed it changes nothing and needs no root.
#
#   bash scripts/setup.sh run    building metabench and running it: the
#                                quickstart, sweeps, reports, downloads
#   bash scripts/setup.sh test   the above and what the tests need (the
#                                PyTorch reference, SciPy, GoogleTest, a
#                                headless Chromium, Slurm, clang's sanitizers)
#
# (no argument means `test`).  A requirement written `a|b|c` is met by any of
# them already installed, the first is installed otherwise: where Debian has
# alternatives (gnuplot's variants, libcurl's TLS flavours) the user's choice
# is kept.  apt-get runs with --no-remove, so nothing a user has installed is
# ever removed: a conflict stops the install with apt's message instead.
set -euo pipefail

profile=${1:-test}
case "$profile" in
  run | test) ;;
  *)
    echo "setup: unknown profile '$profile'; expected 'run' or 'test'" >&2
    exit 2
    ;;
esac

run_packages=(
  g++ cmake ninja-build git pkg-config sqlite3
  libtorch-dev libopenblas0-pthread        # LibTorch; OpenBLAS instead of the reference BLAS (~35x faster GEMM)
  libgloo-dev                               # headers of c10d's Gloo process group (run --nproc)
  libtcmalloc-minimal4                      # allocator: glibc malloc returns LibTorch's big tensors to the kernel
  libyaml-cpp-dev libboost-program-options-dev libsqlite3-dev
  libarchive-dev zlib1g-dev libstb-dev      # dataset readers
  "libcurl4-openssl-dev|libcurl4-gnutls-dev|libcurl4-nss-dev"  # the downloader, any TLS flavour
  ca-certificates                           # HTTPS downloads
  "gnuplot-nox|gnuplot-qt|gnuplot-x11"      # report plots
)
test_packages=(
  python3-torch                             # the PyTorch reference of scripts/compare.sh (same LibTorch 1.13)
  python3-scipy                             # reference values of the significance tests
  libgtest-dev libbenchmark-dev
  dataset-fashion-mnist                     # the cross-domain test set
  chromium                                  # the HTML report in a headless browser
  munge slurmctld slurmd slurm-client       # a one-node Slurm cluster
  clang libclang-rt-14-dev                  # the ASan+UBSan build and libFuzzer targets
  qemu-user                                 # kernels' AVX2 and baseline builds on emulated CPUs
)
requirements=("${run_packages[@]}")
if [ "$profile" = test ]; then
  requirements+=("${test_packages[@]}")
fi

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=()
for requirement in "${requirements[@]}"; do
  IFS='|' read -r -a choices <<<"$requirement"
  met=0
  for p in "${choices[@]}"; do
    if installed "$p"; then
      met=1
      break
    fi
  done
  [ "$met" -eq 1 ] || missing+=("${choices[0]}")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: the ${#requirements[@]} Debian packages of '$profile' are installed"
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
  echo "  sudo apt-get update && sudo apt-get install -y --no-remove ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends --no-remove "${missing[@]}"
echo "setup: done"
