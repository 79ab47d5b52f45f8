/*
 * image: the pixels-to-tensor step of every vision task, and its inverse.
 *
 * A task crops a rotated rectangle (ROI) of an RGB frame into a model's input
 * tensor, with bilinear sampling, a border rule for samples outside the
 * frame, optional letterboxing to keep the aspect ratio, and a linear map of
 * pixel values 0..255 to the model's range. The same eng_crop_map then takes
 * the model's tensor-normalised results back to frame pixels.
 *
 * Sampling follows MediaPipe's GPU ImageToTensor (the path of the reference
 * pipeline): tensor pixel (j, i) samples the frame at ROI point
 * u = (j + 0.5) / W, v = (i + 0.5) / H, and frame pixel centres sit at
 * k + 0.5. What it does not do: colour conversion (frames arrive as RGB24)
 * or allocation (the caller owns every buffer).
 */
#ifndef ENG_IMAGE_H
#define ENG_IMAGE_H

#include <stdbool.h>
#include <stdint.h>

/* An RGB24 frame, borrowed. */
typedef struct eng_image {
    int width, height;
    int stride;         /* bytes per row, >= 3 * width */
    const uint8_t *rgb;
} eng_image;

/* A rotated rectangle in frame-normalised units (MediaPipe's NormalizedRect):
 * centre (cx, cy) and size (w, h) as fractions of the frame's width and
 * height; rotation in radians, positive = clockwise on screen (y down). */
typedef struct eng_roi {
    float cx, cy, w, h, rotation;
} eng_roi;

typedef enum eng_border {
    ENG_BORDER_ZERO,      /* outside samples are black (value 0) */
    ENG_BORDER_REPLICATE, /* outside samples repeat the nearest edge pixel */
} eng_border;

typedef struct eng_crop_desc {
    int width, height;  /* tensor size */
    float lo, hi;       /* pixel value 0 maps to lo, 255 to hi */
    eng_border border;
    bool keep_aspect;   /* letterbox instead of stretching */
} eng_crop_desc;

/* How a crop was made: enough to map results back to the frame. */
typedef struct eng_crop_map {
    float cx, cy;           /* ROI centre, frame pixels */
    float w, h;             /* sampled rectangle (after letterbox), pixels */
    float cos_r, sin_r;     /* rotation */
    float pad_l, pad_t, pad_r, pad_b; /* letterbox fractions of the tensor */
    float roi_w, roi_h;     /* ROI size before letterbox, pixels */
} eng_crop_map;

/* Crops `roi` of `img` into `out` (desc->height x desc->width x 3 floats,
 * NHWC, caller-owned) and fills *map. Never allocates; any ROI (even fully
 * outside the frame, or empty) gives a defined tensor. */
void eng_crop(const eng_image *img, const eng_roi *roi,
              const eng_crop_desc *desc, float *out, eng_crop_map *map);

/* Maps a tensor-normalised point (u, v in [0,1] of the whole tensor, as the
 * models report landmarks) to frame pixels, undoing letterbox and rotation. */
void eng_crop_to_frame(const eng_crop_map *map, float u, float v, float *x,
                       float *y);

/* Removes the letterbox from a tensor-normalised coordinate pair, giving
 * ROI-normalised coordinates (0..1 across the ROI itself). */
void eng_crop_unletterbox(const eng_crop_map *map, float *u, float *v);

#endif
