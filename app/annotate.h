/*
 * annotate: software drawing onto an RGB24 frame. This is the overlay path
 * of headless recordings (DIR/annotated.mp4) and of the latency plot; the
 * OpenGL renderer draws the same things from the same app_style.
 *
 * Primitives are anti-aliased (coverage from the exact distance to the
 * shape, one pixel of feather) and clipped to the canvas: any coordinate
 * (outside the frame, huge, NaN or infinite) is safe; shapes with a
 * non-finite coordinate, or one beyond +-1e6 px, are skipped. Pixel
 * centres are at k + 0.5, the same convention as the engine's keypoints.
 *
 * What it does not do: allocate (nothing, ever), own the pixels, or
 * convert colour spaces. Text is a built-in 5x7 bitmap font (printable
 * ASCII; other bytes draw as '?'), scaled by integer factors.
 *
 * Thread-safety: functions touch only the canvas they are given.
 */
#ifndef APP_ANNOTATE_H
#define APP_ANNOTATE_H

#include <stdbool.h>
#include <stdint.h>

#include "results.h"
#include "style.h"

/* An RGB24 image to draw on. The pixels are borrowed (caller-owned). */
typedef struct app_canvas {
    int width, height;
    int stride;          /* bytes per row, >= 3 * width */
    uint8_t *rgb;
} app_canvas;

/* What to draw on top of a frame. Zero means default for every field. */
typedef struct app_overlay_desc {
    bool rois;              /* draw ROIs (B key; default off) */
    bool hide_ids;          /* no track-id / handedness labels */
    bool show_invisible;    /* draw pose points below min_visibility
                               (faint) instead of hiding them */
    const app_style *style; /* borrowed; NULL = app_style_for_frame() of
                               the canvas */
} app_overlay_desc;

/* --- primitives (alpha 0..1 blends over what is there) ----------------- */

/* Fills the whole canvas. */
void app_clear(app_canvas *c, app_rgb color);

/* A line of the given width with round caps, from (x0,y0) to (x1,y1). */
void app_draw_line(app_canvas *c, float x0, float y0, float x1, float y1,
                   float width, app_rgb color, float alpha);

/* A filled disc. */
void app_fill_circle(app_canvas *c, float cx, float cy, float radius,
                     app_rgb color, float alpha);

/* An axis-aligned filled rectangle [x0, x1) x [y0, y1), whole pixels. */
void app_fill_rect(app_canvas *c, int x0, int y0, int x1, int y1,
                   app_rgb color, float alpha);

/* The outline of the rectangle with corners (x0,y0), (x1,y1). */
void app_draw_rect(app_canvas *c, float x0, float y0, float x1, float y1,
                   float width, app_rgb color, float alpha);

/* The outline of a rotated ROI (frame-normalised units, eng_roi). */
void app_draw_roi(app_canvas *c, const eng_roi *roi, float width,
                  app_rgb color, float alpha);

/* --- text -------------------------------------------------------------- */

/* Size in pixels of `text` (single line) at integer `scale` >= 1. */
int app_text_width(const char *text, int scale);
int app_text_height(int scale);

/* Draws `text` with its top-left corner at (x, y). Returns the x after the
 * last glyph. */
int app_draw_text(app_canvas *c, int x, int y, const char *text, int scale,
                  app_rgb color);

/* Text on a filled box (padding = scale px) for legibility over video.
 * Returns the box width. */
int app_draw_label(app_canvas *c, int x, int y, const char *text, int scale,
                   app_rgb color, app_rgb bg);

/* --- results ----------------------------------------------------------- */

/* One person: 35 edges coloured by side, 33 points shaded by visibility,
 * the track id near the head, the ROI if desc->rois. */
void app_draw_person(app_canvas *c, const eng_person *p,
                     const app_overlay_desc *desc);

/* One hand: 21 edges and points in the handedness colour, a "Left #id" /
 * "Right #id" label by the wrist, the ROI if desc->rois. */
void app_draw_hand(app_canvas *c, const eng_hand *h,
                   const app_overlay_desc *desc);

/* Everything of a frame: people first, then hands on top. desc may be
 * NULL (defaults). */
void app_draw_results(app_canvas *c, const eng_person *people, int n_people,
                      const eng_hand *hands, int n_hands,
                      const app_overlay_desc *desc);

#endif
