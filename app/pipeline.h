/*
 * pipeline: the per-frame work of the headless run and the benchmark: one
 * runtime, the body task and the hand task (models from the cache through
 * models/registry.h), run on each RGB frame with per-stage times.
 *
 * Also the command-line options both commands share (--max-people, the
 * model sizes, --threads, ...), parsed into an app_pipeline_desc.
 *
 * What it does not do: decode, draw or write anything. One thread at a
 * time; app_pipeline_run() does not allocate (the tasks' own rule).
 */
#ifndef APP_PIPELINE_H
#define APP_PIPELINE_H

#include <stdbool.h>

#include "cli.h"
#include "handmesh.h"
#include "hands.h"
#include "plot.h"
#include "pose.h"

/* Zero means default for every field. */
typedef struct app_pipeline_desc {
    int max_people;              /* default 1 */
    int max_hands;               /* default 2 */
    eng_stride stride;           /* both tasks; default AUTO */
    eng_model_size pose_model;   /* default FULL (see app_pipeline_defaults) */
    bool hand_lite;              /* palm + landmark lite instead of full */
    bool no_pose, no_hands;
    bool no_smoothing;
    bool no_hand_mesh;           /* skip fitting hand meshes */
    const char *mano_dir;        /* MANO_RIGHT.npz / MANO_LEFT.npz (one is
                                    enough); NULL = the bundled glb hands */
    float smoothing_min_cutoff;  /* body One-Euro cutoff, Hz (the jitter
                                    vs lag knob); 0 = the task's default */
    bool static_images;          /* every frame independent */
    bool pose_segmentation;      /* keep the body model's segmentation for
                                    app_pipeline_pose() (a matte from it) */
    int threads;                 /* 0 = one per core */
    eng_numerics numerics;       /* default EXACT (TFLite's bits) */
} app_pipeline_desc;

/* The command-line values, before checking. */
typedef struct app_pipeline_args {
    int max_people, max_hands, max_stride, threads;
    int no_pose, no_hands, no_smoothing, fast, no_hand_mesh;
    const char *stride, *pose_model, *hand_model, *mano;
} app_pipeline_args;

#define APP_PIPELINE_MAX_EXTRA 24

/* Parses argv[1..argc) of a command that runs the pipeline on one SOURCE:
 * the shared options into *args (`with_stride` adds --detector-stride and
 * --no-smoothing; the benchmark sets both itself), the command's own
 * `extra` options (at most APP_PIPELINE_MAX_EXTRA), and exactly one
 * positional SOURCE into *spec. APP_USAGE with "<command> needs a SOURCE"
 * when it is missing; otherwise as app_parse_options(). */
app_status app_pipeline_parse(int argc, char **argv, app_pipeline_args *args,
                              bool with_stride, const app_option *extra,
                              int n_extra, const char *command,
                              const char **spec, eng_error *err);

/* Checks args and fills *desc. EINVAL with a message naming the option. */
eng_status app_pipeline_desc_from_args(const app_pipeline_args *args,
                                       app_pipeline_desc *desc,
                                       eng_error *err);

/* The cache path of registry model `name` into buf (PATH_MAX bytes),
 * checked to exist (not hashed: that is `posescope models verify`; a
 * corrupt file fails in the loader). EINVAL for a name not in the
 * registry, EIO naming the model and the fix when it is not cached. */
eng_status app_model_path(const char *name, char *buf, eng_error *err);

/* Usage text of the shared options, for --help. */
extern const char app_pipeline_usage[];

typedef struct app_pipeline app_pipeline;

/* One frame's results. */
typedef struct app_frame_result {
    eng_pose_result pose;        /* n_people 0 when --no-pose */
    eng_hands_result hands;      /* n_hands 0 when --no-hands */
    eng_handmesh_result meshes;  /* one per hand; n_meshes 0 without the
                                    hand task or with --no-hand-mesh */
    app_stage_times times;       /* ms[DECODE] and ms[TOTAL] are the
                                    caller's; the rest filled by run */
} app_frame_result;

/* Loads the models from the cache. EIO naming the model and the fix when
 * one is missing; the loaders' EFORMAT/EUNSUPPORTED otherwise. */
eng_status app_pipeline_create(const app_pipeline_desc *desc,
                               app_pipeline **out, eng_error *err);

/* Frees it. Accepts NULL. */
void app_pipeline_destroy(app_pipeline *p);

/* Runs the enabled tasks on one frame taken at t seconds. Fills every
 * field of *res except times.ms[DECODE] and times.ms[TOTAL]. */
eng_status app_pipeline_run(app_pipeline *p, const eng_image *img, double t,
                            app_frame_result *res, eng_error *err);

/* The body task (borrowed), for eng_pose_segmentation(); NULL with
 * --no-pose. */
const eng_pose *app_pipeline_pose(const app_pipeline *p);

/* Forgets all tracks (a new, unrelated image). */
void app_pipeline_reset(app_pipeline *p);

/* The hand mesh task (borrowed), for vertices and .obj files of the
 * meshes of a result; NULL when meshes are not fitted. */
const eng_handmesh *app_pipeline_handmesh(const app_pipeline *p);

/* A hand mesh task with the models app_pipeline_create() loads for
 * `desc` (--mano or the bundled hands), for a thread that draws meshes
 * and must not borrow the engine thread's (the pipeline is re-created
 * when settings change). *out is the caller's (eng_handmesh_destroy);
 * errors as app_pipeline_create's. */
eng_status app_pipeline_create_handmesh(const app_pipeline_desc *desc,
                                        eng_handmesh **out, eng_error *err);

#endif
