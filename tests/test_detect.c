/*
 * test_detect: SSD anchors (pose and palm layouts), decoding of a
 * synthetic raw tensor, and weighted NMS against a hand-computed case.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"
#include "testlib.h"

static int near(float a, float b, float tol)
{
    return fabsf(a - b) <= tol;
}

static void check_anchor(const float *xy, int i, float x, float y)
{
    CHECK(near(xy[2 * i], x, 1e-6f) && near(xy[2 * i + 1], y, 1e-6f),
          "anchor %d = (%g, %g), want (%g, %g)", i, xy[2 * i],
          xy[2 * i + 1], x, y);
}

static void test_pose_anchors(void)
{
    eng_ssd_desc d = {.input_size = 224, .num_layers = 5,
                      .strides = {8, 16, 32, 32, 32}, .num_keypoints = 4};
    int n = eng_ssd_anchor_count(&d);
    CHECK(n == 2254, "pose anchors %d, want 2254", n);
    float *xy = malloc(sizeof(float) * 2 * 2254);
    eng_ssd_anchors(&d, xy);
    /* 28x28 grid, 2 per cell, row-major y then x then anchor. */
    check_anchor(xy, 0, 0.5f / 28, 0.5f / 28);
    check_anchor(xy, 1, 0.5f / 28, 0.5f / 28);
    check_anchor(xy, 2, 1.5f / 28, 0.5f / 28);
    check_anchor(xy, 2 * 28, 0.5f / 28, 1.5f / 28);
    /* 14x14 from 1568, then the merged stride-32 7x7 grid with 6 per cell
     * from 1960. */
    check_anchor(xy, 1568, 0.5f / 14, 0.5f / 14);
    check_anchor(xy, 1567, 27.5f / 28, 27.5f / 28);
    check_anchor(xy, 1960, 0.5f / 7, 0.5f / 7);
    check_anchor(xy, 1965, 0.5f / 7, 0.5f / 7);
    check_anchor(xy, 1966, 1.5f / 7, 0.5f / 7);
    check_anchor(xy, 2253, 6.5f / 7, 6.5f / 7);
    free(xy);
}

static void test_palm_anchors(void)
{
    eng_ssd_desc d = {.input_size = 192, .num_layers = 4,
                      .strides = {8, 16, 16, 16}, .num_keypoints = 7};
    int n = eng_ssd_anchor_count(&d);
    CHECK(n == 2016, "palm anchors %d, want 2016", n);
    float *xy = malloc(sizeof(float) * 2 * 2016);
    eng_ssd_anchors(&d, xy);
    check_anchor(xy, 1151, 23.5f / 24, 23.5f / 24);
    check_anchor(xy, 1152, 0.5f / 12, 0.5f / 12);
    check_anchor(xy, 1157, 0.5f / 12, 0.5f / 12);
    check_anchor(xy, 1158, 1.5f / 12, 0.5f / 12);
    check_anchor(xy, 2015, 11.5f / 12, 11.5f / 12);
    free(xy);

    eng_ssd_desc bad = d;
    bad.num_layers = 0;
    CHECK(eng_ssd_anchor_count(&bad) == -1, "no layers accepted");
    bad = d;
    bad.strides[2] = 0;
    CHECK(eng_ssd_anchor_count(&bad) == -1, "stride 0 accepted");
    bad = d;
    bad.num_keypoints = ENG_DETECT_MAX_KEYPOINTS + 1;
    CHECK(eng_ssd_anchor_count(&bad) == -1, "too many keypoints accepted");
}

/* One layer of stride 100 on a 100-px input: a 1x1 grid; two equal
 * strides give 4 anchors, all at the centre (0.5, 0.5). Raw values are in
 * input pixels relative to that centre. */
static const eng_ssd_desc tiny = {.input_size = 100, .num_layers = 2,
                                  .strides = {100, 100}, .num_keypoints = 1,
                                  .min_score = 0.5f, .iou_threshold = 0.3f};

static void set_raw(float *boxes, int i, float cx, float cy, float w,
                    float h, float kx, float ky)
{
    float *r = boxes + 6 * i;
    r[0] = (cx - 0.5f) * 100;
    r[1] = (cy - 0.5f) * 100;
    r[2] = w * 100;
    r[3] = h * 100;
    r[4] = (kx - 0.5f) * 100;
    r[5] = (ky - 0.5f) * 100;
}

