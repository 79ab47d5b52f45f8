#!/usr/bin/env bash
# The main job: set-up, Release build in build/, the models, then every
# model timed by the engine (`posescope model bench all`).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$(nproc)"
build/posescope models fetch
build/posescope model bench all
