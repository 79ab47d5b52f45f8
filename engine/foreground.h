/*
 * foreground: the colour of the person alone, so that a composite over a
 * new background has no halo of the old one.
 *
 * A pixel of the frame is I = alpha F + (1 - alpha) B. Where alpha is
 * fractional (hair, motion blur, the refined edge) I still carries the old
 * background, and compositing I instead of F over a new one shows a fringe.
 * This module solves for F and B with the multi-level method of Germer,
 * Uelwer, Conrad and Harmeling ("Fast Multi-Level Foreground Estimation",
 * ICPR 2020): minimise the compositing error plus a smoothness term on F
 * and B whose weight grows with the alpha gradient, solved per pixel as a
 * 2x2 system per channel, coarse to fine: the image and alpha are resized
 * (nearest) to a pyramid of sizes W^(l/L) x H^(l/L), F and B start from
 * the coarser level and get a few in-place sweeps per level (10 on levels
 * up to 32 pixels, 2 above; regulariser 1e-5, gradient weight 1, the
 * paper's values).
 *
 * Cost: linear in pixels; the sweeps are single-threaded (in place,
 * Gauss-Seidel). Memory: 6 floats per pixel for the finest level and 6 per
 * pixel of the level below, allocated at create for the largest frame.
 * What it does not do: estimate alpha, or composite (matte.h does).
 */
#ifndef ENG_FOREGROUND_H
#define ENG_FOREGROUND_H

#include <stdint.h>

#include "image.h"
#include "status.h"

typedef struct eng_foreground eng_foreground;

/* Buffers for frames up to max_width x max_height. EINVAL for sizes < 1,
 * ENOMEM. */
eng_status eng_foreground_create(int max_width, int max_height,
                                 eng_foreground **out, eng_error *err);

/* Frees it. Accepts NULL. */
void eng_foreground_destroy(eng_foreground *f);

/* Estimates the foreground of img (borrowed) under alpha (8-bit, img's
 * size, alpha_stride bytes per row) into fg (RGB24, fg_stride bytes per
 * row, caller-owned). EINVAL when img is larger than the create size or
 * a pointer is NULL. No allocation. */
eng_status eng_foreground_estimate(eng_foreground *f, const eng_image *img,
                                   const uint8_t *alpha, int alpha_stride,
                                   uint8_t *fg, int fg_stride,
                                   eng_error *err);

#endif
