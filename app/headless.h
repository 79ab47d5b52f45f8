/*
 * headless: `posescope --headless SOURCE --out DIR [options]`. Runs the
 * body and hand tasks on every frame of SOURCE (a video, an image, a
 * folder of images or a webcam, see source.h) with no window, and writes
 *   DIR/results.jsonl   one line per frame (docs/results-schema.md)
 *   DIR/latency.csv     per-stage ms per frame
 *   DIR/latency.png     the latency plot (plot.h)
 *   DIR/annotated.mp4   the frames with the overlays (video and webcam
 *                       sources), or DIR/annotated/NAME.png per image
 * A progress bar with ETA goes to stderr when it is a terminal. SIGINT and
 * SIGTERM stop the run after the current frame; every file is then
 * flushed and closed, so each is valid up to that frame (the exit status
 * is then 1).
 *
 * The overlays are drawn by the window's OpenGL renderer (render/, on a
 * hidden window) when there is a display with OpenGL 3.3, so
 * annotated.mp4 shows what the window would (without its status line and
 * plots); with no display, by the software annotator (annotate.h), which
 * draws the same shapes in the same colours with a bitmap font.
 *
 * Images of a folder are independent (fresh detection on each) unless
 * --sequence makes them a video.
 */
#ifndef APP_HEADLESS_H
#define APP_HEADLESS_H

#include "cli.h"

/* argv[0] is the program or "--headless"; options anywhere. Errors as
 * cli.h says: usage -> APP_USAGE, a bad source -> APP_BAD_INPUT, a missing
 * model or a failed write -> APP_FAILED. */
app_status app_headless_cmd(int argc, char **argv, eng_error *err);

/* The option list, for main's --help. */
extern const char app_headless_usage[];

#endif
