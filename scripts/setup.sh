#!/usr/bin/env bash
# Installs the Debian 12 packages posescope is built, tested and run with
# (README.md says what each is for). Idempotent: when everything is
# installed it changes nothing and needs no network. Run as root (or with
# sudo available).
set -euo pipefail

packages=(
    cmake make gcc pkg-config               # the build
    clang libclang-rt-14-dev                # libFuzzer and sanitizer runtimes
    libxnnpack-dev libpthreadpool-dev       # the engine's kernels and pool
    libcpuinfo-dev                          # choosing XNNPACK's kernels
    libopenblas-dev                         # the engine's GEMM fallback
    libsdl2-dev libepoxy-dev                # the window and OpenGL
    libfreetype-dev fonts-dejavu-core       # text in the renderer (DejaVuSans)
    xvfb xauth libgl1-mesa-dri              # GL tests: Xvfb + Mesa llvmpipe
    libavcodec-dev libavformat-dev libswscale-dev libavdevice-dev  # video
    valgrind                                # leak and instruction counts
    libcjson-dev                            # the glb hand model's JSON
    zlib1g-dev                              # deflated .npz (MANO) members
)
# npm fetches the models; Node is usually there already, not from Debian.
command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
        grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: all ${#packages[@]} packages present"
    exit 0
fi

sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
echo "setup: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
