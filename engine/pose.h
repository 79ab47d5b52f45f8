/*
 * pose: the body task. BlazePose detector -> rotated ROI per person ->
 * 33-point landmarks with visibility, presence, heatmap refinement and 3D
 * world points -> One-Euro smoothing -> next frame's ROI from the auxiliary
 * landmarks (docs: ../shared/docs/mediapipe-models.md sections 1, 2, 5).
 *
 * Several people are tracked top-down: one ROI per detected person, each
 * with a stable id (ROI overlap from frame to frame; a person lost and
 * re-detected within a short window keeps the id).
 *
 * The task owns its two models and every buffer; eng_pose_process() does
 * not allocate after the first frame. One thread at a time.
 */
#ifndef ENG_POSE_H
#define ENG_POSE_H

#include "image.h"
#include "results.h"
#include "runtime.h"
#include "status.h"

typedef struct eng_pose eng_pose;

typedef enum eng_model_size {
    ENG_MODEL_LITE,
    ENG_MODEL_FULL,
    ENG_MODEL_HEAVY,
} eng_model_size;

/* Zero means default for every field. */
typedef struct eng_pose_desc {
    const char *detector_path;   /* pose_detection.tflite (required) */
    const char *landmark_path;   /* pose_landmark_{lite,full,heavy} (required) */
    int max_people;              /* default 1 */
    float min_detection_score;   /* default 0.5 */
    float min_presence;          /* default 0.5 (tracking confidence) */
    eng_stride stride;           /* default: AUTO, max_stride 0 */
    bool static_images;          /* every frame independent: detect always */
    bool no_smoothing;           /* default smoothing on, MediaPipe's params */
    float smoothing_min_cutoff;  /* default 0.05 (the jitter-vs-lag knob) */
    float smoothing_beta;        /* default 80 */
    bool keep_segmentation;      /* keep the landmark model's segmentation
                                    output (dropped at load otherwise: it
                                    costs a fifth of the full model's
                                    time) for eng_pose_segmentation() */
} eng_pose_desc;

typedef struct eng_pose_result {
    int n_people;
    eng_person people[ENG_MAX_PEOPLE];
    bool detector_ran;
    double ms_detector;   /* 0 when it did not run */
    double ms_landmarks;  /* all people */
} eng_pose_result;

/* Loads both models (EIO/EFORMAT/EUNSUPPORTED from the importer) and
 * prepares the task. `rt` is borrowed and must outlive the task. */
eng_status eng_pose_create(eng_runtime *rt, const eng_pose_desc *desc,
                           eng_pose **out, eng_error *err);

/* Frees the task. Accepts NULL. */
void eng_pose_destroy(eng_pose *p);

/* Processes one frame taken at `t` seconds (increasing; it drives the
 * filters). Fills *res. EBACKEND only if a kernel fails. */
eng_status eng_pose_process(eng_pose *p, const eng_image *img, double t,
                            eng_pose_result *res, eng_error *err);

/* With desc.keep_segmentation, person i of the last eng_pose_process()
 * result: the landmark model's segmentation of that person's ROI (*size x
 * *size probabilities, row-major: the tensor the ROI was cropped into)
 * and the crop map of that ROI (*map), as an eng_matte_hint takes them.
 * Borrowed until the next process or destroy. NULL without the flag or
 * for i out of range. */
const float *eng_pose_segmentation(const eng_pose *p, int i,
                                   const eng_crop_map **map, int *size);

/* Forgets all tracks (a seek, a new image). */
void eng_pose_reset(eng_pose *p);

#endif
