/*
 * results_io: see results_io.h.
 */
#include "results_io.h"

#include <math.h>

static const char *const stage_keys[APP_STAGE_COUNT] = {
    [APP_STAGE_DECODE] = "decode",
    [APP_STAGE_POSE_DETECT] = "pose_detect",
    [APP_STAGE_POSE_LANDMARKS] = "pose_landmarks",
    [APP_STAGE_HAND_DETECT] = "hand_detect",
    [APP_STAGE_HAND_LANDMARKS] = "hand_landmarks",
    [APP_STAGE_HAND_MESH] = "hand_mesh",
    [APP_STAGE_TOTAL] = "total",
};

const char *app_results_stage_key(app_stage stage)
{
    return stage >= 0 && stage < APP_STAGE_COUNT ? stage_keys[stage] : "?";
}

/* A JSON string: quotes, backslashes and control bytes escaped; other
 * bytes (UTF-8 file names) go through as they are. */
static void put_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void put_num(FILE *f, double v, int decimals)
{
    if (isfinite(v))
        fprintf(f, "%.*f", decimals, v);
    else
        fputs("null", f);
}

/* [[a, b, ...], ...]: n rows of `cols` floats from a row-major table with
 * `pitch` floats per row, each column scaled by scale[c]. */
static void put_rows(FILE *f, const float *v, int n, int cols, int pitch,
                     const double *scale, int decimals)
{
    fputc('[', f);
    for (int i = 0; i < n; i++) {
        fputs(i ? ",[" : "[", f);
        for (int c = 0; c < cols; c++) {
            if (c)
                fputc(',', f);
            put_num(f, v[i * pitch + c] * scale[c], decimals);
        }
        fputc(']', f);
    }
    fputc(']', f);
}

static void put_person(FILE *f, const eng_person *p, const double *px,
                       const double *norm)
{
    fprintf(f, "{\"id\":%d,\"score\":", p->id);
    put_num(f, p->score, 4);
    fprintf(f, ",\"from_detector\":%s,\"keypoints\":",
            p->from_detector ? "true" : "false");
    put_rows(f, &p->kp[0][0], ENG_POSE_POINTS, 4, 4, px, 3);
    fputs(",\"keypoints_norm\":", f);
    put_rows(f, &p->kp[0][0], ENG_POSE_POINTS, 2, 4, norm, 6);
    fputs(",\"world\":", f);
    put_rows(f, &p->world[0][0], ENG_POSE_POINTS, 3, 3, px, 5);
    fputc('}', f);
}

/* [a, b, ...]: n floats. */
static void put_vec(FILE *f, const float *v, int n, int decimals)
{
    fputc('[', f);
    for (int i = 0; i < n; i++) {
        if (i)
            fputc(',', f);
        put_num(f, v[i], decimals);
    }
    fputc(']', f);
}

/* The hand's mesh, with WiLoR's names (docs/results-schema.md). */
static void put_mesh(FILE *f, const eng_hand_mesh *m, const app_frame_meta *meta,
                     const double *px)
{
    fprintf(f, ",\"mesh_fitted\":%s", m->ok ? "true" : "false");
    if (!m->ok)
        return;
    const eng_handfit_result *r = &m->fit;
    fputs(",\"global_orient\":", f);
    put_rows(f, r->pose.global_orient, 1, 3, 3, px, 5);
    fputs(",\"hand_pose\":", f);
    put_rows(f, &r->pose.hand_pose[0][0], 15, 3, 3, px, 5);
    fputs(",\"betas\":", f);
    put_vec(f, r->pose.betas, r->n_betas, 5);
    fputs(",\"pred_cam\":", f);
    put_vec(f, r->cam, 3, 5);
    fputs(",\"world_rot\":", f);
    put_vec(f, r->world_rot, 3, 5);
    fputs(",\"transl\":", f);
    put_vec(f, r->transl, 3, 5);
    fputs(",\"pred_keypoints_3d\":", f);
    put_rows(f, &r->kp3d[0][0], ENG_HAND_POINTS, 3, 3, px, 5);
    fputs(",\"fit_residual_mm\":", f);
    put_num(f, r->err3d_mm, 3);
    fputs(",\"fit_residual_px\":", f);
    put_num(f, r->err2d_px, 3);
    if (meta->mesh_vertices && meta->vertex_scratch) {
        const eng_handmodel *model =
            eng_handmesh_model(meta->mesh_vertices, m->side);
        eng_handmesh_vertices(meta->mesh_vertices, m, meta->vertex_scratch);
        fputs(",\"pred_vertices\":", f);
        put_rows(f, meta->vertex_scratch, model->n_verts, 3, 3, px, 5);
    }
}

