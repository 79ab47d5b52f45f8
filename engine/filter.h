/*
 * filter: MediaPipe's landmark smoothing — the One-Euro filter
 * (OneEuroFilter in landmarks_smoothing_calculator) and the visibility
 * low-pass — for a fixed number of 3-D points.
 *
 * A filter set holds per-point state for x, y and z. Values are filtered in
 * the caller's units (pixels for image landmarks, metres for world
 * landmarks); `value_scale` (1/object size) makes the speed term
 * scale-invariant. The first sample passes through; reset on any frame
 * without landmarks. No allocation after creation.
 */
#ifndef ENG_FILTER_H
#define ENG_FILTER_H

#include <stdbool.h>

#define ENG_FILTER_MAX_POINTS 64

typedef struct eng_one_euro_params {
    float min_cutoff;      /* Hz at zero speed: lower = smoother, more lag */
    float beta;            /* how fast the cutoff grows with speed */
    float derivate_cutoff; /* Hz of the speed estimate's low-pass */
} eng_one_euro_params;

typedef struct eng_one_euro_axis {
    double x_prev_raw, x_prev, dx_prev;
    bool started;
} eng_one_euro_axis;

typedef struct eng_landmark_filter {
    eng_one_euro_params params;
    int n_points;
    eng_one_euro_axis axis[ENG_FILTER_MAX_POINTS][3];
    double last_time; /* seconds of the previous sample */
    bool has_time;
} eng_landmark_filter;

/* Sets up a filter for n_points (<= ENG_FILTER_MAX_POINTS) 3-D points. */
void eng_landmark_filter_init(eng_landmark_filter *f, int n_points,
                              const eng_one_euro_params *params);

/* Forgets all state: the next sample passes through unchanged. */
void eng_landmark_filter_reset(eng_landmark_filter *f);

/* Filters pts (n_points x 3, in place) sampled at time t (seconds,
 * increasing). value_scale multiplies the speed (1 / object size); a
 * value_scale <= 0 leaves the points unfiltered, as MediaPipe does for a
 * degenerate object scale. A sample whose time does not increase passes
 * through and leaves the state as it was (MediaPipe does the same). */
void eng_landmark_filter_apply(eng_landmark_filter *f, float *pts, double t,
                               float value_scale);

/* v = alpha * v_new + (1 - alpha) * v_prev over n values (in place into
 * prev), the first call (started false) copying; MediaPipe's visibility
 * smoothing uses alpha 0.1. */
void eng_low_pass(float *prev, const float *v_new, int n, float alpha,
                  bool *started);

#endif
