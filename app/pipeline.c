/*
 * pipeline: see pipeline.h.
 */
#include "pipeline.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "registry.h"

struct app_pipeline {
    eng_runtime *rt;
    eng_pose *pose;   /* NULL when --no-pose */
    eng_hands *hands; /* NULL when --no-hands */
    eng_handmesh *mesh; /* NULL without hands or with --no-hand-mesh */
};

const char app_pipeline_usage[] =
    "  --max-people N          people to track (default 1, at most 8)\n"
    "  --max-hands N           hands to track (default 2, at most 8)\n"
    "  --max-stride N          auto stride: run the detector at least every "
    "N frames\n"
    "  --pose-model SIZE       lite, full (default) or heavy\n"
    "  --hand-model SIZE       lite or full (default)\n"
    "  --no-pose, --no-hands   skip a task\n"
    "  --no-hand-mesh          do not fit hand meshes to the tracked hands\n"
    "  --mano DIR              fit MANO (DIR/MANO_RIGHT.npz and/or "
    "MANO_LEFT.npz)\n"
    "                          instead of the bundled hand\n"
    "  --threads N             compute threads (default: one per core; a "
    "model runs\n"
    "                          on one when that measures faster, as on a "
    "busy machine)\n"
    "  --fast-math             FMA/AVX-512 kernels: faster, not TFLite's "
    "exact bits\n";

app_status app_pipeline_parse(int argc, char **argv, app_pipeline_args *a,
                              bool with_stride, const app_option *extra,
                              int n_extra, const char *command,
                              const char **spec, eng_error *err)
{
    const app_option common[] = {
        { "--max-people", APP_OPT_INT, &a->max_people, 1, ENG_MAX_PEOPLE },
        { "--max-hands", APP_OPT_INT, &a->max_hands, 1, ENG_MAX_HANDS },
        { "--max-stride", APP_OPT_INT, &a->max_stride, 1, 1000000 },
        { "--threads", APP_OPT_INT, &a->threads, 1, 256 },
        { "--no-pose", APP_OPT_FLAG, &a->no_pose, 0, 0 },
        { "--no-hands", APP_OPT_FLAG, &a->no_hands, 0, 0 },
        { "--no-hand-mesh", APP_OPT_FLAG, &a->no_hand_mesh, 0, 0 },
        { "--mano", APP_OPT_STRING, &a->mano, 0, 0 },
        { "--fast-math", APP_OPT_FLAG, &a->fast, 0, 0 },
        { "--pose-model", APP_OPT_STRING, &a->pose_model, 0, 0 },
        { "--hand-model", APP_OPT_STRING, &a->hand_model, 0, 0 },
        { "--detector-stride", APP_OPT_STRING, &a->stride, 0, 0 },
        { "--no-smoothing", APP_OPT_FLAG, &a->no_smoothing, 0, 0 },
    };
    enum { N_COMMON = sizeof(common) / sizeof(common[0]) };
    app_option opts[N_COMMON + APP_PIPELINE_MAX_EXTRA];
    int n = N_COMMON - (with_stride ? 0 : 2);
    if (n_extra > APP_PIPELINE_MAX_EXTRA)
        n_extra = APP_PIPELINE_MAX_EXTRA;
    memcpy(opts, common, (size_t)n * sizeof(*opts));
    memcpy(opts + n, extra, (size_t)n_extra * sizeof(*opts));
    char *pos[1];
    int n_pos;
    app_status st = app_parse_options(argc, argv, opts, n + n_extra, pos, 1,
                                      &n_pos, err);
    if (st != APP_OK)
        return st;
    if (n_pos == 0) {
        eng_fail(err, ENG_EINVAL, "%s needs a SOURCE", command);
        return APP_USAGE;
    }
    *spec = pos[0];
    return APP_OK;
}

static eng_status parse_stride(const char *s, int max_stride,
                               eng_stride *out, eng_error *err)
{
    out->max_stride = max_stride;
    if (!s || !strcmp(s, "auto")) {
        out->mode = ENG_STRIDE_AUTO;
        return ENG_OK;
    }
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end || v < 1 || v > 1000000)
        return eng_fail(err, ENG_EINVAL,
                        "--detector-stride: '%s' is not 'auto' or an "
                        "integer >= 1", s);
    out->mode = ENG_STRIDE_FIXED;
    out->stride = (int)v;
    return ENG_OK;
}

