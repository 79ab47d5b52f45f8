/*
 * results_io: the files a run writes about each frame: one line of
 * results.jsonl (schema: docs/results-schema.md, version
 * APP_RESULTS_SCHEMA_VERSION, carried by every line) and one row of
 * latency.csv.
 *
 * JSON is written by hand (a dozen fixed shapes and one string escaper;
 * no library needed). Non-finite numbers are written as null, so every
 * line is valid JSON whatever the engine returns.
 *
 * What it does not do: open, flush or close files (the caller does, so it
 * decides when a line is durable), or read them back.
 */
#ifndef APP_RESULTS_IO_H
#define APP_RESULTS_IO_H

#include <stdint.h>
#include <stdio.h>

#include "pipeline.h"

#define APP_RESULTS_SCHEMA_VERSION 1

/* What a line says about the frame itself. */
typedef struct app_frame_meta {
    int64_t frame;       /* 0-based index */
    double t;            /* seconds */
    const char *source;  /* image file name, or NULL (borrowed) */
    int width, height;   /* frame pixels, for the normalised keypoints */
    /* Non-NULL: each fitted hand's pred_vertices too, skinned with this
     * task into vertex_scratch (eng_handmesh_max_verts x 3 floats). */
    const eng_handmesh *mesh_vertices;
    float *vertex_scratch;
} app_frame_meta;

/* Writes one JSON object and a newline. 0, or -1 when the stream is in
 * error (errno says why). */
int app_results_write_json(FILE *f, const app_frame_meta *m,
                           const app_frame_result *r);

/* The stage names of both files: "decode", "pose_detect", ... "total". */
const char *app_results_stage_key(app_stage stage);

/* Writes latency.csv's header line. Same return as above. */
int app_latency_csv_header(FILE *f);

/* Writes one latency.csv row: frame, each stage in ms, and whether each
 * detector ran (0/1). */
int app_latency_csv_row(FILE *f, int64_t frame, const app_stage_times *t);

#endif
