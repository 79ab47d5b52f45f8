/*
 * annotate: anti-aliased software drawing and the result overlays.
 */
#include "annotate.h"

#include <math.h>
#include <stdio.h>

/* Coordinates farther out than this are garbage (a diverged keypoint);
 * skipping them keeps every float -> int conversion in range. */
#define COORD_LIMIT 1e6f

#define GLYPH_W 5
#define GLYPH_H 7
#define GLYPH_ADVANCE 6 /* one column of spacing */

/* Printable ASCII 32..126, 5x7: one byte per row, top row first, bit 4 is
 * the leftmost column. Drawn for posescope (our own work, under the
 * project's licence; no third-party font data). */
static const uint8_t font5x7[95][GLYPH_H] = {
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00}, /* space */
    {0x04, 0x04, 0x04, 0x04, 0x04, 0x00, 0x04}, /* ! */
    {0x0a, 0x0a, 0x0a, 0x00, 0x00, 0x00, 0x00}, /* " */
    {0x0a, 0x0a, 0x1f, 0x0a, 0x1f, 0x0a, 0x0a}, /* # */
    {0x04, 0x0f, 0x14, 0x0e, 0x05, 0x1e, 0x04}, /* $ */
    {0x18, 0x19, 0x02, 0x04, 0x08, 0x13, 0x03}, /* % */
    {0x0c, 0x12, 0x14, 0x08, 0x15, 0x12, 0x0d}, /* & */
    {0x04, 0x04, 0x08, 0x00, 0x00, 0x00, 0x00}, /* ' */
    {0x02, 0x04, 0x08, 0x08, 0x08, 0x04, 0x02}, /* ( */
    {0x08, 0x04, 0x02, 0x02, 0x02, 0x04, 0x08}, /* ) */
    {0x00, 0x04, 0x15, 0x0e, 0x15, 0x04, 0x00}, /* * */
    {0x00, 0x04, 0x04, 0x1f, 0x04, 0x04, 0x00}, /* + */
    {0x00, 0x00, 0x00, 0x00, 0x0c, 0x04, 0x08}, /* , */
    {0x00, 0x00, 0x00, 0x1f, 0x00, 0x00, 0x00}, /* - */
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x0c}, /* . */
    {0x00, 0x01, 0x02, 0x04, 0x08, 0x10, 0x00}, /* / */
    {0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e}, /* 0 */
    {0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e}, /* 1 */
    {0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f}, /* 2 */
    {0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e}, /* 3 */
    {0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02}, /* 4 */
    {0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e}, /* 5 */
    {0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e}, /* 6 */
    {0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08}, /* 7 */
    {0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e}, /* 8 */
    {0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c}, /* 9 */
    {0x00, 0x0c, 0x0c, 0x00, 0x0c, 0x0c, 0x00}, /* : */
    {0x00, 0x0c, 0x0c, 0x00, 0x0c, 0x04, 0x08}, /* ; */
    {0x02, 0x04, 0x08, 0x10, 0x08, 0x04, 0x02}, /* < */
    {0x00, 0x00, 0x1f, 0x00, 0x1f, 0x00, 0x00}, /* = */
    {0x08, 0x04, 0x02, 0x01, 0x02, 0x04, 0x08}, /* > */
    {0x0e, 0x11, 0x01, 0x02, 0x04, 0x00, 0x04}, /* ? */
    {0x0e, 0x11, 0x01, 0x0d, 0x15, 0x15, 0x0e}, /* @ */
    {0x0e, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11}, /* A */
    {0x1e, 0x11, 0x11, 0x1e, 0x11, 0x11, 0x1e}, /* B */
    {0x0e, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0e}, /* C */
    {0x1c, 0x12, 0x11, 0x11, 0x11, 0x12, 0x1c}, /* D */
    {0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x1f}, /* E */
    {0x1f, 0x10, 0x10, 0x1e, 0x10, 0x10, 0x10}, /* F */
    {0x0e, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0f}, /* G */
    {0x11, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11}, /* H */
    {0x0e, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0e}, /* I */
    {0x07, 0x02, 0x02, 0x02, 0x02, 0x12, 0x0c}, /* J */
    {0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11}, /* K */
    {0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1f}, /* L */
    {0x11, 0x1b, 0x15, 0x15, 0x11, 0x11, 0x11}, /* M */
    {0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11}, /* N */
    {0x0e, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e}, /* O */
    {0x1e, 0x11, 0x11, 0x1e, 0x10, 0x10, 0x10}, /* P */
    {0x0e, 0x11, 0x11, 0x11, 0x15, 0x12, 0x0d}, /* Q */
    {0x1e, 0x11, 0x11, 0x1e, 0x14, 0x12, 0x11}, /* R */
    {0x0f, 0x10, 0x10, 0x0e, 0x01, 0x01, 0x1e}, /* S */
    {0x1f, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04}, /* T */
    {0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0e}, /* U */
    {0x11, 0x11, 0x11, 0x11, 0x11, 0x0a, 0x04}, /* V */
    {0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0a}, /* W */
    {0x11, 0x11, 0x0a, 0x04, 0x0a, 0x11, 0x11}, /* X */
    {0x11, 0x11, 0x0a, 0x04, 0x04, 0x04, 0x04}, /* Y */
    {0x1f, 0x01, 0x02, 0x04, 0x08, 0x10, 0x1f}, /* Z */
    {0x0e, 0x08, 0x08, 0x08, 0x08, 0x08, 0x0e}, /* [ */
    {0x00, 0x10, 0x08, 0x04, 0x02, 0x01, 0x00}, /* backslash */
    {0x0e, 0x02, 0x02, 0x02, 0x02, 0x02, 0x0e}, /* ] */
    {0x04, 0x0a, 0x11, 0x00, 0x00, 0x00, 0x00}, /* ^ */
    {0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x1f}, /* _ */
    {0x08, 0x04, 0x02, 0x00, 0x00, 0x00, 0x00}, /* ` */
    {0x00, 0x00, 0x0e, 0x01, 0x0f, 0x11, 0x0f}, /* a */
    {0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x1e}, /* b */
    {0x00, 0x00, 0x0e, 0x10, 0x10, 0x11, 0x0e}, /* c */
    {0x01, 0x01, 0x0d, 0x13, 0x11, 0x11, 0x0f}, /* d */
    {0x00, 0x00, 0x0e, 0x11, 0x1f, 0x10, 0x0e}, /* e */
    {0x06, 0x09, 0x08, 0x1c, 0x08, 0x08, 0x08}, /* f */
    {0x00, 0x0f, 0x11, 0x11, 0x0f, 0x01, 0x0e}, /* g */
    {0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x11}, /* h */
    {0x04, 0x00, 0x0c, 0x04, 0x04, 0x04, 0x0e}, /* i */
    {0x02, 0x00, 0x06, 0x02, 0x02, 0x12, 0x0c}, /* j */
    {0x10, 0x10, 0x12, 0x14, 0x18, 0x14, 0x12}, /* k */
    {0x0c, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0e}, /* l */
    {0x00, 0x00, 0x1a, 0x15, 0x15, 0x11, 0x11}, /* m */
    {0x00, 0x00, 0x16, 0x19, 0x11, 0x11, 0x11}, /* n */
    {0x00, 0x00, 0x0e, 0x11, 0x11, 0x11, 0x0e}, /* o */
    {0x00, 0x00, 0x1e, 0x11, 0x1e, 0x10, 0x10}, /* p */
    {0x00, 0x00, 0x0d, 0x13, 0x0f, 0x01, 0x01}, /* q */
    {0x00, 0x00, 0x16, 0x19, 0x10, 0x10, 0x10}, /* r */
    {0x00, 0x00, 0x0e, 0x10, 0x0e, 0x01, 0x1e}, /* s */
    {0x08, 0x08, 0x1c, 0x08, 0x08, 0x09, 0x06}, /* t */
    {0x00, 0x00, 0x11, 0x11, 0x11, 0x13, 0x0d}, /* u */
    {0x00, 0x00, 0x11, 0x11, 0x11, 0x0a, 0x04}, /* v */
    {0x00, 0x00, 0x11, 0x11, 0x15, 0x15, 0x0a}, /* w */
    {0x00, 0x00, 0x11, 0x0a, 0x04, 0x0a, 0x11}, /* x */
    {0x00, 0x00, 0x11, 0x11, 0x0f, 0x01, 0x0e}, /* y */
    {0x00, 0x00, 0x1f, 0x02, 0x04, 0x08, 0x1f}, /* z */
    {0x02, 0x04, 0x04, 0x08, 0x04, 0x04, 0x02}, /* { */
    {0x04, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04}, /* | */
    {0x08, 0x04, 0x04, 0x02, 0x04, 0x04, 0x08}, /* } */
    {0x00, 0x00, 0x08, 0x15, 0x02, 0x00, 0x00}, /* ~ */
};

