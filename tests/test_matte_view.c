/*
 * test_matte_view: person mattes in the window and headless runs, under
 * Xvfb + llvmpipe (tests/xvfb.sh). Runs `posescope` as a child process:
 *   1. The window on pose_squats_10s.mp4 with --matte-from pose and the
 *      composite view over a solid colour, --sync, recording 4 frames, a
 *      screenshot, --results and --matte-out: exactly 4 alpha PNGs; in
 *      the last frame (the lossless screenshot and the MP4), background
 *      pixels (alpha 0 in --matte-out, far from every keypoint, away from
 *      the status line and the plot panel) carry the colour, pixels inside
 *      the torso (between the shoulders and hips of results.jsonl, alpha
 *      255) keep the decoded source frame's colour, and the matte is
 *      opaque at 90% of the visible keypoints (whose own pixels are under
 *      the skeleton's points).
 *   2. --headless on an image with the composite view, drawn by the same
 *      GL renderer and, with DISPLAY unset, in software: the annotated
 *      PNG carries the colour where the matte is 0 and the image's pixels
 *      where it is 255 (and the skeleton is not drawn).
 *   3. --matte-from pose: the body model's segmentation as the coarse
 *      mask matches the image's ground-truth mask (IoU at alpha 0.5), and
 *      with --no-pose it is a usage error.
 * argv[1] is the posescope binary.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "media.h"
#include "proc.h"
#include "style.h"
#include "testlib.h"

#define VIDEO POSESCOPE_TEST_DATA "/media/videos/pose_squats_10s.mp4"
#define IMAGE POSESCOPE_TEST_DATA "/media/images/obama_portrait_pd.jpg"
/* red background, blue person */
#define MASK POSESCOPE_TEST_DATA "/media/images/obama_portrait_pd.mask.png"
#define FRAMES 4

static const uint8_t magenta[3] = { 255, 0, 255 };
static const uint8_t blue[3] = { 0, 0, 255 };
static char dir[64];

/* posescope's stderr, in dir. */
static char log_path[96];

/* The keypoints (x, y, visibility) of the first person on line `frame`
 * of a results.jsonl; returns how many (0 when none). */
static int keypoints(const char *path, int frame, float kp[][3], int cap)
{
    tjson *t = tjson_load_frame(path, frame);
    const tjson *p = tjson_at(tjson_get(t, "people"), 0);
    const tjson *k = tjson_get(p, "keypoints");
    int n = 0;
    for (int i = 0; i < tjson_len(k) && i < cap; i++, n++)
        for (int c = 0; c < 3; c++)
            kp[i][c] = (float)tjson_num(
                tjson_at(tjson_at(k, i), c == 2 ? 3 : c), -1);
    tjson_free(t);
    return n;
}

static int dist(const uint8_t *p, const uint8_t *q)
{
    int d = 0;
    for (int c = 0; c < 3; c++)
        d = abs(p[c] - q[c]) > d ? abs(p[c] - q[c]) : d;
    return d;
}

static const uint8_t *px(const app_frame *f, int x, int y)
{
    return f->rgb + (size_t)y * f->stride + 3 * x;
}

/* Background pixels of `shown` in rows [y0, y1): alpha 0 and farther
 * than `far` from every keypoint. Returns the fraction within `tol` of
 * `color`; *n is how many were tested. */
static double background_hits(const app_frame *shown, const app_frame *alpha,
                              float kp[][3], int n_kp, int y0, int y1,
                              float far, const uint8_t *color, int tol,
                              int *n)
{
    int tested = 0, hit = 0;
    for (int y = y0; y < y1; y += 3)
        for (int x = 0; x < shown->width; x += 3) {
            if (px(alpha, x, y)[0] != 0)
                continue;
            bool near = false;
            for (int i = 0; i < n_kp && !near; i++)
                near = hypotf(kp[i][0] - x, kp[i][1] - y) < far;
            if (near)
                continue;
            tested++;
            hit += dist(px(shown, x, y), color) <= tol;
        }
    *n = tested;
    return tested ? (double)hit / tested : 0;
}

/* Whether (x, y) is under the skeleton the window draws: near one of
 * its edges or points (the style's widths, plus anti-aliasing). */
