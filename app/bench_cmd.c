/*
 * bench_cmd: see bench_cmd.h.
 */
#include "bench_cmd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline.h"
#include "source.h"

#define N_CONFIGS 5
#define DEFAULT_FRAMES 300

/* The keypoints of one frame, all a drift measure needs. */
typedef struct kp_frame {
    int n_people, n_hands;
    int person_id[ENG_MAX_PEOPLE], hand_id[ENG_MAX_HANDS];
    float body[ENG_MAX_PEOPLE][ENG_POSE_POINTS][2];
    float hand[ENG_MAX_HANDS][ENG_HAND_POINTS][2];
} kp_frame;

/* A growable list of distances (for the percentile). */
typedef struct dists {
    float *v;
    size_t n, cap;
} dists;

/* What one stride's run measured. */
typedef struct config_stats {
    double ms_detector, ms_landmarks, ms_total; /* sums over frames */
    int64_t pose_ran, hands_ran, frames;
    dists body, hand;
    int64_t missed;  /* stride-1 tracks with no counterpart */
} config_stats;

static eng_status dists_add(dists *d, float v, eng_error *err)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 4096;
        float *nv = realloc(d->v, cap * sizeof(*nv));
        if (!nv)
            return eng_fail(err, ENG_ENOMEM, "out of memory");
        d->v = nv;
        d->cap = cap;
    }
    d->v[d->n++] = v;
    return ENG_OK;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static void dists_summary(dists *d, double *mean, double *p95)
{
    *mean = *p95 = NAN;
    if (d->n == 0)
        return;
    double sum = 0;
    for (size_t i = 0; i < d->n; i++)
        sum += d->v[i];
    *mean = sum / (double)d->n;
    qsort(d->v, d->n, sizeof(*d->v), cmp_float);
    *p95 = d->v[(size_t)ceil(0.95 * (double)d->n) - 1];
}

static void keep_keypoints(const app_frame_result *r, kp_frame *k)
{
    k->n_people = r->pose.n_people;
    for (int i = 0; i < k->n_people; i++) {
        const eng_person *p = &r->pose.people[i];
        k->person_id[i] = p->id;
        for (int j = 0; j < ENG_POSE_POINTS; j++) {
            k->body[i][j][0] = p->kp[j][0];
            k->body[i][j][1] = p->kp[j][1];
        }
    }
    k->n_hands = r->hands.n_hands;
    for (int i = 0; i < k->n_hands; i++) {
        const eng_hand *h = &r->hands.hands[i];
        k->hand_id[i] = h->id;
        for (int j = 0; j < ENG_HAND_POINTS; j++) {
            k->hand[i][j][0] = h->kp[j][0];
            k->hand[i][j][1] = h->kp[j][1];
        }
    }
}

static float mean_dist(const float (*a)[2], const float (*b)[2], int n)
{
    double s = 0;
    for (int j = 0; j < n; j++)
        s += hypot(a[j][0] - b[j][0], a[j][1] - b[j][1]);
    return (float)(s / n);
}

/* Matches each reference track (ref_n tracks of n_pts points, `pitch`
 * floats apart) to a test track: the same id, else the nearest unused
 * one; adds every point distance of each match to d. */
static eng_status match_tracks(const int *ref_id, const float *ref, int ref_n,
                               const int *ids, const float *kp, int n,
                               int n_pts, dists *d, int64_t *missed,
                               eng_error *err)
{
    bool used[ENG_MAX_PEOPLE > ENG_MAX_HANDS ? ENG_MAX_PEOPLE
                                             : ENG_MAX_HANDS] = { false };
    size_t pitch = (size_t)n_pts * 2;
    for (int i = 0; i < ref_n; i++) {
        const float(*r)[2] = (const float(*)[2])(ref + i * pitch);
        int best = -1;
        float best_d = INFINITY;
        for (int k = 0; k < n && best_d > 0; k++) {
            if (used[k])
                continue;
            const float(*t)[2] = (const float(*)[2])(kp + k * pitch);
            float dk = ids[k] == ref_id[i] ? 0 : mean_dist(r, t, n_pts);
            if (dk < best_d) {
                best_d = dk;
                best = k;
            }
        }
        if (best < 0) {
            ++*missed;
            continue;
        }
        used[best] = true;
        const float(*t)[2] = (const float(*)[2])(kp + best * pitch);
        for (int j = 0; j < n_pts; j++) {
            float dj = (float)hypot(r[j][0] - t[j][0], r[j][1] - t[j][1]);
            eng_status st = dists_add(d, dj, err);
            if (st != ENG_OK)
                return st;
        }
    }
    return ENG_OK;
}

