/*
 * perf: the window's per-stage latency history, as mpv's mp_pass_perf:
 * for each stage the last, average and peak ms and a ring of the last
 * REN_PERF_SAMPLES samples, plus which of those frames ran a detector.
 * The live plot (ren_draw_plots) reads it; the viewer fills it from the
 * same app_stage_times that feed latency.csv.
 *
 * Plain data: zero it and it is empty. No allocation, no locking (one
 * thread owns it: the display thread).
 */
#ifndef REN_PERF_H
#define REN_PERF_H

#include <stdbool.h>

#define REN_PERF_SAMPLES 256

typedef enum ren_stage {
    REN_STAGE_DECODE,
    REN_STAGE_DETECT,     /* body + hand detectors */
    REN_STAGE_BODY,       /* body landmarks */
    REN_STAGE_HANDS,      /* hand landmarks */
    REN_STAGE_RENDER,     /* drawing, read-back and presenting a frame */
    REN_STAGE_E2E,        /* decode to on screen */
    REN_STAGE_COUNT,
} ren_stage;

typedef struct ren_perf {
    float last, avg, peak;          /* ms over the samples held */
    float samples[REN_PERF_SAMPLES];
} ren_perf;

typedef struct ren_perf_set {
    ren_perf stage[REN_STAGE_COUNT];
    bool detector[REN_PERF_SAMPLES]; /* a detector ran on that frame */
    int head;                        /* next slot to write */
    int count;                       /* samples held, <= REN_PERF_SAMPLES */
    float fps;                       /* frames shown per second */
} ren_perf_set;

/* Appends one frame: ms[stage] (non-finite or negative count as 0) and
 * whether a detector ran. Updates last/avg/peak over the ring. */
void ren_perf_push(ren_perf_set *p, const float ms[REN_STAGE_COUNT],
                   bool detector);

/* The i-th oldest sample of a stage (0 <= i < count). */
float ren_perf_sample(const ren_perf_set *p, ren_stage stage, int i);

/* Short stable name ("decode", "end-to-end"). Never NULL. */
const char *ren_stage_name(ren_stage stage);

#endif