eng_status app_pipeline_desc_from_args(const app_pipeline_args *a,
                                       app_pipeline_desc *d, eng_error *err)
{
    static const char *const sizes[] = { "lite", "full", "heavy" };
    memset(d, 0, sizeof(*d));
    d->max_people = a->max_people;
    d->max_hands = a->max_hands;
    d->threads = a->threads;
    d->no_pose = a->no_pose;
    d->no_hands = a->no_hands;
    d->no_smoothing = a->no_smoothing;
    d->no_hand_mesh = a->no_hand_mesh;
    d->mano_dir = a->mano;
    d->numerics = a->fast ? ENG_NUMERICS_FAST : ENG_NUMERICS_EXACT;
    d->pose_model = ENG_MODEL_FULL;
    if (a->pose_model) {
        int i = 0;
        while (i < 3 && strcmp(a->pose_model, sizes[i]))
            i++;
        if (i == 3)
            return eng_fail(err, ENG_EINVAL, "--pose-model: '%s' is not "
                            "lite, full or heavy", a->pose_model);
        d->pose_model = (eng_model_size)i;
    }
    if (a->hand_model && strcmp(a->hand_model, "full")) {
        if (strcmp(a->hand_model, "lite"))
            return eng_fail(err, ENG_EINVAL, "--hand-model: '%s' is not "
                            "lite or full", a->hand_model);
        d->hand_lite = true;
    }
    if (d->no_pose && d->no_hands)
        return eng_fail(err, ENG_EINVAL, "--no-pose and --no-hands leave "
                        "nothing to run");
    return parse_stride(a->stride, a->max_stride, &d->stride, err);
}

eng_status app_model_path(const char *name, char *buf, eng_error *err)
{
    const mdl_model *m = mdl_find(name);
    if (!m)
        return eng_fail(err, ENG_EINVAL, "%s: not in the registry", name);
    eng_status st = mdl_cache_path(m, buf, PATH_MAX, err);
    if (st != ENG_OK)
        return st;
    if (access(buf, R_OK) != 0)
        return eng_fail(err, ENG_EIO, "%s: not in the model cache (run "
                        "`posescope models fetch`)", name);
    return ENG_OK;
}

static eng_status create_pose(app_pipeline *p, const app_pipeline_desc *d,
                              eng_error *err)
{
    static const char *const names[] = {
        "pose_landmark_lite", "pose_landmark_full", "pose_landmark_heavy",
    };
    char det[PATH_MAX], lmk[PATH_MAX];
    eng_status st = app_model_path("pose_detection", det, err);
    if (st == ENG_OK)
        st = app_model_path(names[d->pose_model], lmk, err);
    if (st != ENG_OK)
        return st;
    eng_pose_desc pd = {
        .detector_path = det,
        .landmark_path = lmk,
        .max_people = d->max_people,
        .stride = d->stride,
        .static_images = d->static_images,
        .no_smoothing = d->no_smoothing,
        .smoothing_min_cutoff = d->smoothing_min_cutoff,
        .keep_segmentation = d->pose_segmentation,
    };
    return eng_pose_create(p->rt, &pd, &p->pose, err);
}

static eng_status create_hands(app_pipeline *p, const app_pipeline_desc *d,
                               eng_error *err)
{
    char det[PATH_MAX], lmk[PATH_MAX];
    const char *size = d->hand_lite ? "lite" : "full";
    char name[64];
    snprintf(name, sizeof(name), "palm_detection_%s", size);
    eng_status st = app_model_path(name, det, err);
    snprintf(name, sizeof(name), "hand_landmark_%s", size);
    if (st == ENG_OK)
        st = app_model_path(name, lmk, err);
    if (st != ENG_OK)
        return st;
    eng_hands_desc hd = {
        .detector_path = det,
        .landmark_path = lmk,
        .max_hands = d->max_hands,
        .stride = d->stride,
        .static_images = d->static_images,
    };
    return eng_hands_create(p->rt, &hd, &p->hands, err);
}

/* The hand models: MANO from --mano DIR (either side; the other is its
 * mirror), else the bundled WebXR hands. */
