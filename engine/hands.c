#include "hands.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "model.h"

#define PALM_INPUT 192
#define PALM_KEYPOINTS 7
#define PALM_VALUES (4 + 2 * PALM_KEYPOINTS)
#define LM_INPUT 224
#define LM_VALUES (3 * ENG_HAND_POINTS)

/* Palm detection -> ROI (PalmDetectionDetectionToRoi). */
#define PALM_WRIST 0
#define PALM_MIDDLE_MCP 2
#define PALM_SHIFT_Y -0.5f
#define PALM_SCALE 2.6f

/* Landmarks -> next ROI (HandLandmarkLandmarksToRoi). */
#define LM_SHIFT_Y -0.1f
#define LM_SCALE 2.0f
#define LM_Z_SCALE 0.4f /* TensorsToLandmarks normalize_z */

/* AssociationNormRect: a later ROI replaces earlier ones it overlaps by
 * more than this (axis-aligned IoU). */
#define MERGE_IOU 0.5f

/* FIXED stride only: between detector runs the landmark ROI is reused
 * grown by this factor (InstantHMR's "slightly expanded previous box"; the
 * pose task uses the same). The ROI is already twice the hand: 10 % more
 * gives each side another tenth of a hand of margin for motion, at 10 %
 * less resolution on the hand. */
#define FIXED_REUSE_SCALE 1.1f

/* Handedness is a running mean of the model's score over at most this many
 * frames of a track, so a track's label does not flip on one bad frame. */
#define HANDEDNESS_WINDOW 30

/* A lost hand re-found within this many frames, with its new ROI
 * overlapping its last one by more than LOST_IOU, keeps its id and label
 * (tracks are forgotten after LOST_FRAMES). */
#define LOST_FRAMES 15
#define LOST_IOU 0.3f

#define MAX_TRACKS (2 * ENG_MAX_HANDS)
#define MAX_CANDIDATES (2 * ENG_MAX_HANDS)

typedef struct track {
    bool used;
    int id;
    eng_roi roi;    /* next frame's ROI, from the last landmarks */
    float left;     /* running mean of the model's P("Left") */
    int votes;
    int lost;       /* frames since last seen; 0 = tracked */
    bool busy;      /* a candidate of this frame runs on it */
} track;

/* A ROI the landmark model runs on this frame. */
typedef struct candidate {
    eng_roi roi;
    int track;      /* index into tracks, or -1 for a new palm */
    bool from_detector;
} candidate;

struct eng_hands {
    /* Set at create. */
    eng_model *detector, *landmarks;
    eng_ssd_desc ssd;
    int max_hands;
    float min_presence;
    eng_stride stride;
    bool static_images, mirrored;
    float *anchors;          /* 2 * n_anchors */
    eng_detection *scratch;  /* n_anchors */
    int *order;              /* n_anchors */

    /* Per frame. */
    eng_detection palms[ENG_MAX_HANDS];
    candidate cands[MAX_CANDIDATES];
    int n_cands;

    /* Tracking state, kept across frames. */
    track tracks[MAX_TRACKS];
    int next_id;
    int since_detect;        /* frames since the detector last ran */
};

/* Wraps an angle to [-pi, pi) (MediaPipe's NormalizeRadius). */
static float norm_angle(float a)
{
    const float two_pi = 2.0f * (float)M_PI;
    return a - two_pi * floorf((a + (float)M_PI) / two_pi);
}

/* Rotation that turns the direction (x0,y0) -> (x1,y1), in pixels, to
 * point up (target angle 90 degrees). */
static float up_rotation(float x0, float y0, float x1, float y1)
{
    return norm_angle((float)M_PI / 2 - atan2f(-(y1 - y0), x1 - x0));
}

/* RectTransformationCalculator: shift along the ROI's own rotated y axis,
 * square on the long side in pixels, then scale. */
static void transform_roi(eng_roi *r, int fw, int fh, float shift_y,
                          float scale)
{
    float c = cosf(r->rotation), s = sinf(r->rotation);
    float dy = r->h * fh * shift_y; /* pixels, along the ROI's y axis */
    r->cx += -dy * s / fw;
    r->cy += dy * c / fh;
    float side = fmaxf(r->w * fw, r->h * fh);
    r->w = side / fw * scale;
    r->h = side / fh * scale;
}

/* Axis-aligned IoU of two ROIs in normalised units, rotation ignored
 * (AssociationNormRect's rule). */
