/*
 * test_mesh_clip: the hand meshes in a headless recording of real video,
 * under Xvfb + llvmpipe (tests/xvfb.sh). `posescope --headless` runs the
 * first FRAMES frames of asl_hand_10s.mp4 twice, with hand meshes and with
 * --no-hand-mesh; everything else it draws is the same, so where the two
 * annotated.mp4s differ is the meshes. On each frame with a fitted hand,
 * 97% of the pixels that differ must lie on the hand: inside the box of
 * its tracked 2D landmarks grown by a margin (the mesh has the hand's
 * thickness around the bones), and they must cover 35% of the landmark
 * box itself (the mesh is drawn there). argv[1] is the posescope binary.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "media.h"
#include "proc.h"
#include "testlib.h"

#define VIDEO POSESCOPE_TEST_DATA "/media/videos/asl_hand_10s.mp4"
#define FRAMES 40
#define FRAMES_ARG "40"
/* A pixel differs when its R, G, B differences sum to more than this:
 * above H.264's noise between the two encodings, far below a 55% tint. */
#define DIFF_MIN 60
/* The landmark box grows by this fraction of its larger side each way. */
#define MARGIN 0.2

static char dir[64], log_path[96];

typedef struct box {
    int x0, y0, x1, y1;
} box;

static box clip_box(double x0, double y0, double x1, double y1, int w, int h)
{
    box b = { (int)x0, (int)y0, (int)x1, (int)y1 };
    b.x0 = b.x0 < 0 ? 0 : b.x0;
    b.y0 = b.y0 < 0 ? 0 : b.y0;
    b.x1 = b.x1 >= w ? w - 1 : b.x1;
    b.y1 = b.y1 >= h ? h - 1 : b.y1;
    return b;
}

static int in_box(const box *b, int x, int y)
{
    return x >= b->x0 && x <= b->x1 && y >= b->y0 && y <= b->y1;
}

/* The landmark boxes of the fitted hands of one results.jsonl line
 * (tight) and the same grown by MARGIN (grown); count. */
static int hand_boxes(const tjson *line, box *tight, box *grown, int max,
                      int w, int h)
{
    const tjson *hands = tjson_get(line, "hands");
    int n = 0;
    for (int i = 0; i < tjson_len(hands) && n < max; i++) {
        const tjson *hd = tjson_at(hands, i);
        if (!tjson_num(tjson_get(hd, "mesh_fitted"), 0))
            continue;
        const tjson *kp = tjson_get(hd, "keypoints");
        double x0 = 1e9, y0 = 1e9, x1 = -1e9, y1 = -1e9;
        for (int k = 0; k < tjson_len(kp); k++) {
            double x = tjson_num(tjson_at(tjson_at(kp, k), 0), 0);
            double y = tjson_num(tjson_at(tjson_at(kp, k), 1), 0);
            x0 = x < x0 ? x : x0;
            y0 = y < y0 ? y : y0;
            x1 = x > x1 ? x : x1;
            y1 = y > y1 ? y : y1;
        }
        double m = MARGIN * (x1 - x0 > y1 - y0 ? x1 - x0 : y1 - y0);
        tight[n] = clip_box(x0, y0, x1, y1, w, h);
        grown[n++] = clip_box(x0 - m, y0 - m, x1 + m, y1 + m, w, h);
    }
    return n;
}

static int run_headless(const char *bin, const char *out, int meshes)
{
    const char *args[] = { "--headless", VIDEO, "--out", out, "--frames",
                           FRAMES_ARG, "--no-pose", "--threads", "1",
                           meshes ? NULL : "--no-hand-mesh", NULL };
    return test_run(bin, args, log_path, 0);
}

