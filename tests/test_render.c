/*
 * test_render: the OpenGL renderer (render/) under Xvfb + Mesa llvmpipe
 * (tests/xvfb.sh starts the server). It renders a known frame with a
 * known skeleton into the offscreen target, reads it back through the
 * pixel buffer, and checks: the video pixels come through untouched, the
 * keypoints carry the app/style.h colours by side and handedness, the
 * letterbox is black, the plot panel and labels are drawn, and the
 * overlays match the software annotator's (app/annotate.c) pixels.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annotate.h"
#include "cli.h"
#include "glwin.h"
#include "render.h"
#include "testlib.h"

#define W 320
#define H 240

static uint8_t frame[W * H * 3];

static void make_frame(void)
{
    /* a smooth gradient: any texel mix-up shows */
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint8_t *p = frame + (y * W + x) * 3;
            p[0] = (uint8_t)(40 + x / 4);
            p[1] = (uint8_t)(40 + y / 4);
            p[2] = 90;
        }
}

/* 33 keypoints on a 6 x 6 grid 40 px apart, visible: no point covers
 * another, so each centre shows its own side's colour. */
static eng_person make_person(void)
{
    eng_person p = { .id = 7, .score = 1 };
    for (int i = 0; i < ENG_POSE_POINTS; i++) {
        p.kp[i][0] = 50.5f + 40.0f * (i % 6);
        p.kp[i][1] = 20.5f + 34.0f * (i / 6);
        p.kp[i][3] = 1;
    }
    p.roi = (eng_roi){ 0.5f, 0.5f, 0.8f, 0.8f, 0 };
    return p;
}

static eng_hand make_hand(eng_handedness side, float x0)
{
    eng_hand h = { .id = side == ENG_HAND_LEFT ? 1 : 2, .score = 1,
                   .handedness = side };
    for (int i = 0; i < ENG_HAND_POINTS; i++) {
        h.kp[i][0] = x0 + 9.0f * (i % 3);
        h.kp[i][1] = 30.5f + 9.0f * (i / 3);
    }
    return h;
}

static const uint8_t *at(const uint8_t *img, int x, int y)
{
    return img + ((size_t)y * W + x) * 3;
}

static int near(const uint8_t *p, app_rgb c, int tol)
{
    return abs(p[0] - c.r) <= tol && abs(p[1] - c.g) <= tol &&
           abs(p[2] - c.b) <= tol;
}

static void check_pixels(ren_renderer *r, uint8_t *out)
{
    eng_person person = make_person();
    eng_hand hands[2] = { make_hand(ENG_HAND_LEFT, 10.5f),
                          make_hand(ENG_HAND_RIGHT, 290.5f) };
    eng_error err;
    CHECK(ren_begin(r, W, H, &err) == ENG_OK, "begin: %s", err.msg);
    ren_image(r, frame, W, H, W * 3);
    ren_results(r, &person, 1, hands, 2, NULL);
    CHECK(ren_end(r, &err) == ENG_OK, "end: %s", err.msg);
    CHECK(ren_read_rgb(r, out, W * 3, &err) == ENG_OK, "read: %s", err.msg);

    app_style st = app_style_for_frame(W, H);
    int bad = 0;
    for (int i = 0; i < ENG_POSE_POINTS; i++) {
        const uint8_t *p = at(out, (int)person.kp[i][0],
                              (int)person.kp[i][1]);
        app_rgb want = st.pose[app_pose_point_side(i)];
        if (!near(p, want, 2)) {
            bad++;
            CHECK(0, "pose point %d: %d,%d,%d, want %d,%d,%d", i, p[0], p[1],
                  p[2], want.r, want.g, want.b);
        }
    }
    CHECK(bad == 0, "%d pose points off colour", bad);
    for (int k = 0; k < 2; k++) {
        app_rgb want = st.hand[hands[k].handedness];
        /* kp 19: below the "Left #1" label by the wrist */
        const uint8_t *p = at(out, (int)hands[k].kp[19][0],
                              (int)hands[k].kp[19][1]);
        CHECK(near(p, want, 2), "hand %d point: %d,%d,%d", k, p[0], p[1],
              p[2]);
    }
    /* far from every shape: the frame itself, exactly */
    const uint8_t *p = at(out, 150, 228);
    CHECK(!memcmp(p, at(frame, 150, 228), 3), "video pixel %d,%d,%d vs "
          "%d,%d,%d", p[0], p[1], p[2], at(frame, 150, 228)[0],
          at(frame, 150, 228)[1], at(frame, 150, 228)[2]);
}

