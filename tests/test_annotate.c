/*
 * test_annotate: app/annotate.c draws where it should, in the colours of
 * app/style.h, and never outside the canvas, whatever the coordinates
 * (off-frame, huge, NaN, infinite).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "annotate.h"
#include "testlib.h"

#define W 64
#define H 48
#define STRIDE (W * 3 + 5)  /* padded rows: the padding must stay untouched */
#define GUARD 64            /* bytes before and after the pixels */
#define MARK 0xAB

static uint8_t buf[GUARD + STRIDE * H + GUARD];

static const app_rgb black = {0, 0, 0};
static const app_rgb red = {255, 0, 0};

static app_canvas fresh_canvas(void)
{
    memset(buf, MARK, sizeof buf);
    app_canvas c = {W, H, STRIDE, buf + GUARD};
    app_clear(&c, black);
    return c;
}

static const uint8_t *px(const app_canvas *c, int x, int y)
{
    return c->rgb + (size_t)y * c->stride + 3 * x;
}

static int is_color(const app_canvas *c, int x, int y, app_rgb col)
{
    const uint8_t *p = px(c, x, y);
    return p[0] == col.r && p[1] == col.g && p[2] == col.b;
}

/* Guards, row padding: nothing outside the W x H pixels was written. */
static void check_bounds(const char *what)
{
    int bad = 0;
    for (int i = 0; i < GUARD; i++)
        bad += buf[i] != MARK || buf[GUARD + STRIDE * H + i] != MARK;
    for (int y = 0; y < H; y++)
        for (int i = W * 3; i < STRIDE; i++)
            bad += buf[GUARD + y * STRIDE + i] != MARK;
    CHECK(bad == 0, "%s: %d bytes written outside the canvas", what, bad);
}

static int count_non_black(const app_canvas *c)
{
    int n = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            n += !is_color(c, x, y, black);
    return n;
}

static void test_primitives(void)
{
    app_canvas c = fresh_canvas();
    app_draw_line(&c, 10, 20, 50, 20, 4, red, 1);
    CHECK(is_color(&c, 30, 20, red) && is_color(&c, 30, 18, red),
          "inside a 4 px line is its colour");
    CHECK(is_color(&c, 30, 10, black) && is_color(&c, 30, 24, black),
          "outside the line is untouched");
    const uint8_t *edge = px(&c, 30, 22); /* centre 22.5: coverage 0 */
    const uint8_t *rim = px(&c, 51, 20);  /* round cap's feathered rim */
    CHECK(edge[0] == 0 && rim[0] > 0 && rim[0] < 255,
          "feathered edge: %d %d", edge[0], rim[0]);

    c = fresh_canvas();
    app_fill_circle(&c, 20, 20, 5, red, 1);
    CHECK(is_color(&c, 20, 20, red) && is_color(&c, 16, 20, red), "disc");
    CHECK(is_color(&c, 27, 20, black) && is_color(&c, 20, 27, black),
          "outside the disc");
    app_fill_circle(&c, 40, 20, 5, red, 0.5f);
    CHECK(abs(px(&c, 40, 20)[0] - 128) <= 1, "alpha 0.5 blends halfway");

    c = fresh_canvas();
    app_fill_rect(&c, 2, 3, 5, 6, red, 1);
    CHECK(is_color(&c, 2, 3, red) && is_color(&c, 4, 5, red) &&
              is_color(&c, 5, 5, black) && is_color(&c, 4, 6, black),
          "fill_rect is [x0, x1) x [y0, y1)");
    check_bounds("primitives");
}

static void test_roi(void)
{
    /* 32 x 24 px ROI in the middle of the 64 x 48 frame */
    eng_roi roi = {0.5f, 0.5f, 0.5f, 0.5f, 0.0f};
    app_canvas c = fresh_canvas();
    app_draw_roi(&c, &roi, 2, red, 1);
    CHECK(is_color(&c, 32, 12, red) && is_color(&c, 16, 24, red),
          "axis-aligned ROI: top and left edges");
    CHECK(is_color(&c, 32, 24, black), "ROI inside stays clear");

    /* a quarter turn clockwise: the top edge becomes the right one, at
     * x = 32 + 12 */
    roi.rotation = (float)M_PI / 2;
    c = fresh_canvas();
    app_draw_roi(&c, &roi, 2, red, 1);
    CHECK(is_color(&c, 44, 24, red) && is_color(&c, 32, 8, red),
          "rotated ROI edges");
    CHECK(is_color(&c, 32, 12, black), "rotated ROI: old top edge clear");
    check_bounds("roi");
}

