/*
 * test_viewer: the window end to end, under Xvfb + llvmpipe
 * (tests/xvfb.sh). Runs `posescope VIDEO` as a child process:
 *   1. --record 60 frames (--sync, so each frame carries its own result)
 *      with --results, --screenshot and --record-frames: the MP4 decodes (through the
 *      app's own FFmpeg source) to 60 frames at the source size; pixels at
 *      the reported keypoints carry the skeleton colours, in the lossless
 *      screenshot and in the MP4; the plot panel is drawn; the screenshot
 *      is a PNG of the source size, as are the 60 --record-frames PNGs.
 *   2. --headless under the display draws the same pixels as the window
 *      (an image: the annotated PNG vs the window's screenshot).
 *   3. SIGINT in the middle of a recording: exit status 1 and an MP4 that
 *      still decodes.
 * argv[1] is the posescope binary.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"
#include "media.h"
#include "proc.h"
#include "style.h"
#include "testlib.h"

#define VIDEO POSESCOPE_TEST_DATA "/media/videos/asl_hand_10s.mp4"
#define IMAGE POSESCOPE_TEST_DATA "/media/images/hands_two_spread.jpg"
#define FRAMES 60

static char dir[64];

/* posescope's stderr, in dir. */
static char log_path[96];

static int dist(const uint8_t *p, app_rgb c)
{
    int d = abs(p[0] - c.r);
    d = abs(p[1] - c.g) > d ? abs(p[1] - c.g) : d;
    return abs(p[2] - c.b) > d ? abs(p[2] - c.b) : d;
}

/* Fraction of the frame's keypoints (hands, and pose points with
 * visibility > 0.9) whose pixel is within `tol` of its colour. */
static double colour_hits(const app_frame *f, const tjson *res, int tol,
                          int *n_points)
{
    app_style st = app_style_for_frame(f->width, f->height);
    int n = 0, hit = 0;
    const tjson *hands = tjson_get(res, "hands");
    for (int h = 0; h < tjson_len(hands); h++) {
        const tjson *hand = tjson_at(hands, h);
        const char *side = tjson_str(tjson_get(hand, "handedness"));
        app_rgb c = st.hand[side && !strcmp(side, "Right")];
        const tjson *kp = tjson_get(hand, "keypoints");
        for (int i = 0; i < tjson_len(kp); i++) {
            int x = (int)tjson_num(tjson_at(tjson_at(kp, i), 0), -1);
            int y = (int)tjson_num(tjson_at(tjson_at(kp, i), 1), -1);
            if (x < 0 || y < 0 || x >= f->width || y >= f->height)
                continue;
            n++;
            hit += dist(f->rgb + (size_t)y * f->stride + 3 * x, c) <= tol;
        }
    }
    const tjson *people = tjson_get(res, "people");
    for (int p = 0; p < tjson_len(people); p++) {
        const tjson *kp = tjson_get(tjson_at(people, p), "keypoints");
        for (int i = 0; i < tjson_len(kp); i++) {
            const tjson *k = tjson_at(kp, i);
            int x = (int)tjson_num(tjson_at(k, 0), -1);
            int y = (int)tjson_num(tjson_at(k, 1), -1);
            if (tjson_num(tjson_at(k, 3), 0) < 0.9 || x < 0 || y < 0 ||
                x >= f->width || y >= f->height)
                continue;
            n++;
            hit += dist(f->rgb + (size_t)y * f->stride + 3 * x,
                        st.pose[app_pose_point_side(i)]) <= tol;
        }
    }
    *n_points = n;
    return n ? (double)hit / n : 0;
}

static double mean_luma(const app_frame *f, int y0, int y1)
{
    double sum = 0;
    for (int y = y0; y < y1; y++)
        for (int x = 0; x < f->width; x++) {
            const uint8_t *p = f->rgb + (size_t)y * f->stride + 3 * x;
            sum += 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
        }
    return sum / ((double)(y1 - y0) * f->width);
}

/* --latency: the plots' numbers, a header and one row of 8 columns per
 * frame shown, each stage a finite, non-negative number of ms, the
 * detector having run on the first frame. */