static void check_det(const eng_detection *d, float score, float x0,
                      float y0, float x1, float y1, float kx, float ky)
{
    const float t = 1e-5f;
    CHECK(near(d->score, score, t), "score %g, want %g", d->score, score);
    CHECK(near(d->xmin, x0, t) && near(d->ymin, y0, t) &&
          near(d->xmax, x1, t) && near(d->ymax, y1, t),
          "box (%g %g %g %g), want (%g %g %g %g)", d->xmin, d->ymin,
          d->xmax, d->ymax, x0, y0, x1, y1);
    CHECK(near(d->kp[0][0], kx, t) && near(d->kp[0][1], ky, t),
          "keypoint (%g %g), want (%g %g)", d->kp[0][0], d->kp[0][1], kx,
          ky);
}

static void test_decode_and_nms(void)
{
    CHECK(eng_ssd_anchor_count(&tiny) == 4, "tiny layout");
    float anchors[8], boxes[24], scores[4];
    eng_ssd_anchors(&tiny, anchors);
    /* A (0.9) and B (0.6) overlap with IoU 0.036 / 0.044 = 0.818; C (0.7)
     * stands alone; D scores 0.269 (logit -1) and is dropped before NMS
     * although it overlaps A. */
    set_raw(boxes, 0, 0.22f, 0.2f, 0.2f, 0.2f, 0.24f, 0.25f); /* B */
    set_raw(boxes, 1, 0.7f, 0.7f, 0.1f, 0.1f, 0.7f, 0.7f);    /* C */
    set_raw(boxes, 2, 0.2f, 0.2f, 0.2f, 0.2f, 0.2f, 0.25f);   /* A */
    set_raw(boxes, 3, 0.2f, 0.2f, 0.4f, 0.4f, 0.2f, 0.2f);    /* D */
    scores[0] = logf(0.6f / 0.4f);
    scores[1] = logf(0.7f / 0.3f);
    scores[2] = logf(0.9f / 0.1f);
    scores[3] = -1.0f;

    eng_detection a = {.xmin = 0.1f, .ymin = 0.1f, .xmax = 0.3f, .ymax = 0.3f};
    eng_detection b = {.xmin = 0.12f, .ymin = 0.1f, .xmax = 0.32f,
                       .ymax = 0.3f};
    CHECK(near(eng_detection_iou(&a, &b), 0.036f / 0.044f, 1e-5f),
          "IoU %g", eng_detection_iou(&a, &b));
    eng_detection far = {.xmin = 0.5f, .ymin = 0.5f, .xmax = 0.6f,
                         .ymax = 0.6f};
    CHECK(eng_detection_iou(&a, &far) == 0.0f, "disjoint IoU");

    eng_detection scratch[4], out[4];
    int order[4];
    int n = eng_ssd_detect(&tiny, anchors, boxes, scores, scratch, order, out,
                           4);
    CHECK(n == 2, "%d detections, want 2", n);
    /* Weighted mean of A and B with weights 0.9 and 0.6; A's score. */
    check_det(&out[0], 0.9f, (0.1f * 0.9f + 0.12f * 0.6f) / 1.5f, 0.1f,
              (0.3f * 0.9f + 0.32f * 0.6f) / 1.5f, 0.3f,
              (0.2f * 0.9f + 0.24f * 0.6f) / 1.5f, 0.25f);
    check_det(&out[1], 0.7f, 0.65f, 0.65f, 0.75f, 0.75f, 0.7f, 0.7f);

    n = eng_ssd_detect(&tiny, anchors, boxes, scores, scratch, order, out, 1);
    CHECK(n == 1 && near(out[0].score, 0.9f, 1e-6f), "cap 1: %d", n);

    /* The threshold is inclusive (logit 0 = 0.5); a negative width or a
     * NaN height drops the box. */
    scores[0] = 0.0f;
    scores[1] = scores[2] = scores[3] = -200.0f;
    n = eng_ssd_detect(&tiny, anchors, boxes, scores, scratch, order, out, 4);
    CHECK(n == 1 && near(out[0].score, 0.5f, 1e-6f), "score 0.5 kept: %d", n);
    boxes[2] = -1.0f;
    n = eng_ssd_detect(&tiny, anchors, boxes, scores, scratch, order, out, 4);
    CHECK(n == 0, "negative width kept");
    boxes[2] = 20.0f;
    boxes[3] = NAN;
    n = eng_ssd_detect(&tiny, anchors, boxes, scores, scratch, order, out, 4);
    CHECK(n == 0, "NaN height kept");
}

int main(void)
{
    test_pose_anchors();
    test_palm_anchors();
    test_decode_and_nms();
    return test_finish();
}
