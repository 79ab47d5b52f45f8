#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (.ci/run calls this and
# nothing else): set-up; Release build in build/; the models; ctest; an
# AddressSanitizer+UBSan build in build-asan/ and ctest again; then a
# bounded fuzzing run when scripts/fuzz.sh exists. Ends with one summary
# line. FUZZ_SECONDS (default 120) is the fuzzing budget handed to fuzz.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc)
total=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# Runs ctest in build directory $1 and adds its test count to $total.
run_ctest() {
    ctest --test-dir "$1" --output-on-failure 2>&1 | tee "$log"
    local n
    n=$(sed -n 's/.*tests failed out of \([0-9][0-9]*\).*/\1/p' "$log")
    if [ -z "$n" ] || [ "$n" -eq 0 ]; then
        echo "test.sh: ctest in $1 ran no test" >&2
        exit 1
    fi
    total=$((total + n))
}

echo "== set-up"
scripts/setup.sh

echo "== Release build (build/)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$jobs"

echo "== models"
build/posescope models fetch

echo "== ctest (Release)"
run_ctest build

echo "== sanitizer build (build-asan/)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DPOSESCOPE_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs"

echo "== ctest (ASan+UBSan)"
run_ctest build-asan

if [ -x scripts/fuzz.sh ]; then
    echo "== fuzz (${FUZZ_SECONDS:-120} s budget)"
    # A hard stop well past the budget: a fuzz.sh that overruns fails CI.
    FUZZ_SECONDS=${FUZZ_SECONDS:-120} timeout 900 scripts/fuzz.sh
fi

echo "summary: $total passed, 0 failed"
