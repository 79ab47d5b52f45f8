/*
 * render: the OpenGL 3.3 core renderer of the window and of headless
 * recordings. It draws into an offscreen framebuffer of any size: the
 * video frame (an RGB24 texture, letterboxed), the body and hand skeletons
 * of a frame (app/style.h colours, the same as the software annotator in
 * app/annotate.c), ROIs, track ids, text through a FreeType glyph atlas,
 * and the latency plots of a ren_perf_set. The result is read back to
 * RGB24 through a pixel buffer object (recording, screenshots) and/or
 * copied, scaled and letterboxed, to the window (ren_present).
 *
 * Every overlay primitive is one quad of a batched vertex buffer; the
 * fragment shader (shaders/overlay.frag) computes anti-aliased coverage
 * from the exact distance to the shape, with one pixel of feather as the
 * software path, so a filled point reads back as its exact colour.
 *
 * Coordinates are target pixels, x right, y down, pixel centres at
 * k + 0.5. ren_results() takes frame pixels (the engine's keypoints) and
 * maps them through the letterbox of the last ren_image().
 *
 * What it does not do: create windows or contexts (window.h does), read
 * files other than the font, or touch FFmpeg. It needs a current OpenGL
 * 3.3 core context on the calling thread for its whole life; one thread.
 * After ren_create() nothing allocates except when a size grows (the
 * target, the video texture, the read-back buffer).
 */
#ifndef REN_RENDER_H
#define REN_RENDER_H

#include <stdbool.h>
#include <stdint.h>

#include "perf.h"
#include "results.h"
#include "status.h"
#include "style.h"

typedef struct ren_renderer ren_renderer;

/* Zero means default for every field. */
typedef struct ren_desc {
    const char *font_path;   /* TrueType file; default REN_FONT_DEFAULT */
    int font_px;             /* atlas size; default 32 */
} ren_desc;

/* What to draw over a frame (the app_overlay_desc of annotate.h). */
typedef struct ren_overlay {
    bool rois;               /* ROIs and detector boxes (B key) */
    bool hide_ids;           /* no track-id / handedness labels */
    bool show_invisible;     /* draw pose points below min_visibility */
    const app_style *style;  /* borrowed; NULL = app_style_for_frame() of
                                the frame */
} ren_overlay;

/* Compiles the shaders, creates the buffers and uploads the font atlas.
 * ENG_EBACKEND with the GL message when the context is not 3.3 core or a
 * shader does not compile; the font's EIO/EFORMAT. *out is NULL on
 * failure. */
eng_status ren_create(const ren_desc *desc, ren_renderer **out,
                      eng_error *err);

/* Frees every GL object (the context must still be current). Accepts
 * NULL. */
void ren_destroy(ren_renderer *r);

/* Starts a frame of width x height pixels (>= 1, at most the GL limit):
 * binds the offscreen target (re-created when the size changes) and
 * clears it to black. EINVAL for a bad size, EBACKEND when the
 * framebuffer is incomplete. */
eng_status ren_begin(ren_renderer *r, int width, int height,
                     eng_error *err);

/* Uploads an RGB24 image (borrowed; read during the call) and draws it
 * letterboxed (centred, aspect kept) into the target; later ren_results()
 * calls map frame pixels through this letterbox. */
void ren_image(ren_renderer *r, const uint8_t *rgb, int width, int height,
               int stride);

/* --- primitives, in target pixels; alpha 0..1 blends ------------------ */

void ren_line(ren_renderer *r, float x0, float y0, float x1, float y1,
              float width, app_rgb color, float alpha);
void ren_circle(ren_renderer *r, float cx, float cy, float radius,
                app_rgb color, float alpha);
void ren_fill_rect(ren_renderer *r, float x0, float y0, float x1, float y1,
                   app_rgb color, float alpha);

/* Text with its top-left corner at (x, y), `px` pixels high (em size).
 * Returns its width. */
float ren_text(ren_renderer *r, float x, float y, float px,
               const char *text, app_rgb color, float alpha);
float ren_text_width(const ren_renderer *r, const char *text, float px);

/* --- content ----------------------------------------------------------- */

/* The skeletons of one frame (frame pixels), people first, hands on top,
 * as app_draw_results() draws them. ov may be NULL (defaults). */
void ren_results(ren_renderer *r, const eng_person *people, int n_people,
                 const eng_hand *hands, int n_hands, const ren_overlay *ov);

/* The latency plots of `perf` in the target rectangle (x, y, w, h): a
 * translucent panel, a ms scale with grid lines, one scrolling line per
 * stage, ticks under the frames where a detector ran, and a legend with
 * last / avg / peak per stage and the FPS. */
void ren_plots(ren_renderer *r, const ren_perf_set *perf, float x, float y,
               float w, float h);

/* --- for other GL passes between the batches (render/mesh.h) --------- */

/* Draws the primitives batched so far now, so that a pass drawn next
 * lands on top of them and primitives batched later on top of it. The
 * target stays bound; it has a 24-bit depth buffer whose content is
 * undefined (a pass clears what it uses). The pass must leave blending
 * as ren_begin sets it, and depth and scissor tests off. */
void ren_flush(ren_renderer *r);

/* The letterbox of the last ren_image(): target pixel = frame pixel * k +
 * (ox, oy); k = 1 and no offset before it. */
void ren_frame_map(const ren_renderer *r, float *k, float *ox, float *oy);

/* The target size of ren_begin(). */
void ren_target_size(const ren_renderer *r, int *width, int *height);

/* Where the last ren_image() frame is, for a module that draws it again
 * through its own shader (render/matte_draw.c): its texture (a GL name;
 * 0 before the first ren_image), its size, the target's size and the
 * letterboxed rectangle it covers in target pixels. */
typedef struct ren_image_info {
    unsigned texture;
    int width, height;
    int target_w, target_h;
    float x0, y0, x1, y1;
} ren_image_info;

void ren_image_info_get(const ren_renderer *r, ren_image_info *out);

/* Draws everything batched so far. EBACKEND with the GL error if one
 * occurred during the frame. */
eng_status ren_end(ren_renderer *r, eng_error *err);

/* Reads the finished target back as RGB24, top row first, into `rgb`
 * (caller-owned, width x height of ren_begin(), `stride` bytes per row),
 * through a pixel buffer object. EBACKEND when mapping fails. */
eng_status ren_read_rgb(ren_renderer *r, uint8_t *rgb, int stride,
                        eng_error *err);

/* Copies the target to the default framebuffer of drawable size
 * dw x dh, scaled and letterboxed on black. The caller swaps buffers. */
void ren_present(ren_renderer *r, int dw, int dh);

#endif
