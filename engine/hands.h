/*
 * hands: the hand task. Palm detector -> rotated ROI per hand -> 21
 * landmarks with 3D world points, handedness and presence -> next frame's
 * ROI from the landmarks (docs: ../shared/docs/mediapipe-models.md
 * sections 3, 4). Up to max_hands; each hand keeps a stable id, and its
 * left/right label is kept consistent over time.
 *
 * Handedness: the models assume a mirrored (selfie) image. `mirrored`
 * says whether the frames are; for an unmirrored camera or file (the
 * default) the labels are swapped so they name the person's real hand.
 *
 * The task owns its models and buffers; eng_hands_process() does not
 * allocate after the first frame. One thread at a time.
 */
#ifndef ENG_HANDS_H
#define ENG_HANDS_H

#include "image.h"
#include "results.h"
#include "runtime.h"
#include "status.h"

typedef struct eng_hands eng_hands;

/* Zero means default for every field. */
typedef struct eng_hands_desc {
    const char *detector_path;  /* palm_detection_{lite,full} (required) */
    const char *landmark_path;  /* hand_landmark_{lite,full} (required) */
    int max_hands;              /* default 2 */
    float min_detection_score;  /* default 0.5 */
    float min_presence;         /* default 0.5 */
    eng_stride stride;          /* default: AUTO, max_stride 0 */
    bool static_images;         /* every frame independent */
    bool mirrored;              /* frames are mirrored (selfie view) */
} eng_hands_desc;

typedef struct eng_hands_result {
    int n_hands;
    eng_hand hands[ENG_MAX_HANDS];
    bool detector_ran;
    double ms_detector;
    double ms_landmarks;
} eng_hands_result;

/* Loads both models and prepares the task; `rt` must outlive it. */
eng_status eng_hands_create(eng_runtime *rt, const eng_hands_desc *desc,
                            eng_hands **out, eng_error *err);

/* Frees the task. Accepts NULL. */
void eng_hands_destroy(eng_hands *h);

/* Processes one frame taken at `t` seconds; fills *res. */
eng_status eng_hands_process(eng_hands *h, const eng_image *img, double t,
                             eng_hands_result *res, eng_error *err);

/* Forgets all tracks. */
void eng_hands_reset(eng_hands *h);

#endif
