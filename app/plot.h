/*
 * plot: the per-stage latency plot of a run (DIR/latency.png).
 *
 * The runner adds one app_stage_times per frame to an app_latency_log; at
 * the end app_plot_write_png() draws a line per stage (ms over frames),
 * ticks under the frames where a detector ran, axes with labels, and a
 * legend with last / avg / peak per stage, and writes it as a PNG.
 *
 * Memory is bounded: the log is one fixed-size struct (no allocation).
 * Beyond APP_PLOT_MAX_POINTS frames, neighbouring points are merged two by
 * two (mean of the ms, OR of the detector flags), so a run of any length
 * keeps at most APP_PLOT_MAX_POINTS points. last / avg / peak are exact
 * over all frames, not taken from the merged points.
 *
 * What it does not do: scrolling live plots (that is the window's
 * 256-sample ring in render/), or any I/O besides the final PNG.
 */
#ifndef APP_PLOT_H
#define APP_PLOT_H

#include <stdbool.h>
#include <stdint.h>

#include "annotate.h"
#include "status.h"

typedef enum app_stage {
    APP_STAGE_DECODE,
    APP_STAGE_POSE_DETECT,
    APP_STAGE_POSE_LANDMARKS,
    APP_STAGE_HAND_DETECT,
    APP_STAGE_HAND_LANDMARKS,
    APP_STAGE_HAND_MESH,      /* fitting the hand meshes */
    APP_STAGE_TOTAL,          /* end to end for the frame */
    APP_STAGE_COUNT,
} app_stage;

/* One frame's times, filled by the runner. A stage that did not run
 * (detector skipped) is 0. */
typedef struct app_stage_times {
    float ms[APP_STAGE_COUNT];
    bool pose_detector_ran;
    bool hand_detector_ran;
} app_stage_times;

#define APP_PLOT_MAX_POINTS 4096

/* Plain data, ~115 KB: allocate once (calloc or static) and zero it; a
 * zeroed log is empty and ready. */
typedef struct app_latency_log {
    app_stage_times points[APP_PLOT_MAX_POINTS]; /* merged history */
    int count;                   /* points in use */
    int64_t frames_per_point;    /* 1, 2, 4, ... (0 in a zeroed log = 1) */
    app_stage_times pending;     /* sums of a point being filled */
    int64_t pending_frames;
    int64_t frames;              /* frames added in total */
    float last[APP_STAGE_COUNT];
    float peak[APP_STAGE_COUNT];
    double sum[APP_STAGE_COUNT];
} app_latency_log;

/* Short stable name of a stage ("pose detect"), also for latency.csv
 * headers. Never NULL. */
const char *app_stage_name(app_stage stage);

/* The stage's line colour in the plot. */
app_rgb app_stage_color(app_stage stage);

/* Records one frame. Non-finite or negative ms count as 0. Never fails,
 * never allocates. */
void app_latency_log_add(app_latency_log *log, const app_stage_times *t);

/* Mean ms of a stage over all frames (0 when empty). */
float app_latency_log_avg(const app_latency_log *log, app_stage stage);

/* Draws the plot over the whole canvas (any size >= 320 x 200 is
 * legible). An empty log draws the axes and "no frames". */
void app_plot_draw(app_canvas *c, const app_latency_log *log);

/* Draws the plot at width x height (0 = 1280 x 720) and writes it to
 * `path` as a PNG. ENOMEM for the image buffer; otherwise the errors of
 * app_write_png(). */
eng_status app_plot_write_png(const app_latency_log *log, const char *path,
                              int width, int height, eng_error *err);

#endif
