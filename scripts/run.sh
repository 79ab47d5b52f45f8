#!/usr/bin/env bash
# The main job: set-up, Release build in build/, the models, then
#  - with a display and a webcam: the window on the webcam (live skeletons,
#    hand meshes, latency plots; H lists the keys, R records);
#  - otherwise: the headless pipeline (body + hands + hand meshes) on the
#    bundled sample video, writing out/.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
build/posescope models fetch
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] &&
    compgen -G "/dev/video*" >/dev/null; then
    exec build/posescope webcam
fi
build/posescope --headless assets/pose_squats_10s.mp4 --out out
echo
echo "outputs in $(pwd)/out:"
echo "  results.jsonl  one JSON line per frame (docs/results-schema.md)"
echo "  latency.csv    per-stage ms per frame"
echo "  latency.png    the latency plot"
echo "  annotated.mp4  the video with skeletons and hands drawn on it"
