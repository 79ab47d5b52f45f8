#!/usr/bin/env bash
# posescope's exit codes and error messages: usage errors, truncated and
# corrupt model files, wrong inputs, and a corrupt model cache.
#   tests/cli/errors.sh PATH_TO_POSESCOPE
# Needs the real models in the model cache (`posescope models fetch`).

. "$(dirname "$0")/lib.sh"
P=$1
CACHE=$(cache_dir)

# --- usage ------------------------------------------------------------------
run "$P" --help
check "--help exits 0 with the usage on stdout" exit_is 0
check "--help lists model run" stdout_has "model run MODEL"
run "$P" --version
check "--version" stdout_has "posescope "
run "$P" frobnicate
check "unknown command exits 2" exit_is 2
check "unknown command names it" stderr_has "unknown command 'frobnicate'"
check "unknown command prints the usage on stderr" stderr_has "usage:"
check "unknown command prints nothing on stdout" stdout_empty
run "$P"
check "no command exits 2" exit_is 2
run "$P" models frob
check "unknown models subcommand exits 2" exit_is 2
run "$P" model bench pose_detection --runs 0
check "--runs 0 exits 2" exit_is 2
check "--runs 0 says why" stderr_has "--runs: '0' is not an integer"
run "$P" model run pose_detection --input x.npy
check "model run without --out exits 2" exit_is 2
run "$P" model info a b
check "extra argument exits 2" exit_is 2

# --- bad model files: exit 2, one line on stderr ----------------------------
mkdir "$T/bad"
head -c 1000 "$CACHE/pose_landmark_full.tflite" >"$T/bad/pose_landmark_full.tflite"
check "the real model is there to truncate" \
    test -s "$T/bad/pose_landmark_full.tflite"
for cmd in info run bench; do
    case $cmd in
    run) extra=(--input "$T/none.f32:1,256,256,3" --out "$T/o") ;;
    bench) extra=(--runs 1 --warmup 0) ;;
    *) extra=() ;;
    esac
    : >"$T/none.f32"
    run "$P" model "$cmd" "$T/bad/pose_landmark_full.tflite" "${extra[@]}"
    if [ "$cmd" = run ]; then
        # The input is checked first here: a zero-byte raw file.
        check "model run, empty input: exit 2" exit_is 2
        check "model run, empty input: one line" stderr_lines 1
        continue
    fi
    check "model $cmd, truncated model: exit 2" exit_is 2
    check "model $cmd, truncated model: one line on stderr" stderr_lines 1
    check "model $cmd, truncated model: names file and error" \
        stderr_has "posescope: pose_landmark_full.tflite: format error: "
done
head -c 786432 /dev/zero >"$T/zeros.f32"
run "$P" model run "$T/bad/pose_landmark_full.tflite" \
    --input "$T/zeros.f32:1,256,256,3" --out "$T/o"
check "model run, truncated model: exit 2" exit_is 2
check "model run, truncated model: one line" stderr_lines 1
check "model run, truncated model: message" \
    stderr_has "posescope: pose_landmark_full.tflite: format error: "

printf 'this is not a model at all, just text\n' >"$T/bad/text.tflite"
run "$P" model info "$T/bad/text.tflite"
check "text file: exit 2, one line" exit_is 2
check "text file: one line" stderr_lines 1
: >"$T/bad/empty.tflite"
run "$P" model info "$T/bad/empty.tflite"
check "empty file: exit 2" exit_is 2
check "empty file: one line" stderr_lines 1
run "$P" model info "$T/bad/nonexistent.tflite"
check "missing file: exit 2" exit_is 2
check "missing file: says so" stderr_has "no such file"

# A model whose middle is overwritten (same size): whatever the engine
# makes of it, it must not crash: exit 0 (loads) or 2 (rejected).
cp "$CACHE/pose_detection.tflite" "$T/bad/scrambled.tflite"
dd if="$CACHE/selfie_segmentation.tflite" of="$T/bad/scrambled.tflite" \
    bs=4096 skip=10 seek=50 count=1 conv=notrunc status=none