static float roi_iou(const eng_roi *a, const eng_roi *b)
{
    eng_detection da = {.xmin = a->cx - a->w / 2, .ymin = a->cy - a->h / 2,
                        .xmax = a->cx + a->w / 2, .ymax = a->cy + a->h / 2};
    eng_detection db = {.xmin = b->cx - b->w / 2, .ymin = b->cy - b->h / 2,
                        .xmax = b->cx + b->w / 2, .ymax = b->cy + b->h / 2};
    return eng_detection_iou(&da, &db);
}

static eng_status check_shape(const eng_tensor *t, size_t count,
                              const char *what, eng_error *err)
{
    if (!t || t->count != count)
        return eng_fail(err, ENG_EFORMAT, "%s: expected %zu values, got %zu",
                        what, count, t ? t->count : 0);
    return ENG_OK;
}

static eng_status check_models(const eng_hands *h, int n_anchors,
                               eng_error *err)
{
    const eng_model *d = h->detector, *l = h->landmarks;
    if (eng_model_num_inputs(d) != 1 || eng_model_num_outputs(d) != 2)
        return eng_fail(err, ENG_EFORMAT,
                        "palm detector: expected 1 input and 2 outputs");
    if (eng_model_num_inputs(l) != 1 || eng_model_num_outputs(l) != 4)
        return eng_fail(err, ENG_EFORMAT,
                        "hand landmarks: expected 1 input and 4 outputs");
    size_t na = (size_t)n_anchors;
    eng_status st;
    if ((st = check_shape(eng_model_input(d, 0), PALM_INPUT * PALM_INPUT * 3,
                          "palm detector input", err)) ||
        (st = check_shape(eng_model_output(d, 0), na * PALM_VALUES,
                          "palm detector boxes", err)) ||
        (st = check_shape(eng_model_output(d, 1), na,
                          "palm detector scores", err)) ||
        (st = check_shape(eng_model_input(l, 0), LM_INPUT * LM_INPUT * 3,
                          "hand landmark input", err)) ||
        (st = check_shape(eng_model_output(l, 0), LM_VALUES,
                          "hand landmarks", err)) ||
        (st = check_shape(eng_model_output(l, 1), 1, "hand presence", err)) ||
        (st = check_shape(eng_model_output(l, 2), 1, "handedness", err)) ||
        (st = check_shape(eng_model_output(l, 3), LM_VALUES,
                          "hand world landmarks", err)))
        return st;
    return ENG_OK;
}

static eng_status apply_desc(eng_hands *h, const eng_hands_desc *desc,
                             eng_error *err)
{
    h->max_hands = desc->max_hands ? desc->max_hands : 2;
    h->min_presence = desc->min_presence > 0 ? desc->min_presence : 0.5f;
    h->stride = desc->stride;
    h->static_images = desc->static_images;
    h->mirrored = desc->mirrored;
    if (h->max_hands < 1 || h->max_hands > ENG_MAX_HANDS)
        return eng_fail(err, ENG_EINVAL, "max_hands %d: must be 1..%d",
                        desc->max_hands, ENG_MAX_HANDS);
    /* A zeroed eng_stride reads as FIXED with stride 0: that is AUTO. */
    if (h->stride.mode == ENG_STRIDE_FIXED && h->stride.stride < 1)
        h->stride = (eng_stride){.mode = ENG_STRIDE_AUTO};
    if (h->stride.mode == ENG_STRIDE_AUTO && h->stride.max_stride < 0)
        return eng_fail(err, ENG_EINVAL, "max stride %d: must be >= 0",
                        h->stride.max_stride);
    h->ssd = (eng_ssd_desc){
        .input_size = PALM_INPUT,
        .num_layers = 4,
        .strides = {8, 16, 16, 16},
        .num_keypoints = PALM_KEYPOINTS,
        .min_score = desc->min_detection_score > 0 ? desc->min_detection_score
                                                   : 0.5f,
        .iou_threshold = 0.3f,
    };
    return ENG_OK;
}