static void test_text(void)
{
    CHECK(app_text_width("ab", 1) == 11 && app_text_width("ab", 2) == 22 &&
              app_text_width("", 3) == 0 && app_text_height(2) == 14,
          "text metrics");
    app_canvas c = fresh_canvas();
    int end = app_draw_text(&c, 0, 0, "I", 1, red);
    /* 'I' is .###. on its top row */
    CHECK(end == 6, "advance %d", end);
    CHECK(is_color(&c, 1, 0, red) && is_color(&c, 3, 0, red) &&
              is_color(&c, 0, 0, black) && is_color(&c, 4, 0, black),
          "glyph top row");
    CHECK(is_color(&c, 2, 3, red) && is_color(&c, 1, 3, black),
          "glyph stem");
    /* scale 2: each font pixel is 2 x 2 */
    c = fresh_canvas();
    app_draw_text(&c, 10, 10, "I", 2, red);
    CHECK(is_color(&c, 12, 10, red) && is_color(&c, 13, 11, red) &&
              is_color(&c, 11, 10, black), "scaled glyph");
    /* non-ASCII and control bytes draw as '?', text off the canvas */
    app_draw_text(&c, -7, -3, "\x01\xff??", 3, red);
    app_draw_text(&c, W - 4, H - 4, "clipped text", 4, red);
    app_draw_label(&c, -100, 40, "label", 2, red, black);
    check_bounds("text");
}

/* A standing figure filling the frame, every point visible. */
static void fake_person(eng_person *p)
{
    memset(p, 0, sizeof *p);
    p->id = 3;
    for (int i = 0; i < ENG_POSE_POINTS; i++) {
        int side = i == 0 ? 0 : (app_pose_point_side(i) == APP_SIDE_LEFT ?
                                 1 : -1);
        p->kp[i][0] = 32.0f + side * (6.0f + (i % 4));
        p->kp[i][1] = 4.0f + i * 1.3f;
        p->kp[i][3] = 1.0f;
    }
    /* the image's right side is the person's left */
    p->kp[11][0] = 44;
    p->kp[11][1] = 16;
    p->kp[13][0] = 52;
    p->kp[13][1] = 30;
    p->kp[12][0] = 20;
    p->kp[12][1] = 16;
}

static void test_person(void)
{
    eng_person p;
    fake_person(&p);
    app_style st = app_style_for_frame(W, H);
    app_canvas c = fresh_canvas();
    app_draw_person(&c, &p, NULL);
    CHECK(is_color(&c, 44, 16, st.pose[APP_SIDE_LEFT]),
          "left shoulder is the left colour");
    CHECK(is_color(&c, 48, 23, st.pose[APP_SIDE_LEFT]),
          "left upper arm (11-13) is the left colour");
    CHECK(is_color(&c, 20, 16, st.pose[APP_SIDE_RIGHT]),
          "right shoulder is the right colour");
    CHECK(is_color(&c, 32, 16, st.pose[APP_SIDE_CENTER]),
          "shoulder line (11-12) is the centre colour");

    /* an invisible elbow hides the elbow and its edges */
    p.kp[13][3] = 0.1f;
    c = fresh_canvas();
    app_draw_person(&c, &p, NULL);
    CHECK(is_color(&c, 52, 30, black), "hidden point not drawn");
    app_overlay_desc show = {.show_invisible = true};
    c = fresh_canvas();
    app_draw_person(&c, &p, &show);
    const uint8_t *e = px(&c, 52, 30);
    CHECK(e[0] > 0 && !is_color(&c, 52, 30, st.pose[APP_SIDE_LEFT]),
          "show_invisible: faint (%d %d %d)", e[0], e[1], e[2]);
    check_bounds("person");
}