static bool under_skeleton(float kp[][3], int w, int h, float x, float y)
{
    app_style st = app_style_for_frame(w, h);
    float reach = st.point_radius + 0.5f * st.line_width + 3;
    for (int e = 0; e < APP_POSE_EDGE_COUNT; e++) {
        const float *a = kp[app_pose_edges[e].a], *b = kp[app_pose_edges[e].b];
        float dx = b[0] - a[0], dy = b[1] - a[1];
        float t = (dx * (x - a[0]) + dy * (y - a[1])) /
                  fmaxf(dx * dx + dy * dy, 1e-6f);
        t = fminf(fmaxf(t, 0), 1);
        if (hypotf(a[0] + t * dx - x, a[1] + t * dy - y) < reach)
            return true;
    }
    return false;
}

/* Pixels inside the torso quadrilateral (shoulders 11, 12, hips 24, 23),
 * on a 5 x 5 grid over its middle, where alpha is 255 and the skeleton
 * is not drawn (the arms may be in front): the fraction
 * within `tol` of the source frame; *n is how many were tested. */
static double torso_hits(const app_frame *shown, const app_frame *src,
                         const app_frame *alpha, float kp[][3], int tol,
                         int *n)
{
    const int corner[4] = { 11, 12, 24, 23 };
    int tested = 0, hit = 0;
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++) {
            float u = 0.3f + 0.1f * i, v = 0.3f + 0.1f * j;
            float x = (1 - v) * ((1 - u) * kp[corner[0]][0] +
                                 u * kp[corner[1]][0]) +
                      v * ((1 - u) * kp[corner[3]][0] +
                           u * kp[corner[2]][0]);
            float y = (1 - v) * ((1 - u) * kp[corner[0]][1] +
                                 u * kp[corner[1]][1]) +
                      v * ((1 - u) * kp[corner[3]][1] +
                           u * kp[corner[2]][1]);
            int xi = (int)x, yi = (int)y;
            if (xi < 0 || yi < 0 || xi >= src->width ||
                yi >= src->height || px(alpha, xi, yi)[0] != 255 ||
                under_skeleton(kp, src->width, src->height, x, y))
                continue;
            tested++;
            hit += dist(px(shown, xi, yi), px(src, xi, yi)) <= tol;
        }
    *n = tested;
    return tested ? (double)hit / tested : 0;
}

static int count_pngs(const char *sub)
{
    int n = 0;
    for (;; n++) {
        char path[160];
        snprintf(path, sizeof path, "%s/%s/%06d.png", dir, sub, n);
        if (access(path, F_OK) != 0)
            return n;
    }
}

