#include "pose.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "filter.h"
#include "model.h"
#include "tflite.h"

#define DET_SIZE 224
#define LM_SIZE 256
#define LM_ALL 39      /* landmarks the model emits: 33 body, 2 aux, 4 unused */
#define LM_AUX 33      /* first auxiliary landmark (ROI centre; 34 = scale) */
#define HM_SIZE 64     /* heatmap side */
#define HM_KERNEL 7
#define HM_MIN_CONF 0.5f
#define ROI_SCALE 1.25f
#define VIS_ALPHA 0.1f

/* FIXED stride, frames without the detector: the previous frame's landmark
 * ROI grown by this factor, a margin for the motion the detector does not
 * correct (InstantHMR's "slightly expanded previous box"). */
#define STRIDE_EXPAND 1.1f

/* A detection and a track are the same person above this ROI IoU; two
 * tracks converged on one person above DUP_IOU. */
#define MATCH_IOU 0.3f
#define DUP_IOU 0.5f

/* A lost track re-detected at an overlapping place within this window
 * keeps its id. */
#define REID_SECONDS 1.0
#define REID_FRAMES 30

/* Active tracks plus as many recently lost ones, remembered for re-id. */
#define MAX_TRACKS (2 * ENG_MAX_PEOPLE)
#define MAX_DETECTIONS (2 * ENG_MAX_PEOPLE)

typedef enum track_state { TRACK_FREE, TRACK_ACTIVE, TRACK_LOST } track_state;

typedef struct track {
    track_state state;
    int id;
    eng_roi roi;              /* ACTIVE: next frame's ROI; LOST: last ROI */
    bool roi_from_detector;   /* roi was set by this frame's detector */
    double lost_t;
    long lost_frame;
    eng_landmark_filter body, world, aux;
    float vis[ENG_POSE_POINTS];
    bool vis_started;
} track;

/* Model outputs, located by size at create time. */
typedef struct lm_outputs {
    int landmarks, flag, heatmap, world;
} lm_outputs;

struct eng_pose {
    /* set at create */
    eng_pose_desc desc;
    bool auto_stride;
    int max_people;
    eng_model *det, *lm;
    int det_boxes, det_scores;
    lm_outputs out;
    int seg_out;              /* the segmentation output, or -1 (dropped) */
    float *seg;               /* keep_segmentation: ENG_MAX_PEOPLE masks of
                                 LM_SIZE^2 probabilities, result order */
    eng_crop_map seg_map[ENG_MAX_PEOPLE];
    int seg_people;           /* masks of the last result */
    eng_ssd_desc ssd;
    float *anchors;
    eng_detection *scratch;
    int *order;
    /* tracking state, engine thread only */
    track tracks[MAX_TRACKS];
    int next_id;
    long frame, last_detect;
};