/* The same results through the software annotator: away from the labels
 * (different fonts) the pixels agree. */
static void check_same_as_software(ren_renderer *r, uint8_t *out)
{
    eng_person person = make_person();
    eng_hand hand = make_hand(ENG_HAND_RIGHT, 290.5f);
    eng_error err;
    ren_overlay ov = { .hide_ids = true, .rois = true };
    CHECK(ren_begin(r, W, H, &err) == ENG_OK, "begin: %s", err.msg);
    ren_image(r, frame, W, H, W * 3);
    ren_results(r, &person, 1, &hand, 1, &ov);
    CHECK(ren_end(r, &err) == ENG_OK, "end: %s", err.msg);
    CHECK(ren_read_rgb(r, out, W * 3, &err) == ENG_OK, "read: %s", err.msg);

    static uint8_t soft[W * H * 3];
    memcpy(soft, frame, sizeof(soft));
    app_canvas c = { W, H, W * 3, soft };
    app_overlay_desc d = { .hide_ids = true, .rois = true };
    app_draw_results(&c, &person, 1, &hand, 1, &d);
    long diff = 0;
    int big = 0, max = 0;
    for (size_t i = 0; i < sizeof(soft); i++) {
        int dv = abs(out[i] - soft[i]);
        diff += dv;
        big += dv > 64;
        max = dv > max ? dv : max;
    }
    double mean = (double)diff / sizeof(soft);
    /* anti-aliasing differs at edges only: a few levels on average, and
     * only a fraction of a percent of samples far apart */
    CHECK(mean < 1.0, "mean difference from the software path %.3f", mean);
    CHECK(big < (int)(sizeof(soft) / 200), "%d samples differ by > 64 "
          "(max %d)", big, max);
}

static void check_letterbox_and_plots(ren_renderer *r)
{
    enum { TW = 480, TH = 240 };
    static uint8_t out[TW * TH * 3];
    ren_perf_set perf;
    memset(&perf, 0, sizeof(perf));
    for (int i = 0; i < 300; i++) {
        float ms[REN_STAGE_COUNT] = { 2, i % 10 == 0 ? 12 : 0, 13, 9, 3,
                                      30 + (i % 7) };
        ren_perf_push(&perf, ms, i % 10 == 0);
    }
    perf.fps = 29.5f;
    CHECK(perf.count == REN_PERF_SAMPLES, "ring holds %d", perf.count);
    CHECK(perf.stage[REN_STAGE_E2E].peak == 36, "peak %g",
          perf.stage[REN_STAGE_E2E].peak);
    CHECK(fabsf(perf.stage[REN_STAGE_BODY].avg - 13) < 1e-4f, "avg %g",
          perf.stage[REN_STAGE_BODY].avg);
    eng_error err;
    CHECK(ren_begin(r, TW, TH, &err) == ENG_OK, "begin: %s", err.msg);
    ren_image(r, frame, W, H, W * 3);
    ren_plots(r, &perf, 0, 140, TW, 100);
    ren_text(r, 90, 10, 24, "posescope", (app_rgb){ 255, 255, 255 }, 1);
    CHECK(ren_end(r, &err) == ENG_OK, "end: %s", err.msg);
    CHECK(ren_read_rgb(r, out, TW * 3, &err) == ENG_OK, "read: %s",
          err.msg);
    /* 320x240 into 480x240: 80 px bars left and right, above the plot */
    const uint8_t *bar = out + (20 * TW + 10) * 3;
    CHECK(bar[0] == 0 && bar[1] == 0 && bar[2] == 0, "letterbox bar");
    const uint8_t *vid = out + (20 * TW + 80 + 300) * 3;
    CHECK(!memcmp(vid, at(frame, 300, 20), 3), "video right of the bar");
    /* the text is white somewhere in its box */
    int white = 0;
    for (int y = 10; y < 40; y++)
        for (int x = 90; x < 200; x++)
            white += near(out + (y * TW + x) * 3, (app_rgb){ 255, 255, 255 },
                          30);
    CHECK(white > 20, "text: %d white pixels", white);
    /* the plot panel: lines in each stage colour somewhere */
    int coloured = 0;
    for (int y = 140; y < TH; y++)
        for (int x = 0; x < TW; x++) {
            const uint8_t *q = out + (y * TW + x) * 3;
            coloured += near(q, (app_rgb){ 70, 220, 90 }, 10);
        }
    CHECK(coloured > 50, "plot: %d pixels of the hands line", coloured);
}

