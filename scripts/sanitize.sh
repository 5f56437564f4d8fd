#!/usr/bin/env bash
# CI's sanitizer stage (run by scripts/test.sh after the main tests): builds
# metabench with clang, AddressSanitizer and UndefinedBehaviorSanitizer into
# build-sanitize/, runs there the unit tests that touch parsing, the store,
# claims and the sweep (metabench_sanitized_tests, tests/CMakeLists.txt), then each libFuzzer target of tests/fuzz/ for
# $METABENCH_FUZZ_SECONDS (default 20) on its seed corpus.  Fails on a test
# failure, a crash, a sanitizer report or a leak; a crashing input is kept
# under build-sanitize/fuzz-artifacts/ (make it a regression test).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${METABENCH_FUZZ_SECONDS:-20}"
build=build-sanitize
generator=()
command -v ninja >/dev/null 2>&1 && generator=(-G Ninja)
if [ ! -f "$build/CMakeCache.txt" ]; then
  # -O1 -g1: fast enough to run, quick to compile; tcmalloc off (ASan has
  # its own allocator).
  CC=clang CXX=clang++ cmake -S . -B "$build" "${generator[@]}" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
    -DMETABENCH_SANITIZE=ON -DMETABENCH_FUZZ=ON -DMETABENCH_TCMALLOC=OFF
fi
targets=(checkpoint snapshot class_pool image idx cifar csv where config sweep)
cmake --build "$build" -j "$(nproc)" --target metabench metabench_sanitized_tests \
  "${targets[@]/#/fuzz_}"

# LibTorch keeps some allocations until exit by design (its thread pools and
# registries): tests/fuzz/lsan.supp names them; nothing of metabench's.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1"
export LSAN_OPTIONS="suppressions=$PWD/tests/fuzz/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

start=$SECONDS
"$build/tests/metabench_sanitized_tests" --gtest_brief=1
echo "sanitize: unit tests passed under ASan+UBSan in $((SECONDS - start)) s"

mkdir -p "$build/fuzz-artifacts"
# Image seeds are generated here (no image files are committed).
/usr/bin/python3 tests/fuzz/make_seeds.py --images-to "$build/fuzz-corpus"
# So are the torch.save() seeds: a real checkpoint and snapshot, written by
# a smoke run of the sanitized binary (which exercises that path under ASan).
seeds="$build/fuzz-seed-run"
rm -rf "$seeds"
"$build/metabench" run configs/smoke/protonet.yaml --db "$seeds/s.sqlite" \
  --set runtime.keep_snapshots=true --set runtime.progress=false >/dev/null
mkdir -p "$build/fuzz-corpus/checkpoint" "$build/fuzz-corpus/snapshot"
cp "$seeds"/s.checkpoints/*-best.ckpt "$build/fuzz-corpus/checkpoint/torch-format.ckpt"
cp "$seeds"/s.checkpoints/*-snapshot.pt "$build/fuzz-corpus/snapshot/protonet.pt"
for t in "${targets[@]}"; do
  corpus="$build/fuzz-corpus/$t"
  mkdir -p "$corpus"
  log="$build/fuzz-$t.log"
  if ! "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 \
      -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/$t-" \
      "$corpus" "tests/fuzz/corpus/$t" >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "sanitize: fuzz target $t FAILED; the input is in $build/fuzz-artifacts/" >&2
    exit 1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  echo "sanitize: fuzz_$t: $runs executions in ${seconds} s, no crash, no leak"
done