eng_status eng_hands_create(eng_runtime *rt, const eng_hands_desc *desc,
                            eng_hands **out, eng_error *err)
{
    *out = NULL;
    if (!rt || !desc || !desc->detector_path || !desc->landmark_path)
        return eng_fail(err, ENG_EINVAL,
                        "hands: runtime and both model paths are required");
    eng_hands *h = calloc(1, sizeof(*h));
    if (!h)
        return eng_fail(err, ENG_ENOMEM, "out of memory for the hand task");
    eng_status st = apply_desc(h, desc, err);
    if (st)
        goto out_free;
    if ((st = eng_model_load(rt, desc->detector_path, &h->detector, err)) ||
        (st = eng_model_load(rt, desc->landmark_path, &h->landmarks, err)))
        goto out_free;
    int n = eng_ssd_anchor_count(&h->ssd);
    if ((st = check_models(h, n, err)))
        goto out_free;
    h->anchors = malloc(sizeof(float) * 2 * n);
    h->scratch = malloc(sizeof(eng_detection) * n);
    h->order = malloc(sizeof(int) * n);
    if (!h->anchors || !h->scratch || !h->order) {
        st = eng_fail(err, ENG_ENOMEM, "out of memory for palm anchors");
        goto out_free;
    }
    eng_ssd_anchors(&h->ssd, h->anchors);
    eng_hands_reset(h);
    *out = h;
    return ENG_OK;

out_free:
    eng_hands_destroy(h);
    return st;
}

void eng_hands_destroy(eng_hands *h)
{
    if (!h)
        return;
    eng_model_destroy(h->detector);
    eng_model_destroy(h->landmarks);
    free(h->anchors);
    free(h->scratch);
    free(h->order);
    free(h);
}

void eng_hands_reset(eng_hands *h)
{
    memset(h->tracks, 0, sizeof(h->tracks));
    h->next_id = 1;
    /* As if the detector last ran long ago: the next frame detects. */
    h->since_detect = 1 << 20;
}

static int n_tracked(const eng_hands *h)
{
    int n = 0;
    for (int i = 0; i < MAX_TRACKS; i++)
        n += h->tracks[i].used && h->tracks[i].lost == 0;
    return n;
}

/* AUTO is MediaPipe's rule (detect while fewer than max_hands are
 * tracked) plus the max_stride check. With nothing tracked, FIXED has no
 * ROI to reuse and detects too, as the pose task does. */
static bool should_detect(const eng_hands *h)
{
    int tracked = n_tracked(h);
    if (h->static_images || tracked == 0)
        return true;
    if (h->stride.mode == ENG_STRIDE_FIXED)
        return h->since_detect >= h->stride.stride - 1;
    int max = h->stride.max_stride;
    return tracked < h->max_hands || (max > 0 && h->since_detect >= max - 1);
}

/* PalmDetectionDetectionToRoi: the box, turned so wrist -> middle-finger
 * MCP points up, shifted towards the fingers and grown to the whole hand. */
static eng_roi palm_roi(const eng_detection *d, int fw, int fh)
{
    eng_roi r = {
        .cx = (d->xmin + d->xmax) / 2,
        .cy = (d->ymin + d->ymax) / 2,
        .w = d->xmax - d->xmin,
        .h = d->ymax - d->ymin,
    };
    r.rotation = up_rotation(
        d->kp[PALM_WRIST][0] * fw, d->kp[PALM_WRIST][1] * fh,
        d->kp[PALM_MIDDLE_MCP][0] * fw, d->kp[PALM_MIDDLE_MCP][1] * fh);
    transform_roi(&r, fw, fh, PALM_SHIFT_Y, PALM_SCALE);
    return r;
}

static void unletterbox(const eng_crop_map *map, eng_detection *d)
{
    eng_crop_unletterbox(map, &d->xmin, &d->ymin);
    eng_crop_unletterbox(map, &d->xmax, &d->ymax);
    for (int k = 0; k < PALM_KEYPOINTS; k++)
        eng_crop_unletterbox(map, &d->kp[k][0], &d->kp[k][1]);
}

/* Runs the palm detector on the whole frame; returns the palm count
 * (at most max_hands, best first) in h->palms. */
static int detect_palms(eng_hands *h, const eng_image *img, eng_status *st,
                        eng_error *err)
{
    static const eng_roi whole = {0.5f, 0.5f, 1.0f, 1.0f, 0.0f};
    static const eng_crop_desc crop = {
        .width = PALM_INPUT, .height = PALM_INPUT, .lo = 0.0f, .hi = 1.0f,
        .border = ENG_BORDER_ZERO, .keep_aspect = true,
    };
    eng_crop_map map;
    eng_crop(img, &whole, &crop, eng_model_input_data(h->detector, 0), &map);
    if ((*st = eng_model_run(h->detector, err)))
        return 0;
    int n = eng_ssd_detect(&h->ssd, h->anchors,
                           eng_model_output_data(h->detector, 0),
                           eng_model_output_data(h->detector, 1), h->scratch,
                           h->order, h->palms, h->max_hands);
    for (int i = 0; i < n; i++)
        unletterbox(&map, &h->palms[i]);
    return n;
}