static void check_window(const char *bin)
{
    char mp4[128], res[128], shot[128], mo[128], alpha_png[160];
    snprintf(mp4, sizeof mp4, "%s/out.mp4", dir);
    snprintf(res, sizeof res, "%s/results.jsonl", dir);
    snprintf(shot, sizeof shot, "%s/shot.png", dir);
    snprintf(mo, sizeof mo, "%s/mo", dir);
    snprintf(alpha_png, sizeof alpha_png, "%s/alpha/%06d.png", mo,
             FRAMES - 1);
    /* The body model's mask: the selfie model is made for head-and-
     * shoulders shots and loses the far hand and the feet of this
     * full-body clip (alpha 0.2-0.4 at those keypoints). */
    const char *args[] = { VIDEO, "--matte-from", "pose", "--view",
                           "composite", "--background", "#ff00ff",
                           "--frames", "4",
                           "--sync", "--fast", "--record", mp4, "--results",
                           res, "--screenshot", shot, "--matte-out", mo,
                           "--threads", "2", "--no-hands", NULL };
    int rc = test_run(bin, args, log_path, 0);
    CHECK(rc == 0, "posescope exited %d", rc);
    int pngs = count_pngs("mo/alpha");
    CHECK(pngs == FRAMES, "--matte-out wrote %d alpha PNGs, want %d", pngs,
          FRAMES);
    app_frame src = test_read_frame(VIDEO, FRAMES - 1, NULL);
    app_frame png = test_read_frame(shot, 0, NULL);
    app_frame last = test_read_frame(mp4, FRAMES - 1, NULL);
    app_frame alpha = test_read_frame(alpha_png, 0, NULL);
    float kp[33][3];
    int n_kp = keypoints(res, FRAMES - 1, kp, 33);
    CHECK(n_kp == 33, "frame %d: %d keypoints", FRAMES - 1, n_kp);
    if (!src.rgb || !png.rgb || !last.rgb || !alpha.rgb || n_kp != 33)
        goto out;
    CHECK(png.width == src.width && alpha.width == src.width &&
          last.width == src.width && png.height == src.height,
          "sizes: screenshot %dx%d, alpha %dx%d, source %dx%d", png.width,
          png.height, alpha.width, alpha.height, src.width, src.height);
    /* below the status line, above the plot panel (bottom 28%) */
    int y0 = src.height / 12, y1 = src.height - (int)(0.3 * src.height);
    float far = 0.1f * (float)src.height;
    int n;
    double lossless = background_hits(&png, &alpha, kp, n_kp, y0, y1, far,
                                      magenta, 2, &n);
    CHECK(n > 1000, "only %d background pixels to test", n);
    CHECK(lossless >= 0.99, "screenshot: %.1f%% of %d background pixels "
          "are the background colour", 100 * lossless, n);
    double lossy = background_hits(&last, &alpha, kp, n_kp, y0, y1, far,
                                   magenta, 40, &n);
    CHECK(lossy >= 0.95, "MP4: %.1f%% of %d background pixels near the "
          "background colour", 100 * lossy, n);
    fprintf(stderr, "background colour: screenshot %.1f%%, MP4 %.1f%% of "
            "%d pixels\n", 100 * lossless, 100 * lossy, n);
    double t_png = torso_hits(&png, &src, &alpha, kp, 2, &n);
    CHECK(n >= 10, "only %d torso pixels with alpha 255", n);
    CHECK(t_png >= 0.99, "screenshot: %.0f%% of %d torso pixels keep the "
          "frame's colour", 100 * t_png, n);
    double t_mp4 = torso_hits(&last, &src, &alpha, kp, 40, &n);
    CHECK(t_mp4 >= 0.9, "MP4: %.0f%% of %d torso pixels near the frame's "
          "colour", 100 * t_mp4, n);
    fprintf(stderr, "torso keeps the frame: screenshot %.0f%%, MP4 %.0f%% "
            "of %d pixels\n", 100 * t_png, 100 * t_mp4, n);
    /* At the keypoints themselves the skeleton's points cover the
     * composite, so what the composite shows there is read from the
     * matte: opaque (>= 0.95) means the frame's own colour. */
    int visible = 0, opaque = 0;
    for (int k = 0; k < n_kp; k++) {
        int x = (int)kp[k][0], y = (int)kp[k][1];
        if (kp[k][2] < 0.9f || x < 0 || y < 0 || x >= alpha.width ||
            y >= alpha.height)
            continue;
        visible++;
        opaque += px(&alpha, x, y)[0] >= 242;
    }
    CHECK(visible >= 15 && opaque >= 0.9 * visible, "the matte is opaque "
          "at %d of %d visible keypoints", opaque, visible);
    fprintf(stderr, "opaque matte at %d of %d visible keypoints\n", opaque,
            visible);
out:
    free((void *)src.rgb);
    free((void *)png.rgb);
    free((void *)last.rgb);
    free((void *)alpha.rgb);
}