eng_status app_pipeline_create_handmesh(const app_pipeline_desc *d,
                                        eng_handmesh **out, eng_error *err)
{
    char right[PATH_MAX], left[PATH_MAX];
    eng_handmesh_desc md = {0};
    if (d->mano_dir) {
        snprintf(right, sizeof(right), "%s/MANO_RIGHT.npz", d->mano_dir);
        snprintf(left, sizeof(left), "%s/MANO_LEFT.npz", d->mano_dir);
        md.right_path = access(right, R_OK) == 0 ? right : NULL;
        md.left_path = access(left, R_OK) == 0 ? left : NULL;
        if (!md.right_path && !md.left_path)
            return eng_fail(err, ENG_EIO, "--mano %s: neither "
                            "MANO_RIGHT.npz nor MANO_LEFT.npz is there",
                            d->mano_dir);
    } else {
        snprintf(right, sizeof(right), "%s/generic-hand-right.glb",
                 app_hand_assets_dir());
        snprintf(left, sizeof(left), "%s/generic-hand-left.glb",
                 app_hand_assets_dir());
        md.right_path = right;
        md.left_path = left;
    }
    return eng_handmesh_create(&md, out, err);
}

eng_status app_pipeline_create(const app_pipeline_desc *desc,
                               app_pipeline **out, eng_error *err)
{
    *out = NULL;
    app_pipeline *p = calloc(1, sizeof(*p));
    if (!p)
        return eng_fail(err, ENG_ENOMEM, "out of memory");
    eng_runtime_desc rd = {
        .threads = desc->threads,
        .numerics = desc->numerics,
        .adaptive = 1,
    };
    eng_status st = eng_runtime_create(&rd, &p->rt, err);
    if (st == ENG_OK && !desc->no_pose)
        st = create_pose(p, desc, err);
    if (st == ENG_OK && !desc->no_hands)
        st = create_hands(p, desc, err);
    if (st == ENG_OK && !desc->no_hands && !desc->no_hand_mesh)
        st = app_pipeline_create_handmesh(desc, &p->mesh, err);
    if (st != ENG_OK) {
        app_pipeline_destroy(p);
        return st;
    }
    *out = p;
    return ENG_OK;
}

void app_pipeline_destroy(app_pipeline *p)
{
    if (!p)
        return;
    eng_pose_destroy(p->pose);
    eng_hands_destroy(p->hands);
    eng_handmesh_destroy(p->mesh);
    eng_runtime_destroy(p->rt);
    free(p);
}

eng_status app_pipeline_run(app_pipeline *p, const eng_image *img, double t,
                            app_frame_result *res, eng_error *err)
{
    eng_status st = ENG_OK;
    if (p->pose)
        st = eng_pose_process(p->pose, img, t, &res->pose, err);
    else
        memset(&res->pose, 0, sizeof(res->pose));
    if (st == ENG_OK && p->hands)
        st = eng_hands_process(p->hands, img, t, &res->hands, err);
    else
        memset(&res->hands, 0, sizeof(res->hands));
    if (st == ENG_OK && p->mesh)
        eng_handmesh_process(p->mesh, &res->hands, &res->meshes);
    else
        memset(&res->meshes, 0, sizeof(res->meshes));
    app_stage_times *tm = &res->times;
    tm->ms[APP_STAGE_POSE_DETECT] = (float)res->pose.ms_detector;
    tm->ms[APP_STAGE_POSE_LANDMARKS] = (float)res->pose.ms_landmarks;
    tm->ms[APP_STAGE_HAND_DETECT] = (float)res->hands.ms_detector;
    tm->ms[APP_STAGE_HAND_LANDMARKS] = (float)res->hands.ms_landmarks;
    tm->ms[APP_STAGE_HAND_MESH] = (float)res->meshes.ms;
    tm->pose_detector_ran = res->pose.detector_ran;
    tm->hand_detector_ran = res->hands.detector_ran;
    return st;
}

void app_pipeline_reset(app_pipeline *p)
{
    if (p->pose)
        eng_pose_reset(p->pose);
    if (p->hands)
        eng_hands_reset(p->hands);
    if (p->mesh)
        eng_handmesh_reset(p->mesh);
}

const eng_pose *app_pipeline_pose(const app_pipeline *p)
{
    return p->pose;
}

const eng_handmesh *app_pipeline_handmesh(const app_pipeline *p)
{
    return p->mesh;
}
