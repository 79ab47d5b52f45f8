/*
 * test_pose: the body task against Google's MediaPipe pipeline run on the
 * same media (tests/data/reference/mediapipe, made by ref-pipeline: images
 * in image mode, the video in video mode with smoothing off, so smoothing
 * is off here too), the skier's COCO annotation, the detector stride and
 * track ids, and no allocation per frame after the first.
 *
 * Media are decoded through app/source.h, the application's own path.
 * Prints the measured numbers (median, p95, max) for the README.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_count.h"
#include "json.h"
#include "pose.h"
#include "source.h"
#include "media.h"
#include "testlib.h"

#define DATA POSESCOPE_TEST_DATA
#define VIDEO DATA "/media/videos/pose_squats_10s.mp4"
#define ALLOC_FRAMES 12

/* ---- allocation counting (plain build only, as before it was shared) ---- */

#ifndef __SANITIZE_ADDRESS__
#define COUNT_ALLOCS 1
#endif

/* ---- helpers ---- */

static eng_runtime *rt;

static eng_pose *make_pose(eng_pose_desc d)
{
    static char det[512], lm[512];
    d.detector_path = test_model_path("pose_detection", det,
                                      sizeof(det));
    d.landmark_path = test_model_path("pose_landmark_full", lm,
                                      sizeof(lm));
    eng_pose *p = NULL;
    eng_error err = {0};
    eng_status st = eng_pose_create(rt, &d, &p, &err);
    CHECK(st == ENG_OK, "eng_pose_create: %s", err.msg);
    return p;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Linear-interpolated percentile of v[0..n) (sorts v). */
static float percentile(float *v, int n, float q)
{
    qsort(v, n, sizeof(*v), cmp_float);
    float i = q / 100.0f * (n - 1);
    int lo = (int)i, hi = lo + 1 < n ? lo + 1 : lo;
    return v[lo] + (v[hi] - v[lo]) * (i - lo);
}

typedef struct stats {
    float median, p95, max;
} stats;

static stats summarize(float *v, int n)
{
    stats s = {0};
    if (n > 0) {
        s.median = percentile(v, n, 50);
        s.p95 = percentile(v, n, 95);
        s.max = v[n - 1];
    }
    return s;
}

/* Distances of our 33 keypoints from a reference list of {x, y} objects
 * appended to err; returns how many were added. */
static int ref_distances(const eng_person *o, const tjson *kps, float *err)
{
    int n = 0;
    for (int k = 0; k < ENG_POSE_POINTS && k < tjson_len(kps); k++) {
        const tjson *r = tjson_at(kps, k);
        float dx = o->kp[k][0] - (float)tjson_num(tjson_get(r, "x"), NAN);
        float dy = o->kp[k][1] - (float)tjson_num(tjson_get(r, "y"), NAN);
        err[n++] = hypotf(dx, dy);
    }
    return n;
}

/* ---- the video against the reference ---- */

static void test_video_reference(void)
{
    tjson *ref = tjson_load(DATA "/reference/mediapipe/videos/"
                                 "pose_squats_10s.json");
    const tjson *frames = tjson_get(ref, "frames");
    app_source *src = test_open_source(VIDEO);
    eng_pose *p = make_pose((eng_pose_desc){.no_smoothing = true});
    if (!ref || !src || !p)
        goto out;
    int cap = tjson_len(frames) * ENG_POSE_POINTS, n = 0, nf = 0, ndet = 0;
    float *err = malloc(sizeof(float) * (cap + 1));
    double ms_det = 0, ms_lm = 0;
    app_frame f;
    eng_error e = {0};
    while (nf < tjson_len(frames) && app_source_next(src, &f, &e) == 1) {
        eng_image img = test_frame_image(&f);
        eng_pose_result res;
        CHECK(eng_pose_process(p, &img, f.t, &res, &e) == ENG_OK, "%s",
              e.msg);
        const tjson *rp = tjson_at(tjson_get(tjson_at(frames, nf), "pose"), 0);
        CHECK(res.n_people == 1 && rp, "frame %d: %d people", nf,
              res.n_people);
        if (res.n_people == 1 && rp)
            n += ref_distances(&res.people[0], tjson_get(rp, "keypoints"),
                               err + n);
        ndet += res.detector_ran;
        ms_det += res.ms_detector;
        ms_lm += res.ms_landmarks;
        nf++;
    }
    CHECK(nf == 50, "decoded %d frames, want 50", nf);
    stats s = summarize(err, n);
    printf("pose_squats_10s vs MediaPipe (%d frames, %d points): "
           "median %.2f px, p95 %.2f px, max %.2f px\n", nf, n, s.median,
           s.p95, s.max);
    printf("timing: detector ran %d/%d frames, %.1f ms per run; "
           "landmarks %.1f ms per frame\n", ndet, nf,
           ndet ? ms_det / ndet : 0.0, nf ? ms_lm / nf : 0.0);
    CHECK(n == 50 * ENG_POSE_POINTS, "compared %d points", n);
    CHECK(s.median <= 3.0f, "median %.2f px > 3", s.median);
    CHECK(s.p95 <= 10.0f, "p95 %.2f px > 10", s.p95);
    free(err);
out:
    eng_pose_destroy(p);
    app_source_close(src);
    tjson_free(ref);
}

/* ---- still images ---- */

static const char *const images[] = {
    "astronaut_nasa_pd.png",
    "obama_portrait_pd.jpg",
    "coco_val2017_000000000785_skier_ccby2.jpg",
    "woman_hair_pexels_cc0.png",
};

/* COCO's 17 keypoints as indices of the 33. */
static const int coco_from_33[17] = {0,  2,  5,  7,  8,  11, 12, 13, 14,
                                     15, 16, 23, 24, 25, 26, 27, 28};

static void check_coco(const eng_person *o)
{
    tjson *a = tjson_load(DATA "/media/images/"
                               "coco_val2017_000000000785_skier_ccby2."
                               "keypoints.json");
    const tjson *ann = tjson_at(tjson_get(a, "annotations"), 0);
    const tjson *kp = tjson_get(ann, "keypoints");
    const tjson *box = tjson_get(ann, "bbox");
    float diag = hypotf((float)tjson_num(tjson_at(box, 2), 0),
                        (float)tjson_num(tjson_at(box, 3), 0));
    int within = 0;
    float worst = 0;
    for (int i = 0; i < 17; i++) {
        const float *q = o->kp[coco_from_33[i]];
        float d = hypotf(q[0] - (float)tjson_num(tjson_at(kp, 3 * i), NAN),
                         q[1] - (float)tjson_num(tjson_at(kp, 3 * i + 1), NAN));
        within += d <= 0.1f * diag;
        worst = fmaxf(worst, d);
    }
    printf("skier COCO: %d/17 within 0.1 x diagonal (%.1f px), worst %.1f "
           "px\n", within, 0.1f * diag, worst);
    CHECK(diag > 0 && within >= 15, "COCO: %d/17 within %.1f px", within,
          0.1f * diag);
    tjson_free(a);
}

static void test_image(eng_pose *p, const char *name)
{
    char path[512], ref_path[512];
    snprintf(path, sizeof(path), DATA "/media/images/%s", name);
    snprintf(ref_path, sizeof(ref_path),
             DATA "/reference/mediapipe/images/%.*s.json",
             (int)(strrchr(name, '.') - name), name);
    tjson *ref = tjson_load(ref_path);
    app_source *src = test_open_source(path);
    app_frame f;
    eng_error e = {0};
    if (!ref || !src || app_source_next(src, &f, &e) != 1) {
        CHECK(0, "%s: cannot decode (%s)", name, e.msg);
        goto out;
    }
    eng_image img = test_frame_image(&f);
    eng_pose_result res;
    CHECK(eng_pose_process(p, &img, 0.0, &res, &e) == ENG_OK, "%s", e.msg);
    CHECK(res.n_people == 1 && res.detector_ran, "%s: %d people", name,
          res.n_people);
    if (res.n_people != 1)
        goto out;
    float err[ENG_POSE_POINTS];
    const tjson *kps = tjson_get(tjson_at(tjson_get(ref, "pose"), 0),
                                 "keypoints");
    int n = ref_distances(&res.people[0], kps, err);
    stats s = summarize(err, n);
    printf("%s vs MediaPipe: median %.2f px, p95 %.2f px, max %.2f px "
           "(detector %.1f ms, landmarks %.1f ms)\n", name, s.median, s.p95,
           s.max, res.ms_detector, res.ms_landmarks);
    CHECK(n == ENG_POSE_POINTS && s.median <= 3.0f, "%s: median %.2f px",
          name, s.median);
    CHECK(res.people[0].id == 1, "static images number people from 1");
    if (strstr(name, "skier"))
        check_coco(&res.people[0]);
out:
    app_source_close(src);
    tjson_free(ref);
}

static void test_images(void)
{
    eng_pose *p = make_pose((eng_pose_desc){.static_images = true});
    for (size_t i = 0; p && i < sizeof(images) / sizeof(images[0]); i++)
        test_image(p, images[i]);
    eng_pose_destroy(p);
}

/* ---- tracking, stride, allocation ---- */

typedef struct clip {
    int n, width, height;
    uint8_t *rgb[ALLOC_FRAMES];
    double t[ALLOC_FRAMES];
} clip;

/* Copies the first frames of the video so that the decoder's own
 * allocations stay out of the count. */
static bool load_clip(clip *c)
{
    memset(c, 0, sizeof(*c));
    app_source *src = test_open_source(VIDEO);
    app_frame f;
    eng_error e = {0};
    while (src && c->n < ALLOC_FRAMES && app_source_next(src, &f, &e) == 1) {
        size_t row = (size_t)f.width * 3;
        c->rgb[c->n] = malloc(row * f.height);
        for (int y = 0; y < f.height; y++)
            memcpy(c->rgb[c->n] + row * y, f.rgb + (size_t)f.stride * y, row);
        c->width = f.width;
        c->height = f.height;
        c->t[c->n++] = f.t;
    }
    app_source_close(src);
    return c->n == ALLOC_FRAMES;
}

static void free_clip(clip *c)
{
    for (int i = 0; i < c->n; i++)
        free(c->rgb[i]);
}

typedef struct run_log {
    bool det[ALLOC_FRAMES];
    int people[ALLOC_FRAMES], id[ALLOC_FRAMES];
    long allocs; /* after the first frame */
} run_log;

static void run_clip(const clip *c, eng_pose_desc d, run_log *log)
{
    eng_pose *p = make_pose(d);
    memset(log, 0, sizeof(*log));
    for (int i = 0; p && i < c->n; i++) {
        eng_image img = {c->width, c->height, 3 * c->width, c->rgb[i]};
        eng_pose_result res;
        eng_error e = {0};
#ifdef COUNT_ALLOCS
        long before = test_alloc_count();
#endif
        eng_status st = eng_pose_process(p, &img, c->t[i], &res, &e);
#ifdef COUNT_ALLOCS
        if (i > 0)
            log->allocs += test_alloc_count() - before;
#endif
        CHECK(st == ENG_OK, "frame %d: %s", i, e.msg);
        log->det[i] = res.detector_ran;
        log->people[i] = res.n_people;
        log->id[i] = res.n_people ? res.people[0].id : 0;
    }
    eng_pose_destroy(p);
}

static void check_one_person(const run_log *log, const char *what)
{
    for (int i = 0; i < ALLOC_FRAMES; i++)
        CHECK(log->people[i] == 1 && log->id[i] == 1,
              "%s frame %d: %d people, id %d", what, i, log->people[i],
              log->id[i]);
    CHECK(log->allocs == 0, "%s: %ld allocations after the first frame",
          what, log->allocs);
}

static void test_tracking(void)
{
    clip c;
    if (!load_clip(&c)) {
        CHECK(0, "cannot decode %d frames", ALLOC_FRAMES);
        free_clip(&c);
        return;
    }
    run_log log;
    /* MediaPipe's way: the detector only on the first frame. */
    run_clip(&c, (eng_pose_desc){0}, &log);
    check_one_person(&log, "auto");
    for (int i = 0; i < ALLOC_FRAMES; i++)
        CHECK(log.det[i] == (i == 0), "auto: detector on frame %d: %d", i,
              log.det[i]);
    /* Fixed stride 3: frames 0, 3, 6, ...; one person keeps id 1. */
    eng_pose_desc fixed = {.stride = {ENG_STRIDE_FIXED, 3, 0}};
    run_clip(&c, fixed, &log);
    check_one_person(&log, "stride 3");
    for (int i = 0; i < ALLOC_FRAMES; i++)
        CHECK(log.det[i] == (i % 3 == 0), "stride 3: detector on frame %d: "
              "%d", i, log.det[i]);
    /* Two wanted, one present: the detector runs on every frame, and its
     * detection of the tracked person is not a second person. */
    eng_pose_desc two = {.max_people = 2, .stride = {ENG_STRIDE_AUTO, 0, 0}};
    run_clip(&c, two, &log);
    check_one_person(&log, "auto, max 2");
    for (int i = 0; i < ALLOC_FRAMES; i++)
        CHECK(log.det[i], "auto, max 2: no detector on frame %d", i);
    /* A forced check every 4 frames re-anchors the same track. */
    eng_pose_desc forced = {.stride = {ENG_STRIDE_AUTO, 0, 4}};
    run_clip(&c, forced, &log);
    check_one_person(&log, "max stride 4");
    for (int i = 0; i < ALLOC_FRAMES; i++)
        CHECK(log.det[i] == (i % 4 == 0), "max stride 4: detector on frame "
              "%d: %d", i, log.det[i]);
#ifdef COUNT_ALLOCS
    printf("allocations after the first frame: 0 in %d frames x 4 modes "
           "(counting malloc)\n", ALLOC_FRAMES);
#else
    printf("allocation count skipped under ASan\n");
#endif
    free_clip(&c);
}

static void test_errors(void)
{
    eng_pose_desc d = {.detector_path = "/nonexistent/pose_detection.tflite",
                       .landmark_path = "/nonexistent/x.tflite"};
    eng_pose *p = (eng_pose *)1;
    eng_error err = {0};
    CHECK(eng_pose_create(rt, &d, &p, &err) == ENG_EIO && !p,
          "missing model: %s", err.msg);
    CHECK(eng_pose_create(rt, &(eng_pose_desc){0}, &p, &err) == ENG_EINVAL,
          "no paths accepted");
    p = make_pose((eng_pose_desc){0});
    eng_pose_result res;
    eng_image bad = {0, 0, 0, NULL};
    CHECK(p && eng_pose_process(p, &bad, 0.0, &res, &err) == ENG_EINVAL,
          "empty frame accepted");
    eng_pose_destroy(p);
    eng_pose_destroy(NULL);
}

int main(void)
{
    test_alloc_count_start();
    eng_error err = {0};
    eng_runtime_desc rd = {0};
    if (eng_runtime_create(&rd, &rt, &err) != ENG_OK) {
        CHECK(0, "runtime: %s", err.msg);
        return test_finish();
    }
    test_errors();
    test_video_reference();
    test_images();
    test_tracking();
    eng_runtime_destroy(rt);
    return test_finish();
}