/* AssociationNormRect: appending `c` removes every earlier candidate it
 * overlaps; `c` inherits the track of a removed one when it has none. */
static void merge_candidate(eng_hands *h, candidate c)
{
    int kept = 0;
    for (int i = 0; i < h->n_cands; i++) {
        candidate *e = &h->cands[i];
        if (roi_iou(&e->roi, &c.roi) > MERGE_IOU) {
            if (c.track < 0)
                c.track = e->track;
            continue;
        }
        h->cands[kept++] = *e;
    }
    h->cands[kept++] = c;
    h->n_cands = kept;
}

static void add_palms(eng_hands *h, int n_palms, int fw, int fh)
{
    for (int i = 0; i < n_palms; i++) {
        candidate c = {palm_roi(&h->palms[i], fw, fh), -1, true};
        merge_candidate(h, c);
    }
}

static void add_tracked(eng_hands *h, bool detected)
{
    bool grow = h->stride.mode == ENG_STRIDE_FIXED && !detected;
    for (int i = 0; i < MAX_TRACKS; i++) {
        const track *t = &h->tracks[i];
        if (!t->used || t->lost)
            continue;
        candidate c = {t->roi, i, false};
        if (grow) {
            c.roi.w *= FIXED_REUSE_SCALE;
            c.roi.h *= FIXED_REUSE_SCALE;
        }
        merge_candidate(h, c);
    }
}

/* More candidates than max_hands (new palms beside tracked hands): drop
 * new palms from the end first, then whatever is last. */
static void cap_candidates(eng_hands *h)
{
    for (int i = h->n_cands - 1; i >= 0 && h->n_cands > h->max_hands; i--) {
        if (h->cands[i].track >= 0)
            continue;
        memmove(&h->cands[i], &h->cands[i + 1],
                sizeof(candidate) * (h->n_cands - i - 1));
        h->n_cands--;
    }
    if (h->n_cands > h->max_hands)
        h->n_cands = h->max_hands;
}

/* Stable reorder: candidates of tracked hands run first, so when a new
 * palm finds a hand already tracked (a duplicate), the palm is dropped and
 * the track keeps its id. */
static void tracked_first(eng_hands *h)
{
    candidate sorted[MAX_CANDIDATES];
    int n = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < h->n_cands; i++)
            if ((h->cands[i].track >= 0) == (pass == 0))
                sorted[n++] = h->cands[i];
    memcpy(h->cands, sorted, sizeof(candidate) * n);
}

/* This frame's ROIs: MediaPipe's HandLandmarkTrackingGpu merge, new palms
 * first so tracked hands replace the palms they overlap. The FIXED stride
 * re-detects to correct drift, so there the palms come last and win. */
static void gather_candidates(eng_hands *h, bool detected, int n_palms,
                              int fw, int fh)
{
    h->n_cands = 0;
    if (h->stride.mode == ENG_STRIDE_FIXED && !h->static_images) {
        add_tracked(h, detected);
        add_palms(h, n_palms, fw, fh);
    } else {
        add_palms(h, n_palms, fw, fh);
        add_tracked(h, detected);
    }
    cap_candidates(h);
    tracked_first(h);
    for (int i = 0; i < MAX_TRACKS; i++)
        h->tracks[i].busy = false;
    for (int i = 0; i < h->n_cands; i++)
        if (h->cands[i].track >= 0)
            h->tracks[h->cands[i].track].busy = true;
}

/* HandLandmarksToRectCalculator on the 12 stable landmarks, then shift,
 * square and scale: next frame's ROI. */