static void check_latency_csv(const char *path)
{
    size_t size = 0;
    char *text = (char *)test_read_file(path, &size);
    if (!text)
        return;
    char *buf = realloc(text, size + 1);
    if (!buf) {
        free(text);
        return;
    }
    buf[size] = '\0';
    int rows = 0, bad = 0, first_det = -1;
    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save), rows++) {
        if (rows == 0) {
            CHECK(!strcmp(line, "frame,decode_ms,detect_ms,body_ms,hands_ms,"
                                "render_ms,e2e_ms,detector_ran"),
                  "latency.csv header: %s", line);
            continue;
        }
        long long frame;
        float ms[6];
        int det;
        int n = sscanf(line, "%lld,%f,%f,%f,%f,%f,%f,%d", &frame, &ms[0],
                       &ms[1], &ms[2], &ms[3], &ms[4], &ms[5], &det);
        bad += n != 8;
        for (int i = 0; n == 8 && i < 6; i++)
            bad += !(ms[i] >= 0.0f && ms[i] < 1e6f);
        if (rows == 1)
            first_det = det;
    }
    CHECK(rows - 1 == FRAMES, "latency.csv: %d rows, want %d", rows - 1,
          FRAMES);
    CHECK(bad == 0, "latency.csv: %d bad values", bad);
    CHECK(first_det == 1, "latency.csv: the detector did not run on the "
          "first frame");
    free(buf);
}

static void check_recording(const char *bin)
{
    char mp4[128], res[128], shot[128], lat[128];
    snprintf(mp4, sizeof mp4, "%s/out.mp4", dir);
    snprintf(res, sizeof res, "%s/results.jsonl", dir);
    snprintf(shot, sizeof shot, "%s/shot.png", dir);
    snprintf(lat, sizeof lat, "%s/latency.csv", dir);
    char pngs[128], png59[160], png60[160];
    snprintf(pngs, sizeof pngs, "%s/frames", dir);
    snprintf(png59, sizeof png59, "%s/frame-%06d.png", pngs, FRAMES - 1);
    snprintf(png60, sizeof png60, "%s/frame-%06d.png", pngs, FRAMES);
    const char *args[] = { VIDEO, "--record", mp4, "--frames", "60",
                           "--sync", "--fast", "--results", res,
                           "--latency", lat,
                           "--screenshot", shot, "--record-frames", pngs,
                           "--threads", "1", NULL };
    int rc = test_wait(test_spawn(bin, args, log_path));
    CHECK(rc == 0, "posescope exited %d", rc);
    if (rc != 0)
        test_show_log(log_path);

    check_latency_csv(lat);
    int count = 0;
    app_frame src = test_read_frame(VIDEO, FRAMES - 1, NULL);
    app_frame last = test_read_frame(mp4, FRAMES - 1, &count);
    CHECK(count == FRAMES, "the MP4 has %d frames, want %d", count, FRAMES);
    CHECK(last.width == src.width && last.height == src.height,
          "MP4 %dx%d, source %dx%d", last.width, last.height, src.width,
          src.height);
    app_frame png = test_read_frame(shot, 0, NULL);
    /* --record-frames: one PNG per frame shown, the last one equal to the
     * screenshot (both are the final frame's read-back) */
    app_frame last_png = test_read_frame(png59, 0, NULL);
    CHECK(access(png60, F_OK) != 0, "more PNGs than frames");
    CHECK(last_png.rgb && png.rgb && last_png.height == png.height &&
          !memcmp(last_png.rgb, png.rgb, (size_t)png.stride * png.height),
          "the last --record-frames PNG differs from the screenshot");
    free((void *)last_png.rgb);
    CHECK(png.width == src.width && png.height == src.height,
          "screenshot %dx%d", png.width, png.height);

    tjson *r = tjson_load_frame(res, FRAMES - 1);
    if (r && png.rgb && last.rgb) {
        int n;
        double lossless = colour_hits(&png, r, 4, &n);
        CHECK(n >= 21, "frame %d: only %d keypoints reported", FRAMES - 1,
              n);
        /* a few points hide under later points' rims and the labels */
        CHECK(lossless >= 0.75, "screenshot: %.0f%% of %d keypoints in "
              "their colour", 100 * lossless, n);
        double lossy = colour_hits(&last, r, 48, &n);
        CHECK(lossy >= 0.6, "MP4: %.0f%% of %d keypoints near their "
              "colour", 100 * lossy, n);
        fprintf(stderr, "keypoint colours: screenshot %.0f%%, MP4 %.0f%% "
                "of %d\n", 100 * lossless, 100 * lossy, n);
    }
    tjson_free(r);
    if (png.rgb && src.rgb) {
        /* the plot panel (bottom 28%): translucent black over the video */
        int y0 = src.height - (int)(0.28 * src.height) + 2;
        double under = mean_luma(&src, y0, src.height);
        double over = mean_luma(&png, y0, src.height);
        CHECK(over < 0.6 * under, "plot panel luma %.1f over video %.1f",
              over, under);
    }
    free((void *)src.rgb);
    free((void *)last.rgb);
    free((void *)png.rgb);
}

