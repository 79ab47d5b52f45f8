/*
 * guided: the fast guided filter, the edge-aware step that turns a coarse
 * matte into a full-resolution one that follows the frame's edges.
 *
 * The guided filter (He, Sun and Tang, "Guided Image Filtering", ECCV 2010
 * and TPAMI 2013) models the output as a local linear function of the
 * colour guide, q = a . I + b, fitted per window of radius r to the input p
 * by ridge regression (eps); the fast variant (He and Sun, "Fast Guided
 * Filter", arXiv:1505.00996, 2015) fits a and b on a subsampled guide and
 * only evaluates q at full resolution, with a and b upsampled bilinearly.
 * The fit costs O(low-res pixels) whatever r is (box means by running
 * sums); the full-resolution pass is a few multiply-adds per pixel.
 *
 * The full-resolution pass is a pure function of the low-res coefficients
 * and the pixel, so horizontal bands of the frame can be evaluated
 * independently (and in parallel) and join without seams: no overlap or
 * blending is needed, and memory is O(low-res pixels) plus the output.
 *
 * What it does not do: allocate (the caller owns every buffer, sized with
 * the *_floats helpers), or choose the subsampling (matte.h does).
 */
#ifndef ENG_GUIDED_H
#define ENG_GUIDED_H

#include <stddef.h>
#include <stdint.h>

#include "image.h"

/* Floats of scratch eng_guided_fit() needs for a w x h low-res grid. */
size_t eng_guided_fit_floats(int w, int h);

/* Fits the filter on a w x h low-res grid: `guide` is RGB interleaved in
 * [0,1] (w*h*3), `p` the input (w*h), r the window radius in grid pixels
 * (>= 1), eps the regulariser (> 0; larger = smoother, less edge-bound).
 * Writes the box-averaged coefficients into `coef` (w*h*4: a_r, a_g, a_b
 * per unit of an 8-bit channel, then b in 0..255 units), ready for
 * eng_guided_apply(). `scratch` holds eng_guided_fit_floats(w, h) floats.
 * All buffers caller-owned. Rows and columns are shared out over `pool`
 * (a pthreadpool_t; NULL runs on the caller's thread) with the same
 * arithmetic per value, so any thread count gives the same bits. */
void eng_guided_fit(const float *guide, const float *p, int w, int h, int r,
                    float eps, float *coef, float *scratch, void *pool);

/* Mean over the clipped (2r+1)^2 window of every pixel of a w x h grid of
 * c interleaved channels, src to dst (may not alias). `acc` holds
 * eng_box_acc_doubles(w, h, c) doubles, `tmp` w*h*c floats, c <= 13.
 * r = 0 copies. Parallel over `pool` as eng_guided_fit(). */
void eng_box_mean(const float *src, float *dst, int w, int h, int c, int r,
                  float *tmp, double *acc, void *pool);

/* Doubles of the accumulator eng_box_mean() needs. */
size_t eng_box_acc_doubles(int w, int h, int c);

/* How a low-res grid of gw x gh values maps onto a W x H frame: frame pixel
 * x samples the grid at (x + 0.5) * sx - 0.5 (bilinear, clamped at the
 * edges), likewise y. Tables are caller-owned (W and H entries). */
typedef struct eng_upsample_map {
    int gw, gh;          /* grid size */
    int stride;          /* floats per grid row */
    int width, height;   /* frame size */
    int32_t *x0, *y0;    /* left / top grid sample per frame column / row */
    float *wx, *wy;      /* weight of the right / bottom sample */
} eng_upsample_map;

/* Fills m's tables (x0, wx: width entries; y0, wy: height entries, already
 * pointing at caller storage) for scale factors sx, sy, and the grid's row
 * stride in floats (gw * channels for a packed grid). */
void eng_upsample_map_init(eng_upsample_map *m, int gw, int gh, int stride,
                           int width, int height, float sx, float sy);

/* Evaluates the guided filter on rows [y_begin, y_end) of img (m's frame
 * size) into out (8-bit alpha, out_stride bytes per row): out = a . pixel
 * + b, with a and b from `coef` (eng_guided_fit's output, on m's grid)
 * upsampled bilinearly. `scratch` holds eng_guided_apply_floats(width)
 * floats (two grid rows expanded to the frame's width, reused while
 * consecutive frame rows fall between the same two grid rows). */
void eng_guided_apply(const eng_upsample_map *m, const float *coef,
                      const eng_image *img, int y_begin, int y_end,
                      uint8_t *out, int out_stride, float *scratch);

/* Floats of the scratch eng_guided_apply() needs per caller (per band). */
size_t eng_guided_apply_floats(int width);

/* Upsamples a one-channel grid of values in 0..1 (m's grid, its stride)
 * bilinearly to rows [y_begin, y_end) of out (8-bit, 0..255, rounded),
 * then maps each byte through `lut` (256 entries) when it is not NULL.
 * `row` is scratch of gw floats. */
void eng_upsample_rows(const eng_upsample_map *m, const float *grid,
                       int y_begin, int y_end, uint8_t *out, int out_stride,
                       float *row, const uint8_t *lut);

#endif