static void check_headless(const char *bin, bool software)
{
    char out[128], annotated[160], alpha_png[160], res[160];
    snprintf(out, sizeof out, "%s/%s", dir, software ? "sw" : "gl");
    snprintf(annotated, sizeof annotated, "%s/annotated/obama_portrait_pd.png",
             out);
    snprintf(alpha_png, sizeof alpha_png, "%s/alpha/obama_portrait_pd.png",
             out);
    snprintf(res, sizeof res, "%s/results.jsonl", out);
    const char *args[] = { "--headless", IMAGE, "--out", out, "--matte",
                           "--background", "blue", "--matte-out", out,
                           "--threads", "2", "--no-hands", NULL };
    char *display = getenv("DISPLAY") ? strdup(getenv("DISPLAY")) : NULL;
    if (software)
        unsetenv("DISPLAY");
    int rc = test_run(bin, args, log_path, 0);
    if (display)
        setenv("DISPLAY", display, 1);
    free(display);
    CHECK(rc == 0, "headless exited %d", rc);
    float kp[33][3];
    int n_kp = keypoints(res, 0, kp, 33);
    app_frame a = test_read_frame(annotated, 0, NULL);
    app_frame alpha = test_read_frame(alpha_png, 0, NULL);
    app_frame src = test_read_frame(IMAGE, 0, NULL);
    if (a.rgb && alpha.rgb && src.rgb && n_kp == 33) {
        long bg = 0, bg_hit = 0, fg = 0, fg_hit = 0;
        for (int y = 0; y < a.height; y += 2)
            for (int x = 0; x < a.width; x += 2) {
                int al = px(&alpha, x, y)[0];
                if (al == 0) {
                    bg++;
                    bg_hit += dist(px(&a, x, y), blue) <= 2;
                } else if (al == 255 &&
                           !under_skeleton(kp, a.width, a.height, x, y)) {
                    fg++;
                    fg_hit += dist(px(&a, x, y), px(&src, x, y)) <= 2;
                }
            }
        /* the track id's label is not excluded: a few pixels */
        const char *how = software ? "software" : "OpenGL";
        CHECK(bg > 1000 && bg_hit >= 0.99 * bg, "headless (%s): %ld of %ld "
              "background pixels blue", how, bg_hit, bg);
        CHECK(fg > 1000 && fg_hit >= 0.98 * fg, "headless (%s): %ld of %ld "
              "person pixels the image's", how, fg_hit, fg);
        fprintf(stderr, "headless composite (%s): background %ld/%ld, "
                "person %ld/%ld\n", how, bg_hit, bg, fg_hit, fg);
    }
    free((void *)a.rgb);
    free((void *)alpha.rgb);
    free((void *)src.rgb);
}

static void check_pose_mask(const char *bin)
{
    char out[128], alpha_png[160];
    snprintf(out, sizeof out, "%s/pose", dir);
    snprintf(alpha_png, sizeof alpha_png, "%s/alpha/obama_portrait_pd.png",
             out);
    const char *args[] = { "--headless", IMAGE, "--out", out,
                           "--matte-from", "pose", "--matte-out", out,
                           "--threads", "2", "--no-hands", NULL };
    int rc = test_run(bin, args, log_path, 0);
    CHECK(rc == 0, "--matte-from pose exited %d", rc);
    app_frame alpha = test_read_frame(alpha_png, 0, NULL);
    app_frame gt = test_read_frame(MASK, 0, NULL);
    if (alpha.rgb && gt.rgb && alpha.width == gt.width &&
        alpha.height == gt.height) {
        long inter = 0, uni = 0;
        for (int y = 0; y < gt.height; y++)
            for (int x = 0; x < gt.width; x++) {
                bool a = px(&alpha, x, y)[0] >= 128;
                bool g = px(&gt, x, y)[2] > px(&gt, x, y)[0];
                inter += a && g;
                uni += a || g;
            }
        double iou = uni ? (double)inter / uni : 0;
        /* coarser than the selfie model's 0.988 (a 256x256 mask of the
         * person's ROI, not of the portrait) */
        CHECK(iou >= 0.93, "--matte-from pose: IoU %.3f", iou);
        fprintf(stderr, "--matte-from pose: IoU %.3f vs the ground truth\n",
                iou);
    } else {
        CHECK(0, "--matte-from pose: no alpha of the image's size");
    }
    free((void *)alpha.rgb);
    free((void *)gt.rgb);
    const char *bad[] = { "--headless", IMAGE, "--out", out, "--matte-from",
                          "pose", "--no-pose", NULL };
    rc = test_run(bin, bad, log_path, 2);
    CHECK(rc == 2, "--matte-from pose --no-pose exited %d, want 2", rc);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        CHECK(0, "usage: test_matte_view POSESCOPE");
        return test_finish();
    }
    snprintf(dir, sizeof dir, "/tmp/posescope-matte-view-XXXXXX");
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(log_path, sizeof log_path, "%s/log", dir);
    check_window(argv[1]);
    check_headless(argv[1], false);
    check_headless(argv[1], true);
    check_pose_mask(argv[1]);
    return test_finish_in(dir);
}