static bool coord_ok(float v)
{
    return isfinite(v) && fabsf(v) <= COORD_LIMIT;
}

static float clampf(float v, float lo, float hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static void blend(uint8_t *px, app_rgb c, float a)
{
    px[0] = (uint8_t)(px[0] + (c.r - px[0]) * a + 0.5f);
    px[1] = (uint8_t)(px[1] + (c.g - px[1]) * a + 0.5f);
    px[2] = (uint8_t)(px[2] + (c.b - px[2]) * a + 0.5f);
}

void app_clear(app_canvas *c, app_rgb color)
{
    app_fill_rect(c, 0, 0, c->width, c->height, color, 1.0f);
}

void app_fill_rect(app_canvas *c, int x0, int y0, int x1, int y1,
                   app_rgb color, float alpha)
{
    x0 = x0 < 0 ? 0 : x0;
    y0 = y0 < 0 ? 0 : y0;
    x1 = x1 > c->width ? c->width : x1;
    y1 = y1 > c->height ? c->height : y1;
    if (!(alpha > 0.0f))
        return;
    alpha = alpha > 1.0f ? 1.0f : alpha;
    for (int y = y0; y < y1; y++) {
        uint8_t *row = c->rgb + (size_t)y * c->stride;
        for (int x = x0; x < x1; x++)
            blend(row + 3 * x, color, alpha);
    }
}

/* The x range where k * x + m lies in [lo, hi], intersected into *xlo,
 * *xhi; false when empty. */
static bool clip_linear(float k, float m, float lo, float hi, float *xlo,
                        float *xhi)
{
    if (fabsf(k) < 1e-6f)
        return m >= lo && m <= hi;
    float a = (lo - m) / k, b = (hi - m) / k;
    if (a > b) {
        float t = a;
        a = b;
        b = t;
    }
    *xlo = fmaxf(*xlo, a);
    *xhi = fminf(*xhi, b);
    return *xlo <= *xhi;
}

/* A segment from a to b inflated by radius r: the shape behind lines,
 * round caps and discs (a == b). Precomputed once per shape. */
typedef struct capsule {
    float ax, ay, bx, by;
    float ux, uy, len;  /* unit direction and length (0 for a disc) */
    float r;            /* full coverage inside r, none beyond r + 1 */
} capsule;

/* Grows [*lo, *hi] by the chord of the disc (cx, cy, R) at height y. */
static void span_disc(float cx, float cy, float rr, float y, float *lo,
                      float *hi)
{
    float dy = y - cy;
    if (fabsf(dy) > rr)
        return;
    float h = sqrtf(rr * rr - dy * dy);
    *lo = fminf(*lo, cx - h);
    *hi = fmaxf(*hi, cx + h);
}

/* The x interval of row centre y inside the feathered capsule. A capsule
 * is convex, so the row meets it in one interval: the union of the caps'
 * chords and the band between them. */
static bool capsule_span(const capsule *s, float y, float *lo, float *hi)
{
    float rr = s->r + 1.0f;
    *lo = INFINITY;
    *hi = -INFINITY;
    span_disc(s->ax, s->ay, rr, y, lo, hi);
    span_disc(s->bx, s->by, rr, y, lo, hi);
    if (s->len > 0.0f) {
        float blo = -INFINITY, bhi = INFINITY;
        float dy = y - s->ay;
        /* across: |n . (p - a)| <= rr with n = (-uy, ux) */
        bool in = clip_linear(-s->uy, -s->uy * -s->ax + s->ux * dy, -rr, rr,
                              &blo, &bhi);
        /* along: 0 <= u . (p - a) <= len */
        in = in && clip_linear(s->ux, -s->ux * s->ax + s->uy * dy, 0.0f,
                               s->len, &blo, &bhi);
        if (in) {
            *lo = fminf(*lo, blo);
            *hi = fmaxf(*hi, bhi);
        }
    }
    return *lo <= *hi;
}

static float capsule_dist(const capsule *s, float x, float y)
{
    float px = x - s->ax, py = y - s->ay;
    float t = clampf(px * s->ux + py * s->uy, 0.0f, s->len);
    return hypotf(px - t * s->ux, py - t * s->uy);
}

static void fill_capsule(app_canvas *c, const capsule *s, app_rgb color,
                         float alpha)
{
    float rr = s->r + 1.0f;
    float ytop = fminf(s->ay, s->by) - rr, ybot = fmaxf(s->ay, s->by) + rr;
    int y0 = (int)floorf(clampf(ytop, 0.0f, (float)c->height));
    int y1 = (int)ceilf(clampf(ybot, 0.0f, (float)c->height));
    for (int y = y0; y < y1; y++) {
        float yc = y + 0.5f, lo, hi;
        if (!capsule_span(s, yc, &lo, &hi))
            continue;
        int x0 = (int)floorf(clampf(lo, 0.0f, (float)c->width));
        int x1 = (int)ceilf(clampf(hi, 0.0f, (float)c->width));
        uint8_t *row = c->rgb + (size_t)y * c->stride;
        for (int x = x0; x < x1; x++) {
            /* one pixel of linear feather centred on the edge */
            float d = capsule_dist(s, x + 0.5f, yc);
            float cov = clampf(s->r + 0.5f - d, 0.0f, 1.0f);
            if (cov > 0.0f)
                blend(row + 3 * x, color, cov * alpha);
        }
    }
}

static bool make_capsule(float x0, float y0, float x1, float y1, float r,
                         capsule *s)
{
    if (!coord_ok(x0) || !coord_ok(y0) || !coord_ok(x1) || !coord_ok(y1) ||
        !(r > 0.0f) || r > COORD_LIMIT)
        return false;
    float dx = x1 - x0, dy = y1 - y0, len = hypotf(dx, dy);
    *s = (capsule){x0, y0, x1, y1, 0.0f, 0.0f, 0.0f, r};
    if (len > 1e-6f) {
        s->ux = dx / len;
        s->uy = dy / len;
        s->len = len;
    }
    return true;
}

void app_draw_line(app_canvas *c, float x0, float y0, float x1, float y1,
                   float width, app_rgb color, float alpha)
{
    capsule s;
    if (alpha > 0.0f && make_capsule(x0, y0, x1, y1, 0.5f * width, &s))
        fill_capsule(c, &s, color, fminf(alpha, 1.0f));
}

void app_fill_circle(app_canvas *c, float cx, float cy, float radius,
                     app_rgb color, float alpha)
{
    capsule s;
    if (alpha > 0.0f && make_capsule(cx, cy, cx, cy, radius, &s))
        fill_capsule(c, &s, color, fminf(alpha, 1.0f));
}

static void draw_polygon(app_canvas *c, const float (*p)[2], int n,
                         float width, app_rgb color, float alpha)
{
    for (int i = 0; i < n; i++) {
        const float *a = p[i], *b = p[(i + 1) % n];
        app_draw_line(c, a[0], a[1], b[0], b[1], width, color, alpha);
    }
}

void app_draw_rect(app_canvas *c, float x0, float y0, float x1, float y1,
                   float width, app_rgb color, float alpha)
{
    const float p[4][2] = {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}};
    draw_polygon(c, p, 4, width, color, alpha);
}