static eng_status compare(const kp_frame *ref, const kp_frame *k,
                          config_stats *cs, eng_error *err)
{
    eng_status st = match_tracks(ref->person_id, &ref->body[0][0][0],
                                 ref->n_people, k->person_id,
                                 &k->body[0][0][0], k->n_people,
                                 ENG_POSE_POINTS, &cs->body, &cs->missed,
                                 err);
    if (st != ENG_OK)
        return st;
    return match_tracks(ref->hand_id, &ref->hand[0][0][0], ref->n_hands,
                        k->hand_id, &k->hand[0][0][0], k->n_hands,
                        ENG_HAND_POINTS, &cs->hand, &cs->missed, err);
}

static void add_times(const app_frame_result *r, double ms_total,
                      config_stats *cs)
{
    cs->ms_detector += r->pose.ms_detector + r->hands.ms_detector;
    cs->ms_landmarks += r->pose.ms_landmarks + r->hands.ms_landmarks;
    cs->ms_total += ms_total;
    cs->pose_ran += r->pose.detector_ran;
    cs->hands_ran += r->hands.detector_ran;
    cs->frames++;
}

/* One stride over the first n frames of spec. The stride-1 run (is_ref)
 * fills kps; with `drift`, the others are compared with it frame by
 * frame. */
static eng_status run_config(const char *spec, const app_pipeline_desc *pd,
                             int64_t n, kp_frame *kps, bool is_ref,
                             bool drift, config_stats *cs, eng_error *err)
{
    app_source *src = NULL;
    app_pipeline *pl = NULL;
    app_source_desc sd = { .spec = spec };
    eng_status st = app_source_open(&sd, &src, err);
    if (st == ENG_OK)
        st = app_pipeline_create(pd, &pl, err);
    app_frame_result *res = calloc(1, sizeof(*res));
    kp_frame *k = calloc(1, sizeof(*k));
    if (st == ENG_OK && (!res || !k))
        st = eng_fail(err, ENG_ENOMEM, "out of memory");
    for (int64_t i = 0; st == ENG_OK && i < n; i++) {
        app_frame f;
        int got = app_source_next(src, &f, err);
        if (got <= 0) {
            st = got < 0 ? err->status : ENG_OK;
            break;
        }
        eng_image img = { f.width, f.height, f.stride, f.rgb };
        if (i == 0) {
            /* Warm-up: the first call sizes the tasks' buffers. */
            st = app_pipeline_run(pl, &img, f.t, res, err);
            app_pipeline_reset(pl);
        }
        double t0 = app_now();
        if (st == ENG_OK)
            st = app_pipeline_run(pl, &img, f.t, res, err);
        double ms = (app_now() - t0) * 1e3;
        if (st != ENG_OK)
            break;
        add_times(res, ms, cs);
        if (!drift)
            continue;
        keep_keypoints(res, is_ref ? &kps[i] : k);
        if (!is_ref)
            st = compare(&kps[i], k, cs, err);
    }
    free(k);
    free(res);
    app_pipeline_destroy(pl);
    app_source_close(src);
    return st;
}

static void print_drift(dists *d)
{
    double mean, p95;
    dists_summary(d, &mean, &p95);
    if (isnan(mean))
        printf(" - |");
    else
        printf(" %.2f / %.2f |", mean, p95);
}

static void print_row(const char *name, config_stats *cs, bool is_ref)
{
    double n = cs->frames > 0 ? (double)cs->frames : 1;
    double total = cs->ms_total / n;
    printf("| %s | %.2f | %.2f | %.2f | %.1f | %.0f / %.0f |", name,
           cs->ms_detector / n, cs->ms_landmarks / n, total,
           total > 0 ? 1e3 / total : 0, 100 * cs->pose_ran / n,
           100 * cs->hands_ran / n);
    if (is_ref) {
        printf(" 0 (reference) | 0 (reference) | 0 |\n");
        return;
    }
    print_drift(&cs->body);
    print_drift(&cs->hand);
    printf(" %lld |\n", (long long)cs->missed);
}

