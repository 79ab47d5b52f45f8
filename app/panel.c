/*
 * panel: see panel.h.
 */
#include "panel.h"

#include <math.h>
#include <stdio.h>

#define STRIDE_STEPS 9        /* 1..8, then auto at the right end */
#define TRACK_X0 12.0f
#define TRACK_X1 208.0f
#define TEXT_PX 13.0f

/* Each control's rectangle in panel units; the labels sit above the
 * rows (app_panel_draw). */
static const app_panel_rect rects[APP_PANEL_CONTROLS] = {
    [APP_PANEL_STRIDE] = { 8, 44, 212, 64 },
    [APP_PANEL_BODY] = { 8, 72, 108, 92 },
    [APP_PANEL_HANDS] = { 112, 72, 212, 92 },
    [APP_PANEL_POSE_LITE] = { 8, 118, 72, 138 },
    [APP_PANEL_POSE_FULL] = { 76, 118, 144, 138 },
    [APP_PANEL_POSE_HEAVY] = { 148, 118, 212, 138 },
    [APP_PANEL_HAND_LITE] = { 8, 164, 108, 184 },
    [APP_PANEL_HAND_FULL] = { 112, 164, 212, 184 },
    [APP_PANEL_SMOOTHING] = { 8, 202, 212, 222 },
};

app_panel_rect app_panel_rect_of(app_panel_control c)
{
    return rects[c];
}

app_panel_control app_panel_hit(float x, float y)
{
    for (int c = APP_PANEL_NONE + 1; c < APP_PANEL_CONTROLS; c++)
        if (x >= rects[c].x0 && x < rects[c].x1 && y >= rects[c].y0 &&
            y < rects[c].y1)
            return (app_panel_control)c;
    return APP_PANEL_NONE;
}

/* The slider step nearest to x on a track of n steps. */
static int step_at(float x, int n)
{
    float f = (x - TRACK_X0) / (TRACK_X1 - TRACK_X0) * (float)(n - 1);
    return (int)lroundf(fminf(fmaxf(f, 0), (float)(n - 1)));
}

static float step_x(int i, int n)
{
    return TRACK_X0 + (TRACK_X1 - TRACK_X0) * (float)i / (float)(n - 1);
}

/* Where the settings put the knobs; a --detector-stride above 8 shows at
 * 8 until the slider is moved. */
static int stride_step(const app_pipeline_desc *d)
{
    if (d->stride.mode == ENG_STRIDE_AUTO)
        return STRIDE_STEPS - 1;
    int s = d->stride.stride < 1 ? 1 : d->stride.stride;
    return s > STRIDE_STEPS - 1 ? STRIDE_STEPS - 2 : s - 1;
}

static int cutoff_step(const app_pipeline_desc *d)
{
    float c = d->smoothing_min_cutoff > 0 ? d->smoothing_min_cutoff
                                          : APP_PANEL_CUTOFF_MIN;
    int k = (int)lroundf(log2f(c / APP_PANEL_CUTOFF_MIN));
    return k < 0 ? 0 : k > APP_PANEL_CUTOFF_STEPS - 1
                           ? APP_PANEL_CUTOFF_STEPS - 1 : k;
}

/* Moves slider c to x; whether *d changed. */
static bool slide(app_panel_control c, float x, app_pipeline_desc *d)
{
    if (c == APP_PANEL_STRIDE) {
        int i = step_at(x, STRIDE_STEPS);
        eng_stride s = d->stride;
        if (i == STRIDE_STEPS - 1) {
            s.mode = ENG_STRIDE_AUTO;
        } else {
            s.mode = ENG_STRIDE_FIXED;
            s.stride = i + 1;
        }
        bool changed = s.mode != d->stride.mode ||
                       (s.mode == ENG_STRIDE_FIXED &&
                        s.stride != d->stride.stride);
        d->stride = s;
        return changed;
    }
    float c2 = ldexpf(APP_PANEL_CUTOFF_MIN,
                      step_at(x, APP_PANEL_CUTOFF_STEPS));
    bool changed = c2 != d->smoothing_min_cutoff;
    d->smoothing_min_cutoff = c2;
    return changed;
}

static bool set_flag(bool *field, bool value)
{
    bool changed = *field != value;
    *field = value;
    return changed;
}