static void test_hands(void)
{
    app_style st = app_style_for_frame(W, H);
    eng_hand h;
    memset(&h, 0, sizeof h);
    h.id = 1;
    for (int i = 0; i < ENG_HAND_POINTS; i++) {
        h.kp[i][0] = 10.0f + (i % 5) * 5.0f;
        h.kp[i][1] = 40.0f - (i / 5) * 6.0f;
    }
    h.handedness = ENG_HAND_LEFT;
    app_overlay_desc no_ids = {.hide_ids = true};
    app_canvas c = fresh_canvas();
    app_draw_hand(&c, &h, &no_ids);
    CHECK(is_color(&c, 10, 40, st.hand[ENG_HAND_LEFT]), "left hand colour");
    h.handedness = ENG_HAND_RIGHT;
    app_draw_hand(&c, &h, &no_ids);
    CHECK(is_color(&c, 10, 40, st.hand[ENG_HAND_RIGHT]), "right hand colour");
    /* a label adds text pixels */
    int before = count_non_black(&c);
    app_draw_hand(&c, &h, NULL);
    CHECK(count_non_black(&c) > before, "handedness label drawn");
    check_bounds("hands");
}

/* Whatever the numbers, nothing is written outside the canvas and the
 * non-finite shapes draw nothing. */
static void test_garbage_coordinates(void)
{
    app_canvas c = fresh_canvas();
    const float bad[] = {NAN, INFINITY, -INFINITY, 1e30f, -1e30f};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        app_draw_line(&c, bad[i], 5, 10, 10, 3, red, 1);
        app_draw_line(&c, 5, 5, 10, bad[i], 3, red, 1);
        app_fill_circle(&c, bad[i], bad[i], 4, red, 1);
        app_fill_circle(&c, 10, 10, bad[i], red, 1);
        app_draw_line(&c, 1, 1, 10, 10, bad[i], red, 1);
    }
    /* alpha above 1 is 1; NaN and negative draw nothing */
    app_draw_line(&c, 1, 1, 10, 10, 3, red, NAN);
    app_draw_line(&c, 1, 1, 10, 10, 3, red, -INFINITY);
    app_fill_rect(&c, 1, 1, 10, 10, red, NAN);
    CHECK(count_non_black(&c) == 0, "non-finite shapes draw nothing");

    eng_person p;
    fake_person(&p);
    for (int i = 0; i < ENG_POSE_POINTS; i++)
        for (int k = 0; k < 4; k++)
            p.kp[i][k] = bad[(i + k) % 5];
    p.roi = (eng_roi){NAN, INFINITY, 1e30f, -1, NAN};
    app_overlay_desc rois = {.rois = true, .show_invisible = true};
    app_draw_person(&c, &p, &rois);
    CHECK(count_non_black(&c) == 0, "a NaN person draws nothing");

    /* far outside but finite: clipped, partly visible */
    app_draw_line(&c, -5e5f, -5e5f, 5e5f, 5e5f, 3, red, 1);
    CHECK(is_color(&c, 20, 20, red), "huge diagonal line crosses the frame");
    app_fill_circle(&c, -1000, -1000, 5000, red, 1);
    app_draw_line(&c, -3, 24, W + 3, 24, 200, red, 1);
    app_fill_rect(&c, -5, -5, W + 5, H + 5, red, 1);
    eng_roi big = {0.5f, 0.5f, 3.0f, 3.0f, 0.3f};
    app_draw_roi(&c, &big, 4, red, 1);

    eng_hand h;
    memset(&h, 0, sizeof h);
    for (int i = 0; i < ENG_HAND_POINTS; i++) {
        h.kp[i][0] = i % 2 ? -30.0f : W + 30.0f;
        h.kp[i][1] = i % 3 ? NAN : H + 30.0f;
    }
    h.handedness = (eng_handedness)7; /* out of range: treated as left */
    app_draw_results(&c, &p, 1, &h, 1, &rois);
    check_bounds("garbage");
}

int main(void)
{
    test_primitives();
    test_roi();
    test_text();
    test_person();
    test_hands();
    test_garbage_coordinates();
    return test_finish();
}
