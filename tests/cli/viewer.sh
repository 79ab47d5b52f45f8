#!/usr/bin/env bash
# `posescope SOURCE` (the window), under Xvfb (run through tests/xvfb.sh):
# bad sources (a missing file, a corrupt video, a missing /dev/video9)
# and bad options exit 2 with one line on stderr and no window left
# behind; --list-cameras works with no camera; with no display the window
# falls back to the headless run with a one-line notice.
#   tests/xvfb.sh tests/cli/viewer.sh PATH_TO_POSESCOPE
. "$(dirname "$0")/lib.sh"
P=$1
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
IMAGE=$ROOT/tests/data/media/images/hands_two_spread.jpg

# `timeout`: a source that hangs must fail the test, not stall ctest.
run timeout 60 "$P" "$T/missing.mp4"
check "missing file exits 2" exit_is 2
check "missing file: one line" stderr_lines 1
check "missing file names it" stderr_has "missing.mp4"

head -c 20000 /dev/urandom >"$T/corrupt.mp4"
run timeout 60 "$P" "$T/corrupt.mp4"
check "corrupt video exits 2" exit_is 2
check "corrupt video: one line" stderr_lines 1
check "corrupt video names it" stderr_has "corrupt.mp4"

run timeout 60 "$P" /dev/video9
check "missing camera exits 2" exit_is 2
check "missing camera: one line" stderr_lines 1
check "missing camera names the device" stderr_has "/dev/video9"

run timeout 60 "$P" webcam:9
check "webcam:9 exits 2" exit_is 2
check "webcam:9: one line" stderr_lines 1

run timeout 60 "$P" webcam --camera-size 12by7
check "bad --camera-size exits 2" exit_is 2
check "bad --camera-size is named" stderr_has "--camera-size"

run timeout 60 "$P" --list-cameras
check "--list-cameras exits 0" exit_is 0
check "--list-cameras prints something" test -s "$T/out"

run timeout 60 "$P" --help
check "--help documents the keys" stdout_has "H help"
check "--help documents --record" stdout_has "--record FILE.mp4"

run timeout 300 env -u DISPLAY -u WAYLAND_DISPLAY "$P" "$IMAGE" \
    --record "$T/x.mp4" --out "$T/hl"
check "no display: falls back to headless" exit_is 0
check "no display: one-line notice" stderr_has "no display; running headless"
check "no display: headless outputs" test -s "$T/hl/results.jsonl"

finish