void app_draw_roi(app_canvas *c, const eng_roi *roi, float width,
                  app_rgb color, float alpha)
{
    float cx = roi->cx * c->width, cy = roi->cy * c->height;
    float hw = 0.5f * roi->w * c->width, hh = 0.5f * roi->h * c->height;
    float cs = cosf(roi->rotation), sn = sinf(roi->rotation);
    const float corner[4][2] = {{-hw, -hh}, {hw, -hh}, {hw, hh}, {-hw, hh}};
    float p[4][2];
    /* positive rotation is clockwise on screen, y down (eng_roi) */
    for (int i = 0; i < 4; i++) {
        p[i][0] = cx + corner[i][0] * cs - corner[i][1] * sn;
        p[i][1] = cy + corner[i][0] * sn + corner[i][1] * cs;
    }
    draw_polygon(c, (const float (*)[2])p, 4, width, color, alpha);
}

int app_text_width(const char *text, int scale)
{
    int n = 0;
    while (text[n])
        n++;
    scale = scale < 1 ? 1 : scale;
    return n ? (n * GLYPH_ADVANCE - 1) * scale : 0;
}

int app_text_height(int scale)
{
    return GLYPH_H * (scale < 1 ? 1 : scale);
}

static void draw_glyph(app_canvas *c, int x, int y, unsigned char ch,
                       int scale, app_rgb color)
{
    const uint8_t *g = font5x7[(ch < 32 || ch > 126 ? '?' : ch) - 32];
    for (int row = 0; row < GLYPH_H; row++) {
        for (int col = 0; col < GLYPH_W; col++) {
            if (!(g[row] & (0x10 >> col)))
                continue;
            int px = x + col * scale, py = y + row * scale;
            app_fill_rect(c, px, py, px + scale, py + scale, color, 1.0f);
        }
    }
}