run "$P" model info "$T/bad/scrambled.tflite"
check "scrambled model: exit 0 or 2, no crash" \
    test "$rc" -eq 0 -o "$rc" -eq 2

# --- inputs -----------------------------------------------------------------
S=selfie_segmentation
head -c 100 /dev/zero >"$T/small.f32"
run "$P" model run $S --input "$T/small.f32:1,5,5,1" --out "$T/o"
check "wrong input size: exit 2" exit_is 2
check "wrong input size: one line" stderr_lines 1
check "wrong input size: names the model input" \
    stderr_has "model input 'input_1' is [1,256,256,3]"
run "$P" model run $S --input "$T/zeros.f32:1,256,256,4" --out "$T/o"
check "raw size not matching its shape: exit 2" exit_is 2
run "$P" model run $S --input "$T/zeros.f32" --out "$T/o"
check "raw input without shape: exit 2" exit_is 2
check "raw input without shape: says so" stderr_has "needs a shape"
run "$P" model run $S --input "$T/zeros.f32:1,3,256,256" --out "$T/o"
check "NCHW for NHWC: exit 2" exit_is 2
run "$P" model run $S --input "$T/missing.npy" --out "$T/o"
check "missing input: exit 2" exit_is 2
printf '\223NUMPY\001\000\010\000{}      ' >"$T/bad.npy"
run "$P" model run $S --input "$T/bad.npy" --out "$T/o"
check "corrupt .npy: exit 2" exit_is 2
check "corrupt .npy: one line" stderr_lines 1

run "$P" model run $S --input "$T/zeros.f32:1,256,256,3" --out "$T/o/deep"
check "good run: exit 0" exit_is 0
check "good run: writes <index>_<name>.npy" test -f "$T/o/deep/0_activation_10.npy"
check "good run: 128-byte header + 256x256 floats" \
    test "$(stat -c %s "$T/o/deep/0_activation_10.npy")" -eq $((128 + 65536 * 4))
# The output is a valid input of the same shape for run's npy reader.
run "$P" model run $S --input "$T/o/deep/0_activation_10.npy" --out "$T/o2"
check "a [1,256,256,1] .npy for a [1,256,256,3] input: exit 2" exit_is 2

# --- the model cache --------------------------------------------------------
mkdir "$T/cache"
for f in "$CACHE"/*.tflite; do ln -s "$f" "$T/cache/"; done
run env POSESCOPE_MODELS="$T/cache" "$P" models verify
check "verify, good cache: exit 0" exit_is 0
rm "$T/cache/$S.tflite"
cp "$CACHE/$S.tflite" "$T/cache/$S.tflite"
printf 'X' | dd of="$T/cache/$S.tflite" bs=1 seek=5000 conv=notrunc status=none
run env POSESCOPE_MODELS="$T/cache" "$P" models verify
check "verify, corrupt copy: exit 1" exit_is 1
check "verify, corrupt copy: named" stdout_has "corrupt  $S: SHA-256 mismatch"
check "verify, corrupt copy: summary on stderr" \
    stderr_has "1 of 10 models missing or corrupt"
rm "$T/cache/pose_detection.tflite"
run env POSESCOPE_MODELS="$T/cache" "$P" models verify
check "verify, missing model: exit 1" exit_is 1
check "verify, missing model: named" stdout_has "missing  pose_detection"
run env POSESCOPE_MODELS="$T/cache" "$P" models list
check "list: exit 0" exit_is 0
check "list: shows corrupt" stdout_has "corrupt"
run env POSESCOPE_MODELS="$T/cache" "$P" model info pose_detection
check "model info of an uncached model: exit 2" exit_is 2
check "model info of an uncached model: says fetch" stderr_has "models fetch"

finish