static float sigmoidf(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

/* Index of the output holding `count` floats, or -1. */
static int output_by_count(const eng_model *m, size_t count)
{
    for (int i = 0; i < eng_model_num_outputs(m); i++)
        if (eng_model_output(m, i)->count == count)
            return i;
    return -1;
}

static bool input_is(const eng_model *m, int size)
{
    return eng_model_num_inputs(m) == 1 &&
           eng_model_input(m, 0)->count == (size_t)size * size * 3;
}

static eng_status bind_detector(eng_pose *p, const char *path, eng_error *err)
{
    p->ssd = (eng_ssd_desc){
        .input_size = DET_SIZE,
        .num_layers = 5,
        .strides = {8, 16, 32, 32, 32},
        .num_keypoints = 4,
        .min_score = p->desc.min_detection_score,
        .iou_threshold = 0.3f,
    };
    int n = eng_ssd_anchor_count(&p->ssd);
    p->det_boxes = output_by_count(p->det, (size_t)n * 12);
    p->det_scores = output_by_count(p->det, (size_t)n);
    if (!input_is(p->det, DET_SIZE) || p->det_boxes < 0 || p->det_scores < 0)
        return eng_fail(err, ENG_EFORMAT,
                        "%s: not a pose detector (want a 224x224x3 input, "
                        "[%d,12] boxes and [%d] scores)", path, n, n);
    p->anchors = malloc(sizeof(float) * 2 * n);
    p->scratch = malloc(sizeof(eng_detection) * n);
    p->order = malloc(sizeof(int) * n);
    if (!p->anchors || !p->scratch || !p->order)
        return eng_fail(err, ENG_ENOMEM, "pose: out of memory");
    eng_ssd_anchors(&p->ssd, p->anchors);
    return ENG_OK;
}

static eng_status bind_landmarks(eng_pose *p, const char *path,
                                 eng_error *err)
{
    p->out.landmarks = output_by_count(p->lm, LM_ALL * 5);
    p->out.flag = output_by_count(p->lm, 1);
    p->out.heatmap = output_by_count(p->lm, HM_SIZE * HM_SIZE * LM_ALL);
    p->out.world = output_by_count(p->lm, LM_ALL * 3);
    if (!input_is(p->lm, LM_SIZE) || p->out.landmarks < 0 ||
        p->out.flag < 0 || p->out.heatmap < 0 || p->out.world < 0)
        return eng_fail(err, ENG_EFORMAT,
                        "%s: not a pose landmark model (want a 256x256x3 "
                        "input, 39x5 landmarks, a flag, a 64x64x39 heatmap "
                        "and 39x3 world points)", path);
    p->seg_out = -1;
    if (!p->desc.keep_segmentation)
        return ENG_OK;
    p->seg_out = output_by_count(p->lm, (size_t)LM_SIZE * LM_SIZE);
    if (p->seg_out < 0)
        return eng_fail(err, ENG_EFORMAT, "%s: no 256x256 segmentation "
                        "output", path);
    p->seg = malloc(sizeof(float) * ENG_MAX_PEOPLE * LM_SIZE * LM_SIZE);
    return p->seg ? ENG_OK : eng_fail(err, ENG_ENOMEM, "pose: out of memory");
}

/* Loads the landmark model without its segmentation mask output, which
 * the body task never reads: its decoder is a fifth of pose_landmark_full's
 * time and a third of pose_landmark_lite's (Zen 3, 1 and 2 threads).
 * Unless `keep_seg`: a matte wants it. */
static eng_status load_landmarks(eng_runtime *rt, const char *path,
                                 bool keep_seg, eng_model **out,
                                 eng_error *err)
{
    eng_graph *g = NULL;
    eng_status st = eng_tflite_import_file(path, &g, err);
    for (int i = 0; st == ENG_OK && !keep_seg && i < g->n_outputs; i++) {
        if (g->tensors[g->outputs[i]].count == (size_t)LM_SIZE * LM_SIZE) {
            st = eng_graph_drop_output(g, i, err);
            break;
        }
    }
    if (st) {
        eng_graph_destroy(g);
        return st;
    }
    return eng_model_create(rt, g, out, err);
}

/* Zero means default: fills the defaults of pose.h into p->desc. */
static void apply_defaults(eng_pose *p, const eng_pose_desc *d)
{
    p->desc = *d;
    eng_pose_desc *o = &p->desc;
    if (o->max_people <= 0)
        o->max_people = 1;
    if (o->max_people > ENG_MAX_PEOPLE)
        o->max_people = ENG_MAX_PEOPLE;
    if (o->min_detection_score <= 0.0f)
        o->min_detection_score = 0.5f;
    if (o->min_presence <= 0.0f)
        o->min_presence = 0.5f;
    if (o->smoothing_min_cutoff <= 0.0f)
        o->smoothing_min_cutoff = 0.05f;
    if (o->smoothing_beta <= 0.0f)
        o->smoothing_beta = 80.0f;
    /* A zeroed eng_stride reads as FIXED with stride 0: that is AUTO. */
    p->auto_stride = o->stride.mode == ENG_STRIDE_AUTO ||
                     o->stride.stride < 1;
    p->max_people = o->max_people;
}

eng_status eng_pose_create(eng_runtime *rt, const eng_pose_desc *desc,
                           eng_pose **out, eng_error *err)
{
    *out = NULL;
    if (!rt || !desc || !desc->detector_path || !desc->landmark_path)
        return eng_fail(err, ENG_EINVAL,
                        "pose: a runtime and both model paths are required");
    eng_pose *p = calloc(1, sizeof(*p));
    if (!p)
        return eng_fail(err, ENG_ENOMEM, "pose: out of memory");
    apply_defaults(p, desc);
    eng_status st = eng_model_load(rt, desc->detector_path, &p->det, err);
    if (st == ENG_OK)
        st = load_landmarks(rt, desc->landmark_path, desc->keep_segmentation,
                            &p->lm, err);
    if (st == ENG_OK)
        st = bind_detector(p, desc->detector_path, err);
    if (st == ENG_OK)
        st = bind_landmarks(p, desc->landmark_path, err);
    if (st != ENG_OK) {
        eng_pose_destroy(p);
        return st;
    }
    eng_pose_reset(p);
    *out = p;
    return ENG_OK;
}

void eng_pose_destroy(eng_pose *p)
{
    if (!p)
        return;
    eng_model_destroy(p->det);
    eng_model_destroy(p->lm);
    free(p->anchors);
    free(p->scratch);
    free(p->order);
    free(p->seg);
    free(p);
}

const float *eng_pose_segmentation(const eng_pose *p, int i,
                                   const eng_crop_map **map, int *size)
{
    if (!p->seg || i < 0 || i >= p->seg_people)
        return NULL;
    *map = &p->seg_map[i];
    *size = LM_SIZE;
    return p->seg + (size_t)i * LM_SIZE * LM_SIZE;
}

void eng_pose_reset(eng_pose *p)
{
    p->seg_people = 0;
    for (int i = 0; i < MAX_TRACKS; i++)
        p->tracks[i].state = TRACK_FREE;
    p->next_id = 1;
    p->frame = 0;
    p->last_detect = 0;
}

/* ---- ROIs ---- */

/* MediaPipe's AlignmentPointsRects + RectTransformation: a square of side
 * 2|b - a| pixels centred on a, turned so a->b points up, scaled by 1.25.
 * Points in frame pixels. */
static eng_roi roi_from_points(float ax, float ay, float bx, float by,
                               int width, int height)
{
    float size = 2.0f * hypotf(bx - ax, by - ay) * ROI_SCALE;
    float r = (float)M_PI / 2 - atan2f(-(by - ay), bx - ax);
    /* Wrap to [-pi, pi). */
    r = r - 2 * (float)M_PI * floorf((r + (float)M_PI) / (2 * (float)M_PI));
    return (eng_roi){ax / width, ay / height, size / width, size / height, r};
}

/* IoU of the axis-aligned bounds of two rotated ROIs, in pixels. */
static float roi_iou(const eng_roi *a, const eng_roi *b, int w, int h)
{
    eng_detection box[2];
    const eng_roi *r[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        float c = fabsf(cosf(r[i]->rotation)), s = fabsf(sinf(r[i]->rotation));
        float rw = r[i]->w * w, rh = r[i]->h * h;
        float ex = (c * rw + s * rh) / 2, ey = (s * rw + c * rh) / 2;
        float cx = r[i]->cx * w, cy = r[i]->cy * h;
        box[i] = (eng_detection){.xmin = cx - ex, .ymin = cy - ey,
                                 .xmax = cx + ex, .ymax = cy + ey};
    }
    return eng_detection_iou(&box[0], &box[1]);
}

/* ---- tracks ---- */

static int count_active(const eng_pose *p)
{
    int n = 0;
    for (int i = 0; i < MAX_TRACKS; i++)
        n += p->tracks[i].state == TRACK_ACTIVE;
    return n;
}

static void track_lose(eng_pose *p, track *tr, double t)
{
    tr->state = TRACK_LOST;
    tr->lost_t = t;
    tr->lost_frame = p->frame;
}

/* Forgets lost tracks older than the re-id window. */
static void expire_lost(eng_pose *p, double t)
{
    for (int i = 0; i < MAX_TRACKS; i++) {
        track *tr = &p->tracks[i];
        if (tr->state == TRACK_LOST &&
            (t - tr->lost_t > REID_SECONDS ||
             p->frame - tr->lost_frame > REID_FRAMES))
            tr->state = TRACK_FREE;
    }
}

/* Starts filters afresh: the first sample of a track passes through. */
static void track_start(eng_pose *p, track *tr, const eng_roi *roi)
{
    eng_one_euro_params body = {p->desc.smoothing_min_cutoff,
                                 p->desc.smoothing_beta, 1.0f};
    eng_one_euro_params world = {0.1f, 40.0f, 1.0f};
    eng_one_euro_params aux = {0.01f, 10.0f, 1.0f};
    eng_landmark_filter_init(&tr->body, ENG_POSE_POINTS, &body);
    eng_landmark_filter_init(&tr->world, ENG_POSE_POINTS, &world);
    eng_landmark_filter_init(&tr->aux, 2, &aux);
    tr->vis_started = false;
    tr->state = TRACK_ACTIVE;
    tr->roi = *roi;
    tr->roi_from_detector = true;
}

/* A slot for a new person: a lost track seen at an overlapping place
 * within the window (it keeps its id), else a free slot or the oldest lost
 * one with a new id. */
static track *track_for_new_person(eng_pose *p, const eng_roi *roi, int w,
                                   int h)
{
    track *best = NULL, *spare = NULL;
    float best_iou = MATCH_IOU;
    for (int i = 0; i < MAX_TRACKS; i++) {
        track *tr = &p->tracks[i];
        if (tr->state == TRACK_FREE && (!spare || spare->state != TRACK_FREE))
            spare = tr;
        if (tr->state != TRACK_LOST)
            continue;
        float iou = roi_iou(&tr->roi, roi, w, h);
        if (iou > best_iou) {
            best_iou = iou;
            best = tr;
        }
        if (!spare || (spare->state == TRACK_LOST &&
                       tr->lost_t < spare->lost_t))
            spare = tr; /* no free slot yet: evict the oldest lost */
    }
    if (best)
        return best;
    if (spare)
        spare->id = p->next_id++;
    return spare;
}

/* The active track overlapping roi most (above MATCH_IOU), not yet taken
 * by another detection this frame, or NULL. */
static track *match_active(eng_pose *p, const eng_roi *roi, int w, int h,
                           const bool *taken)
{
    track *best = NULL;
    float best_iou = MATCH_IOU;
    for (int i = 0; i < MAX_TRACKS; i++) {
        track *tr = &p->tracks[i];
        if (tr->state != TRACK_ACTIVE || taken[i])
            continue;
        float iou = roi_iou(&tr->roi, roi, w, h);
        if (iou > best_iou) {
            best_iou = iou;
            best = tr;
        }
    }
    return best;
}

/* Detections, best first, become tracks. A detection of someone already
 * tracked is suppressed (AUTO: the landmark ROI is the better one) or
 * re-anchors that track (FIXED stride, or a forced check); active tracks
 * no detection re-anchored are lost in the latter case. New people fill
 * the free places up to max_people. */
static void assign_detections(eng_pose *p, const eng_roi *rois, int n,
                              bool reanchor, int w, int h, double t)
{
    bool taken[MAX_TRACKS] = {false};
    for (int i = 0; i < MAX_TRACKS; i++)
        p->tracks[i].roi_from_detector = false;
    for (int d = 0; d < n; d++) {
        track *tr = match_active(p, &rois[d], w, h, taken);
        if (tr) {
            taken[tr - p->tracks] = true;
            if (reanchor) {
                tr->roi = rois[d];
                tr->roi_from_detector = true;
            }
            continue;
        }
        if (count_active(p) >= p->max_people)
            continue;
        tr = track_for_new_person(p, &rois[d], w, h);
        if (!tr)
            continue;
        track_start(p, tr, &rois[d]);
        taken[tr - p->tracks] = true;
    }
    if (!reanchor)
        return;
    for (int i = 0; i < MAX_TRACKS; i++)
        if (p->tracks[i].state == TRACK_ACTIVE && !taken[i])
            track_lose(p, &p->tracks[i], t);
}

/* ---- detector ---- */

/* Runs the detector on the whole frame and writes one ROI per person, best
 * first. Returns the count, or -1 when a kernel failed. */
static int detect_people(eng_pose *p, const eng_image *img, eng_roi *rois,
                         eng_error *err)
{
    static const eng_roi whole = {0.5f, 0.5f, 1.0f, 1.0f, 0.0f};
    const eng_crop_desc crop = {DET_SIZE, DET_SIZE, -1.0f, 1.0f,
                                ENG_BORDER_ZERO, true};
    eng_crop_map map;
    eng_crop(img, &whole, &crop, eng_model_input_data(p->det, 0), &map);
    if (eng_model_run(p->det, err) != ENG_OK)
        return -1;
    eng_detection dets[MAX_DETECTIONS];
    int n = eng_ssd_detect(&p->ssd, p->anchors,
                           eng_model_output_data(p->det, p->det_boxes),
                           eng_model_output_data(p->det, p->det_scores),
                           p->scratch, p->order, dets, MAX_DETECTIONS);
    for (int i = 0; i < n; i++) {
        /* kp0 = hip centre, kp1 = full-body scale and rotation point; the
         * whole frame is the crop's ROI, so un-letterboxed = normalised. */
        float u0 = dets[i].kp[0][0], v0 = dets[i].kp[0][1];
        float u1 = dets[i].kp[1][0], v1 = dets[i].kp[1][1];
        eng_crop_unletterbox(&map, &u0, &v0);
        eng_crop_unletterbox(&map, &u1, &v1);
        rois[i] = roi_from_points(u0 * img->width, v0 * img->height,
                                  u1 * img->width, v1 * img->height,
                                  img->width, img->height);
    }
    return n;
}

/* ---- landmarks ---- */

/* MediaPipe's RefineLandmarksFromHeatMap, quirks included: the centre cell
 * is truncated toward zero (a point just left of or above the ROI still
 * counts), only the column is checked against the map's height, and the
 * mean uses cell indices, not centres (the -1/2-cell bias). lm is 39 x
 * (x, y) in ROI-normalised units, refined in place. */
static void refine_from_heatmap(const float *hm, float (*lm)[2])
{
    const int off = (HM_KERNEL - 1) / 2;
    for (int k = 0; k < LM_ALL; k++) {
        int col = (int)(lm[k][0] * HM_SIZE), row = (int)(lm[k][1] * HM_SIZE);
        if (col < 0 || col >= HM_SIZE || row < 0)
            continue;
        int c0 = col - off > 0 ? col - off : 0;
        int c1 = col + off + 1 < HM_SIZE ? col + off + 1 : HM_SIZE;
        int r0 = row - off > 0 ? row - off : 0;
        int r1 = row + off + 1 < HM_SIZE ? row + off + 1 : HM_SIZE;
        float sum = 0.0f, wc = 0.0f, wr = 0.0f, peak = 0.0f;
        for (int r = r0; r < r1; r++)
            for (int c = c0; c < c1; c++) {
                float conf = sigmoidf(hm[(r * HM_SIZE + c) * LM_ALL + k]);
                sum += conf;
                peak = fmaxf(peak, conf);
                wc += c * conf;
                wr += r * conf;
            }
        if (peak >= HM_MIN_CONF && sum > 0.0f) {
            lm[k][0] = wc / HM_SIZE / sum;
            lm[k][1] = wr / HM_SIZE / sum;
        }
    }
}

/* Decodes the landmark model's outputs into *out (frame pixels, metres)
 * and the two aux points (pixels, x y z). */
static void decode_landmarks(const eng_pose *p, const eng_crop_map *map,
                             eng_person *out, float aux[2][3])
{
    const float *raw = eng_model_output_data(p->lm, p->out.landmarks);
    const float *world = eng_model_output_data(p->lm, p->out.world);
    float xy[LM_ALL][2];
    for (int k = 0; k < LM_ALL; k++) {
        xy[k][0] = raw[5 * k] / LM_SIZE;
        xy[k][1] = raw[5 * k + 1] / LM_SIZE;
    }
    refine_from_heatmap(eng_model_output_data(p->lm, p->out.heatmap), xy);
    for (int k = 0; k < LM_AUX + 2; k++) {
        float x, y, z = raw[5 * k + 2] / LM_SIZE * map->roi_w;
        eng_crop_to_frame(map, xy[k][0], xy[k][1], &x, &y);
        float *dst = k < LM_AUX ? out->kp[k] : aux[k - LM_AUX];
        dst[0] = x;
        dst[1] = y;
        dst[2] = z;
    }
    for (int k = 0; k < ENG_POSE_POINTS; k++) {
        const float *r = raw + 5 * k, *w = world + 3 * k;
        out->kp[k][3] = sigmoidf(r[3]);
        out->presence[k] = sigmoidf(r[4]);
        /* World points turn with the ROI, in x and y only. */
        out->world[k][0] = map->cos_r * w[0] - map->sin_r * w[1];
        out->world[k][1] = map->sin_r * w[0] + map->cos_r * w[1];
        out->world[k][2] = w[2];
    }
}

/* One-Euro smoothing in pixels (body) and metres (world), visibility
 * low-pass; value_scale is 1 / object size in pixels. */
static void smooth_person(track *tr, eng_person *o, double t,
                          float value_scale)
{
    float pts[ENG_POSE_POINTS][3], vis[ENG_POSE_POINTS];
    for (int k = 0; k < ENG_POSE_POINTS; k++) {
        memcpy(pts[k], o->kp[k], sizeof(pts[k]));
        vis[k] = o->kp[k][3];
    }
    eng_low_pass(tr->vis, vis, ENG_POSE_POINTS, VIS_ALPHA, &tr->vis_started);
    eng_landmark_filter_apply(&tr->body, &pts[0][0], t, value_scale);
    eng_landmark_filter_apply(&tr->world, &o->world[0][0], t, 1.0f);
    for (int k = 0; k < ENG_POSE_POINTS; k++) {
        memcpy(o->kp[k], pts[k], sizeof(pts[k]));
        o->kp[k][3] = tr->vis[k];
    }
}

/* Runs the landmark model on roi for one track. Returns 1 with *o filled
 * and the track's next ROI set, 0 when the person is gone (presence flag at
 * or below the threshold), -1 when a kernel failed. */
static int track_landmarks(eng_pose *p, track *tr, const eng_image *img,
                           const eng_roi *roi, double t, int slot,
                           eng_person *o, eng_error *err)
{
    const eng_crop_desc crop = {LM_SIZE, LM_SIZE, 0.0f, 1.0f,
                                ENG_BORDER_REPLICATE, true};
    eng_crop_map map;
    eng_crop(img, roi, &crop, eng_model_input_data(p->lm, 0), &map);
    if (eng_model_run(p->lm, err) != ENG_OK)
        return -1;
    float flag = eng_model_output_data(p->lm, p->out.flag)[0];
    if (!(flag > p->desc.min_presence))
        return 0;
    if (p->seg) {
        /* MediaPipe's pose graph: a sigmoid over the mask's logits */
        const float *logit = eng_model_output_data(p->lm, p->seg_out);
        float *prob = p->seg + (size_t)slot * LM_SIZE * LM_SIZE;
        for (int k = 0; k < LM_SIZE * LM_SIZE; k++)
            prob[k] = sigmoidf(logit[k]);
        p->seg_map[slot] = map;
    }
    memset(o, 0, sizeof(*o));
    o->id = tr->id;
    o->score = flag;
    o->roi = *roi;
    o->from_detector = tr->roi_from_detector;
    float aux[2][3];
    decode_landmarks(p, &map, o, aux);
    if (p->desc.static_images)
        return 1;
    /* Object size from the raw aux points, without the 1.25 (MediaPipe's
     * object_scale); the aux filter always runs: it steers the ROI. */
    float size = 2.0f * hypotf(aux[1][0] - aux[0][0], aux[1][1] - aux[0][1]);
    float value_scale = size > 1e-6f ? 1.0f / size : 0.0f;
    if (!p->desc.no_smoothing)
        smooth_person(tr, o, t, value_scale);
    eng_landmark_filter_apply(&tr->aux, &aux[0][0], t, value_scale);
    tr->roi = roi_from_points(aux[0][0], aux[0][1], aux[1][0], aux[1][1],
                              img->width, img->height);
    return 1;
}

/* ---- the frame ---- */

static bool want_detector(const eng_pose *p, bool *forced)
{
    int active = count_active(p);
    long since = p->frame - p->last_detect;
    *forced = false;
    if (p->desc.static_images || active == 0)
        return true;
    if (!p->auto_stride)
        return since >= p->desc.stride.stride;
    if (p->desc.stride.max_stride > 0 && since >= p->desc.stride.max_stride) {
        *forced = true;
        return true;
    }
    return active < p->max_people;
}

/* Drops the younger of two tracks that converged on one person. */
static void drop_duplicates(eng_pose *p, eng_person *people, bool *keep,
                            int n, int w, int h)
{
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n && keep[i]; j++) {
            if (!keep[j] ||
                roi_iou(&people[i].roi, &people[j].roi, w, h) <= DUP_IOU)
                continue;
            int young = people[i].id > people[j].id ? i : j;
            keep[young] = false;
            for (int k = 0; k < MAX_TRACKS; k++)
                if (p->tracks[k].state == TRACK_ACTIVE &&
                    p->tracks[k].id == people[young].id)
                    p->tracks[k].state = TRACK_FREE;
        }
}