int app_draw_text(app_canvas *c, int x, int y, const char *text, int scale,
                  app_rgb color)
{
    scale = scale < 1 ? 1 : scale;
    for (const char *p = text; *p; p++) {
        /* stop before int overflow; the rest is off any canvas anyway */
        if (x > c->width)
            break;
        draw_glyph(c, x, y, (unsigned char)*p, scale, color);
        x += GLYPH_ADVANCE * scale;
    }
    return x;
}

int app_draw_label(app_canvas *c, int x, int y, const char *text, int scale,
                   app_rgb color, app_rgb bg)
{
    scale = scale < 1 ? 1 : scale;
    int w = app_text_width(text, scale) + 2 * scale;
    int h = app_text_height(scale) + 2 * scale;
    app_fill_rect(c, x, y, x + w, y + h, bg, 0.6f);
    app_draw_text(c, x + scale, y + scale, text, scale, color);
    return w;
}

/* --- results ----------------------------------------------------------- */

static app_style resolve_style(const app_canvas *c,
                               const app_overlay_desc *desc)
{
    if (desc && desc->style)
        return *desc->style;
    return app_style_for_frame(c->width, c->height);
}

/* Opacity of a pose point: 0 when hidden, else fading with visibility so
 * that doubtful points read as doubtful. */
