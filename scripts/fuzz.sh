#!/usr/bin/env bash
# Fuzzes the TFLite importer with libFuzzer for a bounded time.
#
#   scripts/fuzz.sh [SECONDS] [RUNS]     defaults: 120 s, no run limit
#
# Configures a clang build in build-fuzz (-DPOSESCOPE_FUZZ=ON), builds
# fuzz_tflite and make_seeds, writes the seed models into
# tests/fuzz/corpus-run (kept between runs, ignored by git) and runs the
# fuzzer until the time or the run count is reached. Prints the number of
# executions and the rate; exits non-zero if the fuzzer found a crash
# (the input is saved as build-fuzz/fuzz-artifacts/crash-*).
set -euo pipefail

secs=${1:-${FUZZ_SECONDS:-120}}
runs=${2:-${FUZZ_RUNS:--1}}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
corpus=$root/tests/fuzz/corpus-run
artifacts=$build/fuzz-artifacts

CC=clang cmake -S "$root" -B "$build" -DPOSESCOPE_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target fuzz_tflite make_seeds >/dev/null
mkdir -p "$corpus" "$artifacts"
"$build/tests/fuzz/make_seeds" "$corpus"

log=$build/fuzz.log
status=0
"$build/tests/fuzz/fuzz_tflite" -max_total_time="$secs" -runs="$runs" \
    -max_len=16384 -dict="$root/tests/fuzz/tflite.dict" \
    -artifact_prefix="$artifacts/" -print_final_stats=1 \
    "$corpus" >"$log" 2>&1 || status=$?

done_line=$(grep -E '^Done [0-9]+ runs' "$log" | tail -n 1 || true)
if [ "$status" -ne 0 ] || [ -z "$done_line" ]; then
    tail -n 40 "$log"
    echo "fuzz_tflite: FAILED (exit $status), log in $log" >&2
    exit 1
fi
execs=$(echo "$done_line" | awk '{print $2}')
took=$(echo "$done_line" | awk '{print $5}')
rate=$(grep -E '^stat::average_exec_per_sec' "$log" | awk '{print $2}')
cov=$(grep -E 'cov: [0-9]+' "$log" | tail -n 1 |
      sed -E 's/.*cov: ([0-9]+).*/\1/')
echo "fuzz_tflite: $execs executions in $took s ($rate exec/s)," \
     "coverage $cov, no crash"