static eng_roi landmarks_roi(const float kp[][3], int fw, int fh)
{
    static const int stable[] = {0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18};
    const int n = (int)(sizeof(stable) / sizeof(stable[0]));
    float px = ((kp[5][0] + kp[13][0]) / 2 + kp[9][0]) / 2;
    float py = ((kp[5][1] + kp[13][1]) / 2 + kp[9][1]) / 2;
    float rot = up_rotation(kp[0][0], kp[0][1], px, py);
    float xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    for (int i = 0; i < n; i++) {
        xmin = fminf(xmin, kp[stable[i]][0]);
        xmax = fmaxf(xmax, kp[stable[i]][0]);
        ymin = fminf(ymin, kp[stable[i]][1]);
        ymax = fmaxf(ymax, kp[stable[i]][1]);
    }
    float acx = (xmin + xmax) / 2, acy = (ymin + ymax) / 2;
    /* The bbox in the hand's own frame: rotate by -rot about the centre. */
    float c = cosf(rot), s = sinf(rot);
    float rxmin = INFINITY, rxmax = -INFINITY;
    float rymin = INFINITY, rymax = -INFINITY;
    for (int i = 0; i < n; i++) {
        float dx = kp[stable[i]][0] - acx, dy = kp[stable[i]][1] - acy;
        float rx = dx * c + dy * s, ry = -dx * s + dy * c;
        rxmin = fminf(rxmin, rx);
        rxmax = fmaxf(rxmax, rx);
        rymin = fminf(rymin, ry);
        rymax = fmaxf(rymax, ry);
    }
    float pcx = (rxmin + rxmax) / 2, pcy = (rymin + rymax) / 2;
    eng_roi r = {
        .cx = (pcx * c - pcy * s + acx) / fw,
        .cy = (pcx * s + pcy * c + acy) / fh,
        .w = (rxmax - rxmin) / fw,
        .h = (rymax - rymin) / fh,
        .rotation = rot,
    };
    transform_roi(&r, fw, fh, LM_SHIFT_Y, LM_SCALE);
    return r;
}

/* Model outputs -> frame pixels and rotated world points. */
static void read_landmarks(const eng_model *m, const eng_crop_map *map,
                           eng_hand *hand)
{
    const float *raw = eng_model_output_data(m, 0);
    const float *world = eng_model_output_data(m, 3);
    float zscale = map->roi_w / (1.0f - map->pad_l - map->pad_r) /
                   (LM_INPUT * LM_Z_SCALE);
    for (int i = 0; i < ENG_HAND_POINTS; i++) {
        eng_crop_to_frame(map, raw[3 * i] / LM_INPUT,
                          raw[3 * i + 1] / LM_INPUT, &hand->kp[i][0],
                          &hand->kp[i][1]);
        hand->kp[i][2] = raw[3 * i + 2] * zscale;
        const float *w = world + 3 * i;
        hand->world[i][0] = map->cos_r * w[0] - map->sin_r * w[1];
        hand->world[i][1] = map->sin_r * w[0] + map->cos_r * w[1];
        hand->world[i][2] = w[2];
    }
}

/* Runs the landmark model on one ROI. Returns 1 when a hand is present
 * (hand filled, *p_left = the model's P("Left")), 0 when not, -1 on a
 * kernel failure. */
static int run_landmarks(eng_hands *h, const eng_image *img,
                         const eng_roi *roi, eng_hand *hand, float *p_left,
                         eng_status *st, eng_error *err)
{
    static const eng_crop_desc crop = {
        .width = LM_INPUT, .height = LM_INPUT, .lo = 0.0f, .hi = 1.0f,
        .border = ENG_BORDER_REPLICATE, .keep_aspect = true,
    };
    eng_crop_map map;
    eng_crop(img, roi, &crop, eng_model_input_data(h->landmarks, 0), &map);
    if ((*st = eng_model_run(h->landmarks, err)))
        return -1;
    float presence = eng_model_output_data(h->landmarks, 1)[0];
    if (!(presence > h->min_presence))
        return 0;
    memset(hand, 0, sizeof(*hand));
    hand->score = presence;
    hand->roi = *roi;
    *p_left = eng_model_output_data(h->landmarks, 2)[0];
    read_landmarks(h->landmarks, &map, hand);
    return 1;
}

/* The slot for a new track: a free one, else the one lost longest (busy
 * tracks are at most max_hands of MAX_TRACKS, so there is always one). */
static int free_slot(const eng_hands *h)
{
    int slot = -1;
    for (int i = 0; i < MAX_TRACKS; i++) {
        const track *t = &h->tracks[i];
        if (!t->used)
            return i;
        if (!t->busy && (slot < 0 || t->lost > h->tracks[slot].lost))
            slot = i;
    }
    return slot;
}

/* A track for a hand found on a new palm: a lost track whose last ROI it
 * overlaps (the same hand, back after a short loss), else a new one. */
static int claim_track(eng_hands *h, const eng_roi *roi)
{
    int best = -1;
    float best_iou = LOST_IOU;
    for (int i = 0; i < MAX_TRACKS; i++) {
        const track *t = &h->tracks[i];
        float iou = t->used && !t->busy ? roi_iou(&t->roi, roi) : 0.0f;
        if (iou > best_iou) {
            best = i;
            best_iou = iou;
        }
    }
    if (best >= 0)
        return best;
    int slot = free_slot(h);
    h->tracks[slot] = (track){.used = true, .id = h->next_id++};
    return slot;
}