static app_status parse(int argc, char **argv, app_pipeline_desc *pd,
                        const char **spec, int *frames, int *rounds,
                        eng_error *err)
{
    app_pipeline_args a = { 0 };
    const app_option extra[] = {
        { "--frames", APP_OPT_INT, frames, 1, 1000000 },
        { "--rounds", APP_OPT_INT, rounds, 1, 100 },
    };
    app_status st = app_pipeline_parse(argc, argv, &a, false, extra, 2,
                                       "bench", spec, err);
    if (st != APP_OK)
        return st;
    a.no_smoothing = 1;
    /* The table is about the detectors and landmark models. */
    a.no_hand_mesh = 1;
    return app_pipeline_desc_from_args(&a, pd, err) == ENG_OK ? APP_OK
                                                             : APP_USAGE;
}

/* How many frames to run: --frames, else the whole file (capped). */
static app_status count_frames(const char *spec, int frames, int64_t *n,
                               eng_error *err)
{
    app_source *src;
    app_source_desc sd = { .spec = spec };
    if (app_source_open(&sd, &src, err) != ENG_OK)
        return APP_BAD_INPUT;
    app_source_info info;
    app_source_get_info(src, &info);
    app_source_close(src);
    if (info.kind == APP_SOURCE_WEBCAM) {
        eng_fail(err, ENG_EINVAL, "%s: bench needs a file or folder (the "
                 "same frames for every stride)", spec);
        return APP_BAD_INPUT;
    }
    *n = frames > 0 ? frames
         : info.frame_count > 0 && info.frame_count < DEFAULT_FRAMES
             ? info.frame_count
             : DEFAULT_FRAMES;
    return APP_OK;
}

/* The strides run in turn, `rounds` times over; each row's times are
 * its round with the least total time, so that a stride is not charged
 * for a moment the machine was busy. Drift is measured in the first round
 * (the results do not depend on timing). */
static app_status bench(const char *spec, app_pipeline_desc *pd, int64_t n,
                        int rounds, eng_error *err)
{
    static const char *const names[N_CONFIGS] = { "1", "2", "3", "4",
                                                  "auto" };
    kp_frame *kps = calloc((size_t)n, sizeof(*kps));
    config_stats cs[N_CONFIGS];
    memset(cs, 0, sizeof(cs));
    eng_status st = kps ? ENG_OK : eng_fail(err, ENG_ENOMEM, "out of memory");
    int max_stride = pd->stride.max_stride;
    for (int r = 0; st == ENG_OK && r < rounds; r++) {
        for (int c = 0; st == ENG_OK && c < N_CONFIGS; c++) {
            pd->stride = c < 4 ? (eng_stride){ ENG_STRIDE_FIXED, c + 1, 0 }
                               : (eng_stride){ ENG_STRIDE_AUTO, 0,
                                               max_stride };
            config_stats again = { 0 };
            config_stats *into = r == 0 ? &cs[c] : &again;
            st = run_config(spec, pd, n, kps, c == 0, r == 0, into, err);
            if (r > 0 && st == ENG_OK && again.ms_total < cs[c].ms_total) {
                cs[c].ms_detector = again.ms_detector;
                cs[c].ms_landmarks = again.ms_landmarks;
                cs[c].ms_total = again.ms_total;
            }
        }
    }
    if (st == ENG_OK) {
        printf("%s: %lld frames, smoothing off, best of %d interleaved "
               "rounds; ms per frame (detector and landmarks: body + hands), "
               "drift in px vs stride 1\n\n",
               spec, (long long)cs[0].frames, rounds);
        printf("| stride | detector ms | landmark ms | total ms | FPS | "
               "detector ran %% (body / hands) | body drift mean / p95 | "
               "hand drift mean / p95 | tracks missed |\n"
               "|---|---|---|---|---|---|---|---|---|\n");
        for (int c = 0; c < N_CONFIGS; c++)
            print_row(names[c], &cs[c], c == 0);
    }
    for (int c = 0; c < N_CONFIGS; c++) {
        free(cs[c].body.v);
        free(cs[c].hand.v);
    }
    free(kps);
    return st == ENG_OK ? APP_OK
           : st == ENG_EFORMAT || st == ENG_EUNSUPPORTED ? APP_BAD_INPUT
                                                           : APP_FAILED;
}

app_status app_bench_cmd(int argc, char **argv, eng_error *err)
{
    app_pipeline_desc pd;
    const char *spec = NULL;
    int frames = 0, rounds = 3;
    app_status st = parse(argc, argv, &pd, &spec, &frames, &rounds, err);
    if (st != APP_OK)
        return st;
    int64_t n;
    st = count_frames(spec, frames, &n, err);
    if (st != APP_OK)
        return st;
    return bench(spec, &pd, n, rounds, err);
}