/* Headless under a display draws with the window's renderer: its
 * annotated PNG of an image equals the window's screenshot of it, away
 * from the window's status line (top) and plots (bottom 28%). */
static void check_headless_same_pixels(const char *bin)
{
    char out[128], shot[128], annotated[160];
    snprintf(out, sizeof out, "%s/hl", dir);
    snprintf(shot, sizeof shot, "%s/image-shot.png", dir);
    snprintf(annotated, sizeof annotated, "%s/annotated/%s", out,
             "hands_two_spread.png");
    const char *hargs[] = { "--headless", IMAGE, "--out", out, "--threads",
                            "1", NULL };
    int rc = test_wait(test_spawn(bin, hargs, log_path));
    CHECK(rc == 0, "headless exited %d", rc);
    const char *wargs[] = { IMAGE, "--frames", "1", "--sync", "--screenshot",
                            shot, "--threads", "1", NULL };
    rc = test_wait(test_spawn(bin, wargs, log_path));
    CHECK(rc == 0, "window exited %d", rc);
    if (rc != 0)
        test_show_log(log_path);
    app_frame a = test_read_frame(annotated, 0, NULL);
    app_frame b = test_read_frame(shot, 0, NULL);
    CHECK(a.rgb && b.rgb && a.width == b.width && a.height == b.height,
          "annotated %dx%d, screenshot %dx%d", a.width, a.height, b.width,
          b.height);
    if (a.rgb && b.rgb && a.width == b.width && a.height == b.height) {
        int y0 = a.height / 10, y1 = a.height - (int)(0.3 * a.height);
        long differ = 0;
        for (int y = y0; y < y1; y++)
            differ += memcmp(a.rgb + (size_t)y * a.stride,
                             b.rgb + (size_t)y * b.stride,
                             (size_t)a.width * 3) != 0;
        CHECK(differ == 0, "%ld of %d rows differ between headless and the "
              "window", differ, y1 - y0);
        /* and the overlays are there: not the plain image */
        app_frame src = test_read_frame(IMAGE, 0, NULL);
        long changed = 0;
        for (int y = y0; src.rgb && y < y1; y++)
            changed += memcmp(a.rgb + (size_t)y * a.stride,
                              src.rgb + (size_t)y * src.stride,
                              (size_t)a.width * 3) != 0;
        CHECK(changed > 10, "only %ld rows carry overlays", changed);
        free((void *)src.rgb);
    }
    free((void *)a.rgb);
    free((void *)b.rgb);
}

static void check_sigint(const char *bin)
{
    char mp4[128];
    snprintf(mp4, sizeof mp4, "%s/int.mp4", dir);
    const char *args[] = { VIDEO, "--record", mp4, "--threads", "1", NULL };
    pid_t pid = test_spawn(bin, args, log_path);
    /* at the video's own rate: wait for the first fragments (a keyframe
     * every 2 s) */
    struct stat sb;
    for (int i = 0; i < 600; i++) {
        if (stat(mp4, &sb) == 0 && sb.st_size > 100000)
            break;
        usleep(50000);
    }
    kill(pid, SIGINT);
    int rc = test_wait(pid);
    CHECK(rc == 1, "after SIGINT posescope exited %d, want 1", rc);
    int count = 0;
    app_frame f = test_read_frame(mp4, 0, &count);
    CHECK(count >= 10 && f.width > 0, "interrupted MP4: %d frames", count);
    fprintf(stderr, "interrupted recording: %d frames\n", count);
    free((void *)f.rgb);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        CHECK(0, "usage: test_viewer POSESCOPE");
        return test_finish();
    }
    snprintf(dir, sizeof dir, "/tmp/posescope-viewer-XXXXXX");
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(log_path, sizeof log_path, "%s/log", dir);
    check_recording(argv[1]);
    check_headless_same_pixels(argv[1]);
    check_sigint(argv[1]);
    return test_finish_in(dir);
}
