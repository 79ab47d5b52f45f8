/*
 * results: what the vision tasks report for one frame. Plain data, no
 * pointers, so a result can be copied between threads and written out
 * as it is (results.jsonl, the overlays, the benchmark).
 *
 * Units: keypoints are frame pixels (x right, y down) with z on the scale
 * of x (MediaPipe's convention: z * frame width, negative = nearer the
 * camera); world points are metres with the origin at the hip centre
 * (body) or near the hand's centre (hands).
 */
#ifndef ENG_RESULTS_H
#define ENG_RESULTS_H

#include <stdbool.h>

#include "image.h"

#define ENG_POSE_POINTS 33
#define ENG_HAND_POINTS 21
#define ENG_MAX_PEOPLE 8
#define ENG_MAX_HANDS 8

typedef struct eng_person {
    int id;                               /* stable track id, from 1 */
    float score;                          /* pose presence (0..1) */
    float kp[ENG_POSE_POINTS][4];         /* x, y, z pixels; visibility */
    float presence[ENG_POSE_POINTS];      /* per-landmark presence */
    float world[ENG_POSE_POINTS][3];      /* metres */
    eng_roi roi;                          /* the ROI this frame ran on */
    bool from_detector;                   /* ROI came from the detector */
} eng_person;

typedef enum eng_handedness {
    ENG_HAND_LEFT,  /* the person's left hand */
    ENG_HAND_RIGHT,
} eng_handedness;

typedef struct eng_hand {
    int id;                               /* stable track id, from 1 */
    float score;                          /* hand presence (0..1) */
    eng_handedness handedness;
    float handedness_score;
    float kp[ENG_HAND_POINTS][3];         /* x, y, z pixels */
    float world[ENG_HAND_POINTS][3];      /* metres */
    eng_roi roi;
    bool from_detector;
} eng_hand;

/* How a task decides when to run its detector. */
typedef enum eng_stride_mode {
    ENG_STRIDE_AUTO,  /* MediaPipe's way (the zero default): only when a
                         track is lost, its presence drops, or fewer than
                         wanted are tracked; at least every `max_stride`
                         frames */
    ENG_STRIDE_FIXED, /* every `stride`-th frame; between, reuse the
                         previous ROI slightly expanded */
} eng_stride_mode;

typedef struct eng_stride {
    eng_stride_mode mode;
    int stride;      /* FIXED: >= 1 (1 = detect on every frame) */
    int max_stride;  /* AUTO: force a check after this many frames; 0 = never */
} eng_stride;

#endif