bool app_panel_press(app_panel *p, float x, float y, app_pipeline_desc *d,
                     bool *changed)
{
    *changed = false;
    if (x < 0 || y < 0 || x >= APP_PANEL_WIDTH || y >= APP_PANEL_HEIGHT)
        return false;
    p->held = true;
    p->grabbed = APP_PANEL_NONE;
    app_panel_control c = app_panel_hit(x, y);
    switch (c) {
    case APP_PANEL_STRIDE: case APP_PANEL_SMOOTHING:
        p->grabbed = c;
        *changed = slide(c, x, d);
        break;
    case APP_PANEL_BODY:
        /* one task must stay on: nothing to run otherwise */
        if (d->no_pose || !d->no_hands)
            *changed = set_flag(&d->no_pose, !d->no_pose);
        break;
    case APP_PANEL_HANDS:
        if (d->no_hands || !d->no_pose)
            *changed = set_flag(&d->no_hands, !d->no_hands);
        break;
    case APP_PANEL_POSE_LITE: case APP_PANEL_POSE_FULL:
    case APP_PANEL_POSE_HEAVY: {
        eng_model_size m = c == APP_PANEL_POSE_LITE ? ENG_MODEL_LITE
                           : c == APP_PANEL_POSE_FULL ? ENG_MODEL_FULL
                                                      : ENG_MODEL_HEAVY;
        *changed = d->pose_model != m;
        d->pose_model = m;
        break;
    }
    case APP_PANEL_HAND_LITE: case APP_PANEL_HAND_FULL:
        *changed = set_flag(&d->hand_lite, c == APP_PANEL_HAND_LITE);
        break;
    default:
        break;
    }
    return true;
}

bool app_panel_drag(app_panel *p, float x, float y, app_pipeline_desc *d)
{
    (void)y;  /* a slider follows x wherever the mouse wanders */
    return p->grabbed != APP_PANEL_NONE && slide(p->grabbed, x, d);
}

void app_panel_release(app_panel *p)
{
    p->held = false;
    p->grabbed = APP_PANEL_NONE;
}

/* ---- drawing ------------------------------------------------------------- */

static const app_rgb white = { 255, 255, 255 }, gold = { 255, 210, 80 },
                     grey = { 90, 90, 90 }, black = { 0, 0, 0 };

typedef struct frame {
    ren_renderer *r;
    float x, y, k;   /* origin and pixels per unit */
} frame;

static void text(const frame *f, float x, float y, const char *s,
                 app_rgb color)
{
    ren_text(f->r, f->x + x * f->k, f->y + y * f->k, TEXT_PX * f->k, s,
             color, 1);
}

static void button(const frame *f, app_panel_control c, const char *label,
                   bool on)
{
    app_panel_rect b = rects[c];
    ren_fill_rect(f->r, f->x + (b.x0 + 1) * f->k, f->y + b.y0 * f->k,
                  f->x + (b.x1 - 1) * f->k, f->y + b.y1 * f->k,
                  on ? gold : grey, 0.9f);
    float w = ren_text_width(f->r, label, TEXT_PX * f->k);
    ren_text(f->r, f->x + 0.5f * (b.x0 + b.x1) * f->k - 0.5f * w,
             f->y + (b.y0 + 2) * f->k, TEXT_PX * f->k, label,
             on ? black : white, 1);
}

static void slider(const frame *f, app_panel_control c, int n, int at)
{
    float cy = f->y + 0.5f * (rects[c].y0 + rects[c].y1) * f->k;
    ren_line(f->r, f->x + TRACK_X0 * f->k, cy, f->x + TRACK_X1 * f->k, cy,
             2 * f->k, grey, 1);
    for (int i = 0; i < n; i++)
        ren_circle(f->r, f->x + step_x(i, n) * f->k, cy, 2 * f->k, white,
                   0.8f);
    ren_circle(f->r, f->x + step_x(at, n) * f->k, cy, 7 * f->k, gold, 1);
}

void app_panel_draw(ren_renderer *r, const app_pipeline_desc *d, float x,
                    float y, float scale)
{
    frame f = { r, x, y, scale };
    char line[64];
    ren_fill_rect(r, x, y, x + APP_PANEL_WIDTH * scale,
                  y + APP_PANEL_HEIGHT * scale, black, 0.7f);
    text(&f, 8, 4, "settings (G hides)", gold);
    if (d->stride.mode == ENG_STRIDE_AUTO)
        snprintf(line, sizeof line, "detector stride: auto");
    else
        snprintf(line, sizeof line, "detector stride: %d", d->stride.stride);
    text(&f, 8, 26, line, white);
    slider(&f, APP_PANEL_STRIDE, STRIDE_STEPS, stride_step(d));
    button(&f, APP_PANEL_BODY, "body", !d->no_pose);
    button(&f, APP_PANEL_HANDS, "hands", !d->no_hands);
    text(&f, 8, 100, "body model", white);
    button(&f, APP_PANEL_POSE_LITE, "lite", d->pose_model == ENG_MODEL_LITE);
    button(&f, APP_PANEL_POSE_FULL, "full", d->pose_model == ENG_MODEL_FULL);
    button(&f, APP_PANEL_POSE_HEAVY, "heavy",
           d->pose_model == ENG_MODEL_HEAVY);
    text(&f, 8, 146, "hand model", white);
    button(&f, APP_PANEL_HAND_LITE, "lite", d->hand_lite);
    button(&f, APP_PANEL_HAND_FULL, "full", !d->hand_lite);
    snprintf(line, sizeof line, "smoothing cutoff: %.3g Hz",
             d->smoothing_min_cutoff);
    text(&f, 8, 186, line, white);
    slider(&f, APP_PANEL_SMOOTHING, APP_PANEL_CUTOFF_STEPS, cutoff_step(d));
}
