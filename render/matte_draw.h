/*
 * matte_draw: the person-matte views on the GPU. Over the frame that the
 * last ren_image() drew, it draws the alpha matte as grey, the composite
 * frame * alpha + background * (1 - alpha), or both side by side as a
 * split (left half of the picture the frame, right half the composite),
 * in one full-frame quad of its own shader (shaders/matte.frag). Overlays
 * drawn afterwards (ren_results, text) land on top.
 *
 * The alpha arrives as an 8-bit image of the frame's size (engine/matte.h
 * output) and is uploaded to a single-channel texture. Backgrounds: a
 * colour, a blur of the frame (a coarse level of its mipmap chain), or an
 * RGB image stretched over the frame (uploaded once).
 *
 * What it does not do: compute mattes, read files. Same GL rules as
 * render.h: a current 3.3 core context for its whole life, one thread;
 * nothing allocates after create except when the alpha's size grows.
 */
#ifndef REN_MATTE_DRAW_H
#define REN_MATTE_DRAW_H

#include <stdint.h>

#include "render.h"

typedef enum ren_matte_view {
    REN_MATTE_VIDEO,      /* the frame as it is: nothing drawn */
    REN_MATTE_ALPHA,      /* the matte, grey */
    REN_MATTE_COMPOSITE,  /* the frame over the background */
    REN_MATTE_SPLIT,      /* left half frame, right half composite */
    REN_MATTE_VIEW_COUNT,
} ren_matte_view;

typedef struct ren_matte ren_matte;

/* Compiles the shader and creates the textures; the background starts
 * black. EBACKEND with the GL message. *out is NULL on failure. */
eng_status ren_matte_create(ren_matte **out, eng_error *err);

/* Frees the GL objects (the context must be current). Accepts NULL. */
void ren_matte_destroy(ren_matte *m);

/* The background: a colour; the frame blurred; or an RGB24 image
 * (borrowed for the call, any size: stretched). */
void ren_matte_bg_color(ren_matte *m, const uint8_t rgb[3]);
void ren_matte_bg_blur(ren_matte *m);
void ren_matte_bg_image(ren_matte *m, const uint8_t *rgb, int width,
                        int height, int stride);

/* Draws `view` of the last ren_image() frame of r with `alpha` (8-bit,
 * width x height, stride bytes per row, borrowed for the call; the
 * frame's size, else stretched over it). Flushes r's batch first so the
 * order of drawing holds. REN_MATTE_VIDEO or a NULL alpha draws nothing. */
void ren_matte_draw(ren_matte *m, ren_renderer *r, ren_matte_view view,
                    const uint8_t *alpha, int width, int height,
                    int stride);

/* "video", "alpha", "composite", "split". */
const char *ren_matte_view_name(ren_matte_view view);

#endif