int main(int argc, char **argv)
{
    CHECK(argc == 2, "usage: test_mesh_clip POSESCOPE");
    if (argc != 2)
        return test_finish();
    snprintf(dir, sizeof dir, "/tmp/test_mesh_clip_XXXXXX");
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    snprintf(log_path, sizeof log_path, "%s/log", dir);
    char with[96], without[96], res[128], mp4[2][128];
    snprintf(with, sizeof with, "%s/meshes", dir);
    snprintf(without, sizeof without, "%s/none", dir);
    snprintf(res, sizeof res, "%s/results.jsonl", with);
    snprintf(mp4[0], sizeof mp4[0], "%s/annotated.mp4", with);
    snprintf(mp4[1], sizeof mp4[1], "%s/annotated.mp4", without);
    CHECK(run_headless(argv[1], with, 1) == 0, "the run with meshes failed");
    CHECK(run_headless(argv[1], without, 0) == 0,
          "the run without meshes failed");

    size_t size;
    uint8_t *text = test_read_file(res, &size);
    int n_lines = 0;
    for (size_t i = 0; text && i < size; i++)
        n_lines += text[i] == '\n';
    free(text);
    CHECK(n_lines == FRAMES, "%d result lines, want %d", n_lines, FRAMES);
    app_source *src[2] = { test_open_source(mp4[0]),
                           test_open_source(mp4[1]) };
    int frames = 0, with_hands = 0, on_hands = 0;
    long changed_total = 0, inside_total = 0;
    double worst_inside = 1, least_cover = 1;
    app_frame f[2];
    eng_error err;
    while (src[0] && src[1] && frames < FRAMES &&
           app_source_next(src[0], &f[0], &err) == 1 &&
           app_source_next(src[1], &f[1], &err) == 1) {
        int w = f[0].width, h = f[0].height;
        box tight[8], grown[8];
        tjson *line = tjson_load_frame(res, frames++);
        int nb = hand_boxes(line, tight, grown, 8, w, h);
        tjson_free(line);
        long changed = 0, inside = 0, tight_area = 0, tight_changed = 0;
        for (int y = 0; y < h; y++) {
            const uint8_t *p = f[0].rgb + (size_t)y * f[0].stride;
            const uint8_t *q = f[1].rgb + (size_t)y * f[1].stride;
            for (int x = 0; x < w; x++) {
                int d = abs(p[3 * x] - q[3 * x]) +
                        abs(p[3 * x + 1] - q[3 * x + 1]) +
                        abs(p[3 * x + 2] - q[3 * x + 2]);
                int in = 0, in_tight = 0;
                for (int i = 0; i < nb; i++) {
                    in |= in_box(&grown[i], x, y);
                    in_tight |= in_box(&tight[i], x, y);
                }
                changed += d > DIFF_MIN;
                inside += d > DIFF_MIN && in;
                tight_area += in_tight;
                tight_changed += d > DIFF_MIN && in_tight;
            }
        }
        changed_total += changed;
        inside_total += inside;
        if (!nb) {
            CHECK(changed < 50, "frame %d: no fitted hand, yet %ld pixels "
                  "differ", frames - 1, changed);
            continue;
        }
        with_hands++;
        double in_frac = changed ? (double)inside / changed : 0;
        double cover = tight_area ? (double)tight_changed / tight_area : 0;
        worst_inside = in_frac < worst_inside ? in_frac : worst_inside;
        least_cover = cover < least_cover ? cover : least_cover;
        on_hands += in_frac >= 0.97 && cover >= 0.35;
    }
    CHECK(frames == FRAMES, "decoded %d frame pairs of %d", frames, FRAMES);
    printf("%d frames, %d with fitted hands; meshes on the hands in %d: "
           "%.1f%% of all differing pixels inside the hand boxes (worst "
           "frame %.1f%%), least landmark box coverage %.0f%%\n", frames, with_hands,
           on_hands, changed_total ? 100.0 * inside_total / changed_total : 0,
           100 * worst_inside, 100 * least_cover);
    CHECK(with_hands >= FRAMES * 9 / 10, "fitted hands on %d of %d frames",
          with_hands, frames);
    CHECK(on_hands == with_hands, "meshes off the hands on %d frames",
          with_hands - on_hands);
    for (int i = 0; i < 2; i++)
        if (src[i])
            app_source_close(src[i]);
    return test_finish_in(dir);
}