static eng_status run_detector(eng_pose *p, const eng_image *img, double t,
                               bool forced, eng_pose_result *res,
                               eng_error *err)
{
    eng_roi rois[MAX_DETECTIONS];
    double t0 = eng_now_ms();
    int n = detect_people(p, img, rois, err);
    if (n < 0)
        return ENG_EBACKEND;
    bool reanchor = !p->auto_stride || forced;
    assign_detections(p, rois, n, reanchor, img->width, img->height, t);
    res->detector_ran = true;
    res->ms_detector = eng_now_ms() - t0;
    p->last_detect = p->frame;
    return ENG_OK;
}

/* Landmarks for every active track, in slot order; fills res->people. */
static eng_status run_landmarks(eng_pose *p, const eng_image *img, double t,
                                eng_pose_result *res, eng_error *err)
{
    bool grow = !p->auto_stride && !res->detector_ran;
    bool keep[MAX_TRACKS];
    double t0 = eng_now_ms();
    int n = 0;
    for (int i = 0; i < MAX_TRACKS && n < ENG_MAX_PEOPLE; i++) {
        track *tr = &p->tracks[i];
        if (tr->state != TRACK_ACTIVE)
            continue;
        eng_roi roi = tr->roi;
        if (grow && !tr->roi_from_detector) {
            roi.w *= STRIDE_EXPAND;
            roi.h *= STRIDE_EXPAND;
        }
        int got = track_landmarks(p, tr, img, &roi, t, n, &res->people[n],
                                  err);
        if (got < 0)
            return ENG_EBACKEND;
        if (got == 0) {
            track_lose(p, tr, t);
            continue;
        }
        tr->roi_from_detector = false;
        keep[n++] = true;
    }
    drop_duplicates(p, res->people, keep, n, img->width, img->height);
    res->n_people = 0;
    for (int i = 0; i < n; i++) {
        if (!keep[i])
            continue;
        if (p->seg && res->n_people != i) {
            const size_t mask = (size_t)LM_SIZE * LM_SIZE;
            memcpy(p->seg + res->n_people * mask, p->seg + i * mask,
                   mask * sizeof(float));
            p->seg_map[res->n_people] = p->seg_map[i];
        }
        res->people[res->n_people++] = res->people[i];
    }
    p->seg_people = res->n_people;
    res->ms_landmarks = eng_now_ms() - t0;
    return ENG_OK;
}

eng_status eng_pose_process(eng_pose *p, const eng_image *img, double t,
                            eng_pose_result *res, eng_error *err)
{
    memset(res, 0, sizeof(*res));
    if (p)
        p->seg_people = 0;
    if (!p || !img || !img->rgb || img->width < 1 || img->height < 1 ||
        img->stride < 3 * img->width)
        return eng_fail(err, ENG_EINVAL, "pose: bad frame");
    if (p->desc.static_images)
        eng_pose_reset(p);
    expire_lost(p, t);
    bool forced;
    eng_status st = ENG_OK;
    if (want_detector(p, &forced))
        st = run_detector(p, img, t, forced, res, err);
    if (st == ENG_OK)
        st = run_landmarks(p, img, t, res, err);
    p->frame++;
    return st;
}