static float point_alpha(const eng_person *p, int i, const app_style *st,
                         const app_overlay_desc *desc)
{
    float v = p->kp[i][3];
    v = isfinite(v) ? clampf(v, 0.0f, 1.0f) : 0.0f;
    if (v < st->min_visibility && !desc->show_invisible)
        return 0.0f;
    return 0.3f + 0.7f * v;
}

/* Keeps a label's top-left corner on the canvas so it is never lost. */
static void place_label(const app_canvas *c, float x, float y, int w, int h,
                        int *lx, int *ly)
{
    x = clampf(isfinite(x) ? x : 0.0f, 0.0f, (float)(c->width - w));
    y = clampf(isfinite(y) ? y : 0.0f, 0.0f, (float)(c->height - h));
    *lx = (int)x;
    *ly = (int)y;
}

static void draw_tag(app_canvas *c, float x, float y, const char *text,
                     const app_style *st, app_rgb color)
{
    int s = st->font_scale;
    int w = app_text_width(text, s) + 2 * s;
    int h = app_text_height(s) + 2 * s;
    int lx, ly;
    place_label(c, x, y, w, h, &lx, &ly);
    app_draw_label(c, lx, ly, text, s, color, st->text_bg);
}

static void draw_roi_of(app_canvas *c, const eng_roi *roi, bool detector,
                        const app_style *st)
{
    app_draw_roi(c, roi, st->roi_width,
                 detector ? st->roi_detector : st->roi, 1.0f);
}

static void draw_point(app_canvas *c, float x, float y, const app_style *st,
                       app_rgb color, float alpha)
{
    app_fill_circle(c, x, y, st->point_radius + 1.0f, st->point_rim, alpha);
    app_fill_circle(c, x, y, st->point_radius, color, alpha);
}

