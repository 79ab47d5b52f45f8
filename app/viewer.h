/*
 * viewer: `posescope SOURCE [options]`, the window. Three threads:
 *   decode  (player.h)  source -> frame queue, seeks and loops
 *   engine  (worker.h)  the body and hand tasks on the newest frame shown
 *   display (here)      SDL events, pacing, drawing (render/), read-back,
 *                       screenshots; the recorder (recq.h) encodes on a
 *                       fourth thread
 * The display draws the newest finished result over the current frame
 * and never waits for inference, unless --sync (then every frame waits
 * for its own result: exact recordings). Files play at their own rate
 * (or as fast as possible with --fast), webcams as frames come.
 *
 * The frame is drawn at its own size offscreen (video, skeletons, labels,
 * plots, the status line and help), and that image is what the window
 * shows (scaled, letterboxed), what R / --record encode and what S saves:
 * recordings are exactly what is on screen, at the source size.
 *
 * With no display the command prints one line and runs headless (into
 * --out DIR, default ./posescope-out). SIGINT and SIGTERM quit like Q:
 * the recording is finalised and plays.
 */
#ifndef APP_VIEWER_H
#define APP_VIEWER_H

#include "cli.h"

/* argv[0] is the program; argv[1..] the SOURCE and options. Errors as in
 * cli.h: usage -> APP_USAGE, a bad source -> APP_BAD_INPUT, a missing
 * model, no OpenGL or a failed write -> APP_FAILED. */
app_status app_viewer_cmd(int argc, char **argv, eng_error *err);

/* `posescope --list-cameras`: the V4L2 devices, one a line. */
app_status app_list_cameras_cmd(int argc, char **argv, eng_error *err);

/* The window's options and keys, for main's --help. */
extern const char app_viewer_usage[];

#endif
