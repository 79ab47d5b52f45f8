/*
 * panel: the settings panel of the window (G key): a detector-stride
 * slider (1..8 and auto), body / hand task toggles, the model sizes
 * (body lite/full/heavy, hands lite/full) and a smoothing slider (the
 * body One-Euro min cutoff, the same steps as the + and - keys).
 *
 * Immediate mode: the panel keeps no copy of the settings. Mouse input in
 * panel units (the panel is APP_PANEL_WIDTH x APP_PANEL_HEIGHT units; the
 * caller picks where it sits and how many pixels a unit is) edits an
 * app_pipeline_desc in place; the caller hands a changed desc to the
 * engine thread as the keys do (app_worker_configure). The input
 * functions are pure (no display, no GL), so the tests drive them
 * directly; only app_panel_draw() needs the renderer.
 *
 * What it does not do: apply settings, read SDL events or allocate.
 */
#ifndef APP_PANEL_H
#define APP_PANEL_H

#include <stdbool.h>

#include "pipeline.h"
#include "render.h"

#define APP_PANEL_WIDTH 220.0f
#define APP_PANEL_HEIGHT 230.0f

/* The smoothing slider's range: the + and - keys' limits. */
#define APP_PANEL_CUTOFF_MIN 0.00625f
#define APP_PANEL_CUTOFF_STEPS 12   /* MIN * 2^0 .. MIN * 2^11 = 12.8 Hz */

typedef enum app_panel_control {
    APP_PANEL_NONE,
    APP_PANEL_STRIDE,       /* slider */
    APP_PANEL_BODY,         /* toggles */
    APP_PANEL_HANDS,
    APP_PANEL_POSE_LITE,    /* choices */
    APP_PANEL_POSE_FULL,
    APP_PANEL_POSE_HEAVY,
    APP_PANEL_HAND_LITE,
    APP_PANEL_HAND_FULL,
    APP_PANEL_SMOOTHING,    /* slider */
    APP_PANEL_CONTROLS
} app_panel_control;

/* The mouse state between a press and its release. Zero = nothing held. */
typedef struct app_panel {
    bool held;                  /* the press was inside the panel: the
                                   drag belongs to it, not to the 3D view */
    app_panel_control grabbed;  /* the slider being dragged, or NONE */
} app_panel;

typedef struct app_panel_rect {
    float x0, y0, x1, y1;
} app_panel_rect;

/* Where control `c` (not NONE) is, in panel units. */
app_panel_rect app_panel_rect_of(app_panel_control c);

/* The control at (x, y) in panel units; NONE outside every control
 * (also outside the panel). */
app_panel_control app_panel_hit(float x, float y);

/* A left-button press at (x, y), panel units: returns whether it is
 * inside the panel (then the caller does not pass it on); a press on a
 * control applies it to *d and a press on a slider grabs it for
 * app_panel_drag(). *changed says whether *d changed. A toggle that would
 * turn both tasks off is refused (one must run). */
bool app_panel_press(app_panel *p, float x, float y, app_pipeline_desc *d,
                     bool *changed);

/* The mouse moved to (x, y) with the button down: moves a grabbed slider
 * (x clamped to its track, y ignored). Returns whether *d changed. */
bool app_panel_drag(app_panel *p, float x, float y, app_pipeline_desc *d);

/* The button was released: nothing held any more. */
void app_panel_release(app_panel *p);

/* Draws the panel for settings *d with its top-left corner at (x, y)
 * target pixels, `scale` pixels per panel unit. */
void app_panel_draw(ren_renderer *r, const app_pipeline_desc *d, float x,
                    float y, float scale);

#endif