void app_draw_person(app_canvas *c, const eng_person *p,
                     const app_overlay_desc *desc)
{
    static const app_overlay_desc defaults;
    desc = desc ? desc : &defaults;
    app_style st = resolve_style(c, desc);
    if (desc->rois)
        draw_roi_of(c, &p->roi, p->from_detector, &st);

    float alpha[ENG_POSE_POINTS];
    for (int i = 0; i < ENG_POSE_POINTS; i++)
        alpha[i] = point_alpha(p, i, &st, desc);
    for (int e = 0; e < APP_POSE_EDGE_COUNT; e++) {
        const app_edge *ed = &app_pose_edges[e];
        float a = fminf(alpha[ed->a], alpha[ed->b]);
        app_draw_line(c, p->kp[ed->a][0], p->kp[ed->a][1], p->kp[ed->b][0],
                      p->kp[ed->b][1], st.line_width, st.pose[ed->side], a);
    }
    /* the label goes above the highest drawn point */
    float top_x = NAN, top_y = INFINITY;
    for (int i = 0; i < ENG_POSE_POINTS; i++) {
        draw_point(c, p->kp[i][0], p->kp[i][1], &st,
                   st.pose[app_pose_point_side(i)], alpha[i]);
        if (alpha[i] > 0.0f && coord_ok(p->kp[i][0]) &&
            coord_ok(p->kp[i][1]) && p->kp[i][1] < top_y) {
            top_x = p->kp[i][0];
            top_y = p->kp[i][1];
        }
    }
    if (desc->hide_ids || !isfinite(top_y))
        return;
    char text[24];
    snprintf(text, sizeof text, "#%d", p->id);
    int h = app_text_height(st.font_scale) + 2 * st.font_scale;
    draw_tag(c, top_x - 0.5f * app_text_width(text, st.font_scale),
             top_y - 3.0f * st.point_radius - h, text, &st, st.text);
}

void app_draw_hand(app_canvas *c, const eng_hand *h,
                   const app_overlay_desc *desc)
{
    static const app_overlay_desc defaults;
    desc = desc ? desc : &defaults;
    app_style st = resolve_style(c, desc);
    bool right = h->handedness == ENG_HAND_RIGHT;
    app_rgb color = st.hand[right ? ENG_HAND_RIGHT : ENG_HAND_LEFT];
    if (desc->rois)
        draw_roi_of(c, &h->roi, h->from_detector, &st);

    /* fingers are small: thinner than body lines */
    float width = fmaxf(1.0f, 0.75f * st.line_width);
    for (int e = 0; e < APP_HAND_EDGE_COUNT; e++) {
        const app_edge *ed = &app_hand_edges[e];
        app_draw_line(c, h->kp[ed->a][0], h->kp[ed->a][1], h->kp[ed->b][0],
                      h->kp[ed->b][1], width, color, 1.0f);
    }
    app_style pst = st;
    pst.point_radius = fmaxf(2.5f, 0.8f * st.point_radius);
    for (int i = 0; i < ENG_HAND_POINTS; i++)
        draw_point(c, h->kp[i][0], h->kp[i][1], &pst, color, 1.0f);

    if (desc->hide_ids || !coord_ok(h->kp[0][0]) || !coord_ok(h->kp[0][1]))
        return;
    char text[32];
    snprintf(text, sizeof text, "%s #%d", right ? "Right" : "Left", h->id);
    draw_tag(c, h->kp[0][0] + 2.0f * st.point_radius,
             h->kp[0][1] + 2.0f * st.point_radius, text, &st, color);
}

void app_draw_results(app_canvas *c, const eng_person *people, int n_people,
                      const eng_hand *hands, int n_hands,
                      const app_overlay_desc *desc)
{
    static const app_overlay_desc defaults;
    app_overlay_desc d = desc ? *desc : defaults;
    /* resolve the style once for the whole frame */
    app_style st = resolve_style(c, &d);
    d.style = &st;
    for (int i = 0; i < n_people; i++)
        app_draw_person(c, &people[i], &d);
    for (int i = 0; i < n_hands; i++)
        app_draw_hand(c, &hands[i], &d);
}