/* Informational: what a 720p frame with a skeleton, two hands and the
 * plots costs to draw and read back (the read-back waits for the
 * rasteriser, so it includes the drawing). Printed, not checked: the
 * machine's load decides it. */
static void time_720p(ren_renderer *r)
{
    enum { TW = 1280, TH = 720, N = 20 };
    uint8_t *img = calloc((size_t)TW * TH * 3, 1), *out = malloc(
        (size_t)TW * TH * 3);
    ren_perf_set perf;
    memset(&perf, 0, sizeof(perf));
    for (int i = 0; i < REN_PERF_SAMPLES; i++) {
        float ms[REN_STAGE_COUNT] = { 2, 8, 13, 9, 3, 30 + (i % 7) };
        ren_perf_push(&perf, ms, i % 10 == 0);
    }
    eng_person p = make_person();
    for (int i = 0; i < ENG_POSE_POINTS; i++) {
        p.kp[i][0] *= 4;
        p.kp[i][1] *= 3;
    }
    eng_hand h[2] = { make_hand(ENG_HAND_LEFT, 400.5f),
                      make_hand(ENG_HAND_RIGHT, 900.5f) };
    eng_error err;
    double draw = 0, total = 0;
    for (int i = 0; i < N && img && out; i++) {
        double t0 = app_now();
        ren_begin(r, TW, TH, &err);
        ren_image(r, img, TW, TH, TW * 3);
        ren_results(r, &p, 1, h, 2, NULL);
        ren_plots(r, &perf, 0, TH - 200, TW, 200);
        ren_end(r, &err);
        double t1 = app_now();
        CHECK(ren_read_rgb(r, out, TW * 3, &err) == ENG_OK, "read: %s",
              err.msg);
        double t2 = app_now();
        if (i >= 2) { /* warm-up: shader compilation in the driver */
            draw += t1 - t0;
            total += t2 - t0;
        }
    }
    fprintf(stderr, "720p frame: %.2f ms to issue, %.2f ms drawn and read "
            "back (mean of %d)\n", 1e3 * draw / (N - 2),
            1e3 * total / (N - 2), N - 2);
    free(img);
    free(out);
}

int main(void)
{
    ren_window *win = test_gl_window();
    if (!win)
        return test_finish();
    eng_error err;
    ren_renderer *r;
    CHECK(ren_create(NULL, &r, &err) == ENG_OK, "renderer: %s", err.msg);
    if (r) {
        static uint8_t out[W * H * 3];
        make_frame();
        check_pixels(r, out);
        check_same_as_software(r, out);
        check_letterbox_and_plots(r);
        time_720p(r);
        CHECK(ren_begin(r, 0, 10, &err) == ENG_EINVAL, "zero size refused");
        ren_destroy(r);
    }
    ren_window_destroy(win);
    return test_finish();
}
