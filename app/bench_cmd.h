/*
 * bench_cmd: `posescope bench SOURCE [--frames N] [options]`, the detector
 * stride table. The same frames of SOURCE (a file or a folder) run with
 * detector stride 1, 2, 3, 4 and auto; for each it prints, as a markdown
 * table on stdout: detector and landmark ms per frame (means over the
 * frames, both tasks), total ms per frame, FPS, how often each detector
 * ran, and the accuracy cost: mean and 95th-percentile keypoint distance
 * in pixels from the stride-1 result on the same frame (body and hands,
 * tracks matched by id, else by nearest keypoints).
 *
 * Smoothing is off in every run, so the drift measures the detector
 * stride alone, not the filter's lag. Decoding is excluded from the times.
 */
#ifndef APP_BENCH_CMD_H
#define APP_BENCH_CMD_H

#include "cli.h"

app_status app_bench_cmd(int argc, char **argv, eng_error *err);

#endif
