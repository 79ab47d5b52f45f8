#!/usr/bin/env bash
# Runs a command under a private X server (Xvfb, Mesa llvmpipe for
# OpenGL), so the tests that open a window or a GL context work with no
# display. Usage: xvfb.sh CMD [ARGS...]. The server gets a free display
# number (-a); `timeout` keeps a stuck GL driver from hanging ctest.
set -u
export LIBGL_ALWAYS_SOFTWARE=1
exec timeout -k 10 "${XVFB_TIMEOUT:-600}" \
    xvfb-run -a -s "-screen 0 1280x800x24 -nolisten tcp" "$@"