static void put_hand(FILE *f, const eng_hand *h, const eng_hand_mesh *mesh,
                     const app_frame_meta *meta, const double *px,
                     const double *norm)
{
    fprintf(f, "{\"id\":%d,\"handedness\":\"%s\",\"score\":", h->id,
            h->handedness == ENG_HAND_LEFT ? "Left" : "Right");
    put_num(f, h->score, 4);
    fputs(",\"handedness_score\":", f);
    put_num(f, h->handedness_score, 4);
    fprintf(f, ",\"from_detector\":%s,\"keypoints\":",
            h->from_detector ? "true" : "false");
    put_rows(f, &h->kp[0][0], ENG_HAND_POINTS, 3, 3, px, 3);
    fputs(",\"keypoints_norm\":", f);
    put_rows(f, &h->kp[0][0], ENG_HAND_POINTS, 2, 3, norm, 6);
    fputs(",\"world\":", f);
    put_rows(f, &h->world[0][0], ENG_HAND_POINTS, 3, 3, px, 5);
    if (mesh)
        put_mesh(f, mesh, meta, px);
    fputc('}', f);
}

static void put_head(FILE *f, const app_frame_meta *m,
                     const app_frame_result *r)
{
    fprintf(f, "{\"schema_version\":%d,\"frame\":%lld,\"t\":",
            APP_RESULTS_SCHEMA_VERSION, (long long)m->frame);
    put_num(f, m->t, 6);
    fputs(",\"source\":", f);
    if (m->source)
        put_str(f, m->source);
    else
        fputs("null", f);
    fprintf(f, ",\"width\":%d,\"height\":%d,\"detector_ran\":"
            "{\"pose\":%s,\"hands\":%s},\"ms\":{",
            m->width, m->height,
            r->pose.detector_ran ? "true" : "false",
            r->hands.detector_ran ? "true" : "false");
    for (int s = 0; s < APP_STAGE_COUNT; s++) {
        fprintf(f, "%s\"%s\":", s ? "," : "", stage_keys[s]);
        put_num(f, r->times.ms[s], 3);
    }
    fputc('}', f);
}

int app_results_write_json(FILE *f, const app_frame_meta *m,
                           const app_frame_result *r)
{
    /* Column scales: pixels and metres as they are; normalised = x / W,
     * y / H. */
    const double px[4] = { 1, 1, 1, 1 };
    const double norm[2] = { 1.0 / m->width, 1.0 / m->height };
    put_head(f, m, r);
    fputs(",\"people\":[", f);
    for (int i = 0; i < r->pose.n_people; i++) {
        if (i)
            fputc(',', f);
        put_person(f, &r->pose.people[i], px, norm);
    }
    fputs("],\"hands\":[", f);
    for (int i = 0; i < r->hands.n_hands; i++) {
        if (i)
            fputc(',', f);
        const eng_hand_mesh *mesh =
            i < r->meshes.n_meshes ? &r->meshes.meshes[i] : NULL;
        put_hand(f, &r->hands.hands[i], mesh, m, px, norm);
    }
    fputs("]}\n", f);
    return ferror(f) ? -1 : 0;
}

int app_latency_csv_header(FILE *f)
{
    fputs("frame", f);
    for (int s = 0; s < APP_STAGE_COUNT; s++)
        fprintf(f, ",%s_ms", stage_keys[s]);
    fputs(",pose_detector_ran,hand_detector_ran\n", f);
    return ferror(f) ? -1 : 0;
}

int app_latency_csv_row(FILE *f, int64_t frame, const app_stage_times *t)
{
    fprintf(f, "%lld", (long long)frame);
    for (int s = 0; s < APP_STAGE_COUNT; s++)
        fprintf(f, ",%.3f", isfinite(t->ms[s]) ? t->ms[s] : 0.0);
    fprintf(f, ",%d,%d\n", t->pose_detector_ran, t->hand_detector_ran);
    return ferror(f) ? -1 : 0;
}
