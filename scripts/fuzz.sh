#!/usr/bin/env bash
# Fuzzes the TFLite importer, then the hand model loaders, with libFuzzer
# for a bounded time.
#
#   scripts/fuzz.sh [SECONDS] [RUNS]     defaults: 120 s, no run limit
#
# Configures a clang build in build-fuzz (-DPOSESCOPE_FUZZ=ON), builds the
# targets and their seed writers, writes the seeds into
# tests/fuzz/corpus-run (TFLite) and tests/fuzz/corpus-hand-run (kept
# between runs, ignored by git) and runs each fuzzer until the time or the
# run count is reached: SECONDS for fuzz_tflite, FUZZ_HAND_SECONDS (default
# 30) for fuzz_handmodel. Prints the number of executions and the rate;
# exits non-zero if a fuzzer found a crash (the input is saved as
# build-fuzz/fuzz-artifacts/crash-*).
set -euo pipefail

secs=${1:-${FUZZ_SECONDS:-120}}
runs=${2:-${FUZZ_RUNS:--1}}
hand_secs=${FUZZ_HAND_SECONDS:-30}
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
artifacts=$build/fuzz-artifacts

CC=clang cmake -S "$root" -B "$build" -DPOSESCOPE_FUZZ=ON \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)" --target fuzz_tflite make_seeds \
    fuzz_handmodel make_hand_seeds >/dev/null
mkdir -p "$artifacts"

# run_fuzzer NAME SECONDS CORPUS [libFuzzer options...]
run_fuzzer() {
    local name=$1 t=$2 corpus=$3
    shift 3
    local log=$build/$name.log status=0
    "$build/tests/fuzz/$name" -max_total_time="$t" -runs="$runs" "$@" \
        -artifact_prefix="$artifacts/" -print_final_stats=1 \
        "$corpus" >"$log" 2>&1 || status=$?
    local done_line
    done_line=$(grep -E '^Done [0-9]+ runs' "$log" | tail -n 1 || true)
    if [ "$status" -ne 0 ] || [ -z "$done_line" ]; then
        tail -n 40 "$log"
        echo "$name: FAILED (exit $status), log in $log" >&2
        exit 1
    fi
    local execs took rate cov
    execs=$(echo "$done_line" | awk '{print $2}')
    took=$(echo "$done_line" | awk '{print $5}')
    rate=$(grep -E '^stat::average_exec_per_sec' "$log" | awk '{print $2}')
    cov=$(grep -E 'cov: [0-9]+' "$log" | tail -n 1 |
          sed -E 's/.*cov: ([0-9]+).*/\1/')
    echo "$name: $execs executions in $took s ($rate exec/s)," \
         "coverage $cov, no crash"
}

corpus=$root/tests/fuzz/corpus-run
mkdir -p "$corpus"
"$build/tests/fuzz/make_seeds" "$corpus"
run_fuzzer fuzz_tflite "$secs" "$corpus" -max_len=16384 \
    -dict="$root/tests/fuzz/tflite.dict"

# The glb seeds are ~94 KB and the .npz ones ~2.5 MB (MANO's sizes): the
# fuzzer mutates their first max_len bytes, which hold the headers, the
# JSON chunk and the zip entries' local headers.
hand_corpus=$root/tests/fuzz/corpus-hand-run
mkdir -p "$hand_corpus"
"$build/tests/fuzz/make_hand_seeds" "$hand_corpus"
cp "$root"/assets/hand-model/generic-hand-*.glb "$hand_corpus/"
run_fuzzer fuzz_handmodel "$hand_secs" "$hand_corpus" -max_len=131072
