/*
 * matte: a person's alpha matte at the frame's full resolution, and
 * composites over a new background.
 *
 * Per frame:
 *   1. Coarse alpha: MediaPipe's selfie segmentation model (general 256x256
 *      or landscape 256x144; the whole frame stretched to the input, RGB in
 *      [0,1], a probability out: ../shared/docs/mediapipe-models.md
 *      section 6), run every `matte_every` frames with the last mask reused
 *      in between; or a coarse mask the caller supplies (eng_matte_hint):
 *      a user's hint image, another model's mask (the pose landmark
 *      model's segmentation warped to the frame), anything frame-aligned.
 *   2. On a low-resolution grid (the frame area-averaged by an integer
 *      factor s so that its long side is about `guide_size`): the coarse
 *      mask resampled bilinearly; temporal smoothing; the threshold;
 *      erosion or dilation; feathering.
 *   3. Refinement: the fast guided filter (guided.h) fits alpha as a local
 *      linear function of the colour on the grid, and evaluates it at every
 *      frame pixel, in horizontal bands on the runtime's thread pool.
 *
 * Temporal smoothing is an exponential moving average made motion-aware:
 * per grid pixel, new = p + (prev - p) * k, where k = `smoothing` where the
 * frame did not change and falls linearly to 0 as the pixel's mean colour
 * change reaches `motion_scale` (0..1 units), so a static background stops
 * flickering while a moving person's edge does not lag.
 *
 * Controls: `threshold` is the coarse probability that maps to alpha 0.5
 * (piecewise linear: 0 -> 0, threshold -> 0.5, 1 -> 1; 0.5 is the model's
 * own scale); `grow` dilates (> 0) or erodes (< 0) the coarse mask by that
 * many frame pixels; `feather` blurs it over that many frame pixels before
 * the guided step, which keeps edges that the frame shows sharp and softens
 * the others.
 *
 * Memory: O(grid pixels) plus tables of W + H entries, allocated at create
 * and on the first frame of a new size; eng_matte_process() does not
 * allocate otherwise. The caller owns the alpha it writes into. One thread
 * at a time; the runtime's pool does the parallel parts.
 */
#ifndef ENG_MATTE_H
#define ENG_MATTE_H

#include <stdbool.h>
#include <stdint.h>

#include "image.h"
#include "runtime.h"
#include "status.h"

typedef struct eng_matte eng_matte;

typedef enum eng_matte_model {
    ENG_MATTE_MODEL_AUTO,      /* landscape when the frame is wider than
                                  tall, else general */
    ENG_MATTE_MODEL_GENERAL,   /* selfie_segmentation, 256x256 */
    ENG_MATTE_MODEL_LANDSCAPE, /* selfie_segmentation_landscape, 256x144 */
} eng_matte_model;

/* Zero means default for every field. */
typedef struct eng_matte_desc {
    const char *general_path;   /* selfie_segmentation.tflite */
    const char *landscape_path; /* selfie_segmentation_landscape.tflite */
                                /* borrowed for create; each needed only if
                                   `model` can pick it; both NULL: hints
                                   only */
    eng_matte_model model;      /* default AUTO */
    int matte_every;            /* run the model every N frames; default 1 */
    float threshold;            /* in (0,1); default 0.5 */
    float feather;              /* frame pixels, >= 0; default 0 */
    int grow;                   /* frame pixels: > 0 dilate, < 0 erode */
    bool no_refine;             /* the coarse mask resized bilinearly to the
                                   frame, as MediaPipe outputs it; only the
                                   threshold applies */
    bool no_smoothing;          /* default smoothing on */
    float smoothing;            /* weight of the previous mask where
                                   nothing moves, (0,1); default 0.7 */
    float motion_scale;         /* colour change (0..1) that disables the
                                   smoothing of a pixel; default 0.08 */
    int guide_size;             /* long side of the grid, >= 16; default
                                   320 */
    int radius;                 /* guided filter radius, grid pixels;
                                   default 1 */
    float eps;                  /* guided filter regulariser; default 1e-4 */
} eng_matte_desc;

/* A coarse mask from the caller, borrowed for the call. Without `map` it
 * is stretched over the whole frame (any size; bilinear, pixel centres
 * aligned): a user's hint image, another tool's mask. With `map` it is a
 * model tensor cropped from the frame by eng_crop() with that map (a
 * rotated, possibly letterboxed ROI), such as the pose landmark model's
 * segmentation of a person's ROI; outside the tensor the probability is 0.
 * (no_refine takes only frame-stretched hints.) */
typedef struct eng_matte_hint {
    int width, height;
    int stride;          /* floats per row, >= width */
    const float *p;      /* probability of person, 0..1 */
    const eng_crop_map *map; /* NULL: stretched over the frame */
} eng_matte_hint;

typedef struct eng_matte_result {
    bool coarse_ran;          /* the segmentation model ran this frame */
    eng_matte_model model;    /* GENERAL or LANDSCAPE when it ran */
    double ms_coarse;         /* model + its pre-processing; 0 if not run */
    double ms_refine;         /* everything else */
    int grid_width, grid_height; /* the low-res grid */
} eng_matte_result;

/* The defaults as a filled desc (paths NULL). */
eng_matte_desc eng_matte_defaults(void);

/* Checks desc, loads the models it names (EIO/EFORMAT/EUNSUPPORTED from
 * the importer; EINVAL for a bad value, naming it). `rt` is borrowed and
 * must outlive the matte. */
eng_status eng_matte_create(eng_runtime *rt, const eng_matte_desc *desc,
                            eng_matte **out, eng_error *err);

/* Frees it. Accepts NULL. */
void eng_matte_destroy(eng_matte *m);

/* Mattes one frame (borrowed) into alpha (img's size, 8-bit, alpha_stride
 * bytes per row, caller-owned): from `hint` when non-NULL, else from the
 * model. res may be NULL. EINVAL for a NULL or empty image or a bad hint,
 * or when the model to run has no path; EUNSUPPORTED for a hint with a
 * map under no_refine; EBACKEND if a kernel fails; ENOMEM on the first
 * frame of a new size. */
eng_status eng_matte_process(eng_matte *m, const eng_image *img,
                             const eng_matte_hint *hint, uint8_t *alpha,
                             int alpha_stride, eng_matte_result *res,
                             eng_error *err);

/* Forgets the temporal state and the reused mask (a seek, a new image):
 * the next frame runs the model and is not smoothed. */
void eng_matte_reset(eng_matte *m);

typedef enum eng_matte_bg_kind {
    ENG_MATTE_BG_COLOR,  /* a flat colour */
    ENG_MATTE_BG_BLUR,   /* the frame itself, blurred */
    ENG_MATTE_BG_IMAGE,  /* an image of the frame's size */
} eng_matte_bg_kind;

typedef struct eng_matte_bg {
    eng_matte_bg_kind kind;
    uint8_t color[3];          /* COLOR: RGB */
    const eng_image *image;    /* IMAGE: borrowed, the frame's size */
} eng_matte_bg;

/* out = fg * alpha + background * (1 - alpha), RGB24 (out_stride bytes per
 * row, caller-owned, may be fg's own pixels). `fg` is the frame last given
 * to eng_matte_process() or its estimated foreground (foreground.h), of
 * that frame's size; BLUR blurs that last frame. EINVAL for NULL pointers,
 * a size other than the last frame's, or an IMAGE of another size. */
eng_status eng_matte_composite(eng_matte *m, const eng_image *fg,
                               const uint8_t *alpha, int alpha_stride,
                               const eng_matte_bg *bg, uint8_t *out,
                               int out_stride, eng_error *err);

#endif
