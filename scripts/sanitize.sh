#!/usr/bin/env bash
# CI's sanitizer stage (run by scripts/test.sh after the main tests): builds
# metabench with clang, AddressSanitizer and UndefinedBehaviorSanitizer into
# build-sanitize/, runs there the unit tests that touch parsing, the store,
# claims and the sweep (metabench_sanitized_tests, tests/CMakeLists.txt),
# then each libFuzzer target of tests/fuzz/ for $METABENCH_FUZZ_SECONDS
# (default 20) on its seed corpus, one per core at a time (the unit tests
# too run as one shard per core).  Fails on a test
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

# Waits for every pid of "$@" and leaves their exit statuses, in order, in
# `statuses` (both parallel phases below report each failure by position).
wait_all() {
  statuses=()
  local pid
  for pid in "$@"; do
    if wait "$pid"; then statuses+=(0); else statuses+=($?); fi
  done
}

# One shard of the unit tests per core (they already run side by side under
# ctest, so they share no paths); each shard's output is kept in its log.
jobs="$(nproc)"
start=$SECONDS
pids=()
for ((i = 0; i < jobs; i++)); do
  GTEST_TOTAL_SHARDS=$jobs GTEST_SHARD_INDEX=$i \
    "$build/tests/metabench_sanitized_tests" --gtest_brief=1 >"$build/unit-shard-$i.log" 2>&1 &
  pids+=($!)
done
wait_all "${pids[@]}"
failed=0
for i in "${!statuses[@]}"; do
  if [ "${statuses[$i]}" -ne 0 ]; then
    tail -n 80 "$build/unit-shard-$i.log"
    echo "sanitize: unit-test shard $i FAILED under ASan+UBSan (exit ${statuses[$i]}; log: $build/unit-shard-$i.log)" >&2
    failed=1
  fi
done
[ "$failed" -eq 0 ] || exit 1
echo "sanitize: unit tests passed under ASan+UBSan in $((SECONDS - start)) s ($jobs shards)"

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
# Each target fuzzes for $seconds on one core; as many run at once as there
# are cores, and every one's result is reported when its batch ends.
fuzz_one() {
  local t="$1" corpus="$build/fuzz-corpus/$1"
  mkdir -p "$corpus"
  "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix="$build/fuzz-artifacts/$t-" \
    "$corpus" "tests/fuzz/corpus/$t" >"$build/fuzz-$t.log" 2>&1
}
for ((b = 0; b < ${#targets[@]}; b += jobs)); do
  batch=("${targets[@]:b:jobs}")
  pids=()
  for t in "${batch[@]}"; do
    fuzz_one "$t" &
    pids+=($!)
  done
  wait_all "${pids[@]}"
  failed=0
  for k in "${!batch[@]}"; do
    t="${batch[$k]}"
    if [ "${statuses[$k]}" -ne 0 ]; then
      tail -n 60 "$build/fuzz-$t.log"
      echo "sanitize: fuzz target $t FAILED (exit ${statuses[$k]}); the input is in $build/fuzz-artifacts/" >&2
      failed=1
      continue
    fi
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$build/fuzz-$t.log" | grep -o '[0-9]*$' || echo "?")
    echo "sanitize: fuzz_$t: $runs executions in ${seconds} s, no crash, no leak"
  done
  [ "$failed" -eq 0 ] || exit 1
done