/* Updates the track's running handedness vote and labels the hand. The
 * model names hands as seen in a mirror; unmirrored frames swap. */
static void vote_handedness(const eng_hands *h, track *t, float p_left,
                            eng_hand *hand)
{
    int n = t->votes < HANDEDNESS_WINDOW ? t->votes + 1 : HANDEDNESS_WINDOW;
    t->left += (p_left - t->left) / n;
    t->votes++;
    bool model_left = t->left > 0.5f;
    hand->handedness_score = model_left ? t->left : 1.0f - t->left;
    hand->handedness = model_left == h->mirrored ? ENG_HAND_LEFT
                                                 : ENG_HAND_RIGHT;
}

/* Two hands whose next ROIs overlap by more than MERGE_IOU are one hand
 * found twice (a palm ROI that missed the track's, or two tracks that
 * converged); the earlier one stays. MediaPipe keeps both. */
static bool duplicate(const eng_hands *h, const eng_hands_result *res,
                      const eng_roi *next)
{
    for (int i = 0; i < res->n_hands; i++) {
        const track *t = NULL;
        for (int k = 0; k < MAX_TRACKS; k++)
            if (h->tracks[k].used && h->tracks[k].id == res->hands[i].id)
                t = &h->tracks[k];
        if (t && roi_iou(&t->roi, next) > MERGE_IOU)
            return true;
    }
    return false;
}

static void accept_hand(eng_hands *h, const candidate *c, const eng_image *img,
                        float p_left, eng_hand *hand, eng_hands_result *res)
{
    eng_roi next = landmarks_roi((const float(*)[3])hand->kp, img->width,
                                 img->height);
    if (duplicate(h, res, &next))
        return;
    int ti = c->track >= 0 ? c->track : claim_track(h, &next);
    track *t = &h->tracks[ti];
    t->roi = next;
    t->lost = 0;
    t->busy = true;
    hand->id = t->id;
    hand->from_detector = c->from_detector;
    vote_handedness(h, t, p_left, hand);
    res->n_hands++;
}

/* Ages every track before the landmarks run; the hands found then mark
 * their tracks seen again (lost = 0). */
static void age_tracks(eng_hands *h)
{
    for (int i = 0; i < MAX_TRACKS; i++) {
        track *t = &h->tracks[i];
        if (t->used && ++t->lost > LOST_FRAMES)
            t->used = false;
    }
}

static eng_status run_hands(eng_hands *h, const eng_image *img,
                            eng_hands_result *res, eng_error *err)
{
    double t0 = eng_now_ms();
    eng_status st = ENG_OK;
    for (int i = 0; i < h->n_cands; i++) {
        const candidate *c = &h->cands[i];
        eng_hand *hand = &res->hands[res->n_hands];
        float p_left;
        int r = run_landmarks(h, img, &c->roi, hand, &p_left, &st, err);
        if (r < 0)
            break;
        if (r > 0)
            accept_hand(h, c, img, p_left, hand, res);
    }
    res->ms_landmarks = eng_now_ms() - t0;
    return st;
}

static bool valid_image(const eng_image *img)
{
    return img && img->rgb && img->width > 0 && img->height > 0 &&
           img->stride >= 3 * img->width;
}

eng_status eng_hands_process(eng_hands *h, const eng_image *img, double t,
                             eng_hands_result *res, eng_error *err)
{
    (void)t; /* hands have no temporal filter */
    memset(res, 0, sizeof(*res));
    if (!h || !valid_image(img))
        return eng_fail(err, ENG_EINVAL, "hands: bad frame");
    if (h->static_images)
        eng_hands_reset(h);
    eng_status st = ENG_OK;
    int n_palms = 0;
    bool detect = should_detect(h);
    if (detect) {
        double t0 = eng_now_ms();
        n_palms = detect_palms(h, img, &st, err);
        res->ms_detector = eng_now_ms() - t0;
        res->detector_ran = true;
        if (st)
            return st;
        h->since_detect = 0;
    } else if (h->since_detect < INT_MAX) {
        h->since_detect++;
    }
    gather_candidates(h, detect, n_palms, img->width, img->height);
    age_tracks(h);
    return run_hands(h, img, res, err);
}
