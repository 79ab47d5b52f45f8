/*
 * The person matte (engine/matte.h, guided.h, foreground.h) on real media.
 *
 * - obama_portrait_pd.jpg against its ground-truth mask: IoU at alpha 0.5
 *   >= 0.95 for the refined matte; the refinement must not lower the IoU of
 *   the raw matte (the model's mask resized bilinearly, as MediaPipe
 *   outputs it) and must lower the error in a band around the true
 *   boundary (mean |alpha - truth| over pixels within EDGE_BAND pixels of
 *   it). Prints both.
 * - The ground truth given as a hint (CorridorKey's input contract) comes
 *   back through the refinement with IoU >= 0.99; given as a rotated,
 *   letterboxed 256x256 model crop (the pose mask's form), >= 0.98.
 * - pose_squats_10s.mp4: the mean absolute alpha change between
 *   consecutive frames over the background (pixels the unsmoothed matte
 *   never puts above 0.5), lower with the temporal smoothing on. Prints
 *   both.
 * - The banded full-resolution pass gives the same bits on 1 and 2
 *   threads; --matte-every reuses the mask; no allocation after warm-up.
 * - Composites: alpha 255 keeps the frame, alpha 0 gives the background;
 *   the foreground estimate reproduces the frame where alpha is 1.
 * - Bad arguments give EINVAL (EIO for a missing model).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_count.h"
#include "foreground.h"
#include "guided.h"
#include "matte.h"
#include "media.h"
#include "testlib.h"

#define EDGE_BAND 12 /* frame pixels either side of the true boundary */

static const char *const obama = POSESCOPE_TEST_DATA
    "/media/images/obama_portrait_pd.jpg";
static const char *const obama_mask = POSESCOPE_TEST_DATA
    "/media/images/obama_portrait_pd.mask.png";
static const char *const squats = POSESCOPE_TEST_DATA
    "/media/videos/pose_squats_10s.mp4";

static char general_path[4096], landscape_path[4096];

/* A decoded image, owned copy (the source's buffer dies with it). */
typedef struct image {
    int w, h;
    uint8_t *rgb;
} image;

static image load_image(const char *path)
{
    image im = { 0, 0, NULL };
    app_source *s = test_open_source(path);
    if (!s)
        return im;
    app_frame f;
    eng_error err = { 0 };
    if (app_source_next(s, &f, &err) == 1) {
        im.w = f.width, im.h = f.height;
        im.rgb = malloc((size_t)f.width * f.height * 3);
        for (int y = 0; y < f.height; y++)
            memcpy(im.rgb + (size_t)y * f.width * 3,
                   f.rgb + (size_t)y * f.stride, (size_t)f.width * 3);
    }
    CHECK(im.rgb, "%s: no frame (%s)", path, err.msg);
    app_source_close(s);
    return im;
}

static eng_image view(const image *im)
{
    return (eng_image){ im->w, im->h, im->w * 3, im->rgb };
}

static eng_runtime *runtime(int threads)
{
    eng_runtime_desc d = { .threads = threads };
    eng_runtime *rt = NULL;
    eng_error err = { 0 };
    CHECK(eng_runtime_create(&d, &rt, &err) == ENG_OK, "runtime: %s",
          err.msg);
    return rt;
}

static eng_matte *matte(eng_runtime *rt, eng_matte_desc d)
{
    d.general_path = general_path, d.landscape_path = landscape_path;
    eng_matte *m = NULL;
    eng_error err = { 0 };
    CHECK(eng_matte_create(rt, &d, &m, &err) == ENG_OK, "create: %s",
          err.msg);
    return m;
}

/* Truth: 1 where the mask is blue (person). */
static uint8_t *truth_of(const image *mask)
{
    size_t n = (size_t)mask->w * mask->h;
    uint8_t *t = malloc(n);
    for (size_t i = 0; i < n; i++)
        t[i] = mask->rgb[i * 3 + 2] > mask->rgb[i * 3];
    return t;
}

/* 1 for pixels within EDGE_BAND (Chebyshev) of a pixel whose right or
 * lower neighbour has the other label. */
static uint8_t *edge_band(const uint8_t *t, int w, int h)
{
    uint8_t *edge = calloc((size_t)w * h, 1), *band = calloc((size_t)w * h, 1);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int v = t[(size_t)y * w + x];
            if ((x + 1 < w && t[(size_t)y * w + x + 1] != v) ||
                (y + 1 < h && t[(size_t)(y + 1) * w + x] != v))
                edge[(size_t)y * w + x] = 1;
        }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            if (!edge[(size_t)y * w + x])
                continue;
            for (int j = y - EDGE_BAND; j <= y + EDGE_BAND; j++)
                for (int i = x - EDGE_BAND; i <= x + EDGE_BAND; i++)
                    if (i >= 0 && i < w && j >= 0 && j < h)
                        band[(size_t)j * w + i] = 1;
        }
    free(edge);
    return band;
}

typedef struct scores {
    double iou;       /* alpha >= 0.5 vs truth, whole frame */
    double band_err;  /* mean |alpha - truth| in the edge band */
    double band_iou;  /* IoU restricted to the band */
} scores;

static scores score(const uint8_t *alpha, const uint8_t *t,
                    const uint8_t *band, size_t n)
{
    long inter = 0, uni = 0, binter = 0, buni = 0, nb = 0;
    double err = 0;
    for (size_t i = 0; i < n; i++) {
        int a = alpha[i] >= 128, g = t[i];
        inter += a && g, uni += a || g;
        if (band[i]) {
            binter += a && g, buni += a || g, nb++;
            err += fabs(alpha[i] / 255.0 - g);
        }
    }
    return (scores){ uni ? (double)inter / uni : 0, nb ? err / nb : 0,
                     buni ? (double)binter / buni : 0 };
}

static void test_obama(eng_runtime *rt)
{
    image im = load_image(obama), mask = load_image(obama_mask);
    if (!im.rgb || !mask.rgb)
        goto out;
    CHECK(im.w == mask.w && im.h == mask.h, "mask size");
    size_t n = (size_t)im.w * im.h;
    uint8_t *t = truth_of(&mask), *band = edge_band(t, im.w, im.h);
    uint8_t *raw = malloc(n), *ref = malloc(n), *hinted = malloc(n);
    eng_image img = view(&im);
    eng_error err = { 0 };

    eng_matte_desc d = eng_matte_defaults();
    d.no_refine = true;
    eng_matte *m_raw = matte(rt, d);
    d.no_refine = false;
    eng_matte *m_ref = matte(rt, d);
    eng_matte_result res;
    CHECK(eng_matte_process(m_raw, &img, NULL, raw, im.w, &res, &err) ==
              ENG_OK, "raw: %s", err.msg);
    CHECK(res.coarse_ran && res.model == ENG_MATTE_MODEL_GENERAL,
          "portrait frames run the general model");
    CHECK(eng_matte_process(m_ref, &img, NULL, ref, im.w, &res, &err) ==
              ENG_OK, "refined: %s", err.msg);
    scores sr = score(raw, t, band, n), sf = score(ref, t, band, n);
    printf("obama IoU@0.5: raw %.4f refined %.4f; edge band (+-%d px) "
           "mean|alpha-truth|: raw %.4f refined %.4f, band IoU: raw %.4f "
           "refined %.4f (grid %dx%d)\n",
           sr.iou, sf.iou, EDGE_BAND, sr.band_err, sf.band_err, sr.band_iou,
           sf.band_iou, res.grid_width, res.grid_height);
    CHECK(sf.iou >= 0.95, "refined IoU %.4f < 0.95", sf.iou);
    CHECK(sf.iou >= sr.iou, "refinement lowered IoU: %.4f < %.4f", sf.iou,
          sr.iou);
    CHECK(sf.band_err < sr.band_err, "edge error not improved: %.4f >= %.4f",
          sf.band_err, sr.band_err);
    CHECK(sf.band_iou > sr.band_iou, "edge IoU not improved: %.4f <= %.4f",
          sf.band_iou, sr.band_iou);

    /* The truth as a hint: the refinement must keep it. */
    float *hp = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++)
        hp[i] = t[i];
    eng_matte_hint hint = { im.w, im.h, im.w, hp, NULL };
    eng_matte_reset(m_ref); /* a new image: no temporal blend */
    CHECK(eng_matte_process(m_ref, &img, &hint, hinted, im.w, &res, &err) ==
              ENG_OK, "hint: %s", err.msg);
    CHECK(!res.coarse_ran, "a hint does not run the model");
    scores sh = score(hinted, t, band, n);
    printf("obama ground truth as hint: IoU %.4f, edge band err %.4f\n",
           sh.iou, sh.band_err);
    CHECK(sh.iou >= 0.99, "hint IoU %.4f < 0.99", sh.iou);

    /* The truth as a model's crop would hold it (the pose mask's case): a
     * rotated, letterboxed 256x256 ROI covering the frame. */
    float *crop = malloc(256 * 256 * 3 * sizeof(float));
    float *cp = malloc(256 * 256 * sizeof(float));
    eng_image gt = view(&mask);
    const eng_roi roi = { 0.5f, 0.5f, 1.8f, 1.8f, 0.3f };
    const eng_crop_desc cd = { .width = 256, .height = 256, .lo = 0,
                               .hi = 1, .border = ENG_BORDER_ZERO,
                               .keep_aspect = true };
    eng_crop_map map;
    eng_crop(&gt, &roi, &cd, crop, &map);
    for (int i = 0; i < 256 * 256; i++)
        cp[i] = crop[i * 3 + 2]; /* blue = person */
    eng_matte_hint chint = { 256, 256, 256, cp, &map };
    eng_matte_reset(m_ref);
    CHECK(eng_matte_process(m_ref, &img, &chint, hinted, im.w, &res,
                            &err) == ENG_OK, "cropped hint: %s", err.msg);
    sh = score(hinted, t, band, n);
    printf("obama ground truth as a rotated 256x256 crop hint: IoU %.4f\n",
           sh.iou);
    CHECK(sh.iou >= 0.98, "cropped hint IoU %.4f < 0.98", sh.iou);
    CHECK(eng_matte_process(m_raw, &img, &chint, hinted, im.w, &res, &err) ==
              ENG_EUNSUPPORTED, "no_refine with a cropped hint");
    free(crop);
    free(cp);
    free(hp);

    eng_matte_destroy(m_raw);
    eng_matte_destroy(m_ref);
    free(t);
    free(band);
    free(raw);
    free(ref);
    free(hinted);
out:
    free(im.rgb);
    free(mask.rgb);
}

/* Mean |alpha_t - alpha_t-1| per pixel, summed over the run, into sum
 * (uint32 per pixel); max alpha per pixel into max when not NULL. Returns
 * the number of frames. Also checks the model ran on frame 0 only of each
 * matte_every group, and that frames after the second allocate nothing. */
static int run_video(eng_runtime *rt, eng_matte_desc d, uint32_t *sum,
                     uint8_t *max, size_t n)
{
    app_source *s = test_open_source(squats);
    if (!s)
        return 0;
    eng_matte *m = matte(rt, d);
    uint8_t *alpha = malloc(n), *prev = malloc(n);
    app_frame f;
    eng_error err = { 0 };
    int frames = 0;
    long allocs = 0;
    while (m && app_source_next(s, &f, &err) == 1) {
        eng_image img = test_frame_image(&f);
        CHECK((size_t)f.width * f.height == n, "frame size");
        eng_matte_result res;
        long before = test_alloc_count();
        eng_status st = eng_matte_process(m, &img, NULL, alpha, f.width, &res,
                                          &err);
        if (frames >= 2)
            allocs += test_alloc_count() - before;
        CHECK(st == ENG_OK, "frame %d: %s", frames, err.msg);
        CHECK(res.coarse_ran == (frames % d.matte_every == 0),
              "frame %d: model ran %d with matte_every %d", frames,
              res.coarse_ran, d.matte_every);
        for (size_t i = 0; i < n; i++) {
            if (frames)
                sum[i] += (uint32_t)abs(alpha[i] - prev[i]);
            if (max && alpha[i] > max[i])
                max[i] = alpha[i];
        }
        memcpy(prev, alpha, n);
        frames++;
    }
    CHECK(allocs == 0, "%ld allocations after warm-up", allocs);
    CHECK(frames > 10, "squats: only %d frames", frames);
    eng_matte_destroy(m);
    app_source_close(s);
    free(alpha);
    free(prev);
    return frames;
}

static void test_temporal(eng_runtime *rt)
{
    size_t n = 720 * 1280;
    uint32_t *off = calloc(n, 4), *on = calloc(n, 4), *every = calloc(n, 4);
    uint8_t *max = calloc(n, 1);
    eng_matte_desc d = eng_matte_defaults();
    d.no_smoothing = true;
    int frames = run_video(rt, d, off, max, n);
    d.no_smoothing = false;
    run_video(rt, d, on, NULL, n);
    d.matte_every = 3;
    run_video(rt, d, every, NULL, n);
    double s_off = 0, s_on = 0, s_every = 0;
    long bg = 0;
    for (size_t i = 0; i < n; i++)
        if (max[i] < 128) {
            s_off += off[i], s_on += on[i], s_every += every[i];
            bg++;
        }
    if (frames > 1 && bg) {
        double k = 1.0 / (255.0 * bg * (frames - 1));
        printf("squats background flicker (mean |d alpha| per frame, %ld "
               "background pixels, %d frames): smoothing off %.6f, on %.6f, "
               "on + matte_every 3 %.6f\n",
               bg, frames, s_off * k, s_on * k, s_every * k);
    }
    CHECK(bg > (long)n / 4, "background region too small: %ld", bg);
    CHECK(s_on < s_off, "smoothing did not lower the flicker: %.0f >= %.0f",
          s_on, s_off);
    free(off);
    free(on);
    free(every);
    free(max);
}

/* Same bits on 1 and 2 threads (the bands join without seams); the
 * composites and the foreground estimate behave at the extremes. */
static void test_bands_and_composite(eng_runtime *rt, eng_runtime *rt1)
{
    image im = load_image(obama);
    if (!im.rgb)
        return;
    size_t n = (size_t)im.w * im.h;
    eng_image img = view(&im);
    uint8_t *a2 = malloc(n), *a1 = malloc(n), *out = malloc(n * 3);
    uint8_t *fg = malloc(n * 3);
    eng_error err = { 0 };
    eng_matte *m2 = matte(rt, eng_matte_defaults());
    eng_matte *m1 = matte(rt1, eng_matte_defaults());
    CHECK(eng_matte_process(m2, &img, NULL, a2, im.w, NULL, &err) == ENG_OK,
          "%s", err.msg);
    CHECK(eng_matte_process(m1, &img, NULL, a1, im.w, NULL, &err) == ENG_OK,
          "%s", err.msg);
    CHECK(!memcmp(a1, a2, n), "1 and 2 threads differ");

    eng_matte_bg green = { .kind = ENG_MATTE_BG_COLOR, .color = { 0, 255, 0 } };
    CHECK(eng_matte_composite(m2, &img, a2, im.w, &green, out, im.w * 3,
                              &err) == ENG_OK, "%s", err.msg);
    long bad = 0, n1 = 0, n0 = 0;
    for (size_t i = 0; i < n; i++) {
        if (a2[i] == 255)
            n1++, bad += memcmp(out + i * 3, im.rgb + i * 3, 3) != 0;
        if (a2[i] == 0)
            n0++, bad += out[i * 3] || out[i * 3 + 1] != 255 || out[i * 3 + 2];
    }
    CHECK(n1 > (long)n / 10 && n0 > (long)n / 10 && !bad,
          "composite: %ld wrong of %ld opaque, %ld clear", bad, n1, n0);
    eng_matte_bg blur = { .kind = ENG_MATTE_BG_BLUR };
    CHECK(eng_matte_composite(m2, &img, a2, im.w, &blur, out, im.w * 3,
                              &err) == ENG_OK, "blur: %s", err.msg);
    eng_matte_bg same = { .kind = ENG_MATTE_BG_IMAGE, .image = &img };
    CHECK(eng_matte_composite(m2, &img, a2, im.w, &same, out, im.w * 3,
                              &err) == ENG_OK, "image: %s", err.msg);
    CHECK(!memcmp(out, im.rgb, n * 3), "the frame over itself is the frame");

    eng_foreground *f = NULL;
    CHECK(eng_foreground_create(im.w, im.h, &f, &err) == ENG_OK, "%s",
          err.msg);
    CHECK(eng_foreground_estimate(f, &img, a2, im.w, fg, im.w * 3, &err) ==
              ENG_OK, "foreground: %s", err.msg);
    double diff = 0;
    for (size_t i = 0; i < n; i++)
        if (a2[i] == 255)
            for (int c = 0; c < 3; c++)
                diff += abs(fg[i * 3 + c] - im.rgb[i * 3 + c]);
    diff /= 3.0 * (n1 ? n1 : 1);
    printf("foreground vs frame where alpha = 1: mean |diff| %.3f levels\n",
           diff);
    CHECK(diff < 1.0, "foreground drifts from the frame where alpha is 1");
    image big = { im.w + 1, im.h, NULL };
    eng_image bigv = { big.w, big.h, big.w * 3, im.rgb };
    CHECK(eng_foreground_estimate(f, &bigv, a2, big.w, fg, big.w * 3, &err) ==
              ENG_EINVAL, "foreground larger than create");
    eng_foreground_destroy(f);
    eng_matte_destroy(m1);
    eng_matte_destroy(m2);
    free(a1);
    free(a2);
    free(out);
    free(fg);
    free(im.rgb);
}

static void test_errors(eng_runtime *rt)
{
    eng_error err = { 0 };
    eng_matte *m = NULL;
    eng_matte_desc d = eng_matte_defaults();
    d.threshold = 1.5f;
    CHECK(eng_matte_create(rt, &d, &m, &err) == ENG_EINVAL && !m,
          "threshold 1.5");
    printf("bad threshold: %s\n", err.msg);
    d = eng_matte_defaults(), d.matte_every = -1;
    CHECK(eng_matte_create(rt, &d, &m, &err) == ENG_EINVAL, "matte_every");
    d = eng_matte_defaults(), d.guide_size = 8;
    CHECK(eng_matte_create(rt, &d, &m, &err) == ENG_EINVAL, "guide_size");
    d = eng_matte_defaults(), d.general_path = "/nonexistent.tflite";
    CHECK(eng_matte_create(rt, &d, &m, &err) != ENG_OK && !m,
          "missing model");
    printf("missing model: %s\n", err.msg);

    /* Hints only: no model loaded. */
    d = eng_matte_defaults();
    CHECK(eng_matte_create(rt, &d, &m, &err) == ENG_OK, "%s", err.msg);
    uint8_t rgb[8 * 6 * 3] = { 0 }, alpha[8 * 6];
    float hp[4] = { 0, 1, 1, 0 };
    eng_image img = { 8, 6, 24, rgb };
    eng_matte_hint hint = { 2, 2, 2, hp, NULL };
    eng_matte_bg green = { .kind = ENG_MATTE_BG_COLOR };
    CHECK(eng_matte_composite(m, &img, alpha, 8, &green, rgb, 24, &err) ==
              ENG_EINVAL, "composite before a frame");
    CHECK(eng_matte_process(m, &img, NULL, alpha, 8, NULL, &err) ==
              ENG_EINVAL, "no model, no hint");
    printf("no model: %s\n", err.msg);
    CHECK(eng_matte_process(m, NULL, &hint, alpha, 8, NULL, &err) ==
              ENG_EINVAL, "NULL image");
    CHECK(eng_matte_process(m, &img, &hint, alpha, 7, NULL, &err) ==
              ENG_EINVAL, "alpha stride");
    eng_matte_hint bad = { 2, 2, 1, hp, NULL };
    CHECK(eng_matte_process(m, &img, &bad, alpha, 8, NULL, &err) ==
              ENG_EINVAL, "hint stride");
    CHECK(eng_matte_process(m, &img, &hint, alpha, 8, NULL, &err) == ENG_OK,
          "tiny frame with a hint: %s", err.msg);
    eng_image other = { 4, 6, 12, rgb };
    eng_matte_bg pic = { .kind = ENG_MATTE_BG_IMAGE, .image = &other };
    CHECK(eng_matte_composite(m, &img, alpha, 8, &pic, rgb, 24, &err) ==
              ENG_EINVAL, "background of another size");
    eng_matte_destroy(m);
}

/* The box mean against a direct sum; the guided fit of a constant input
 * (a = 0, b = that constant) and of an input that is a linear function of
 * a varied guide (reproduced up to eps's shrinkage). */
static void test_guided(void)
{
    enum { W = 17, H = 11, C = 13, R = 2 };
    uint64_t rng = 7;
    static float src[W * H * C], dst[W * H * C], tmp[W * H * C];
    static double acc[W * C + W + H];
    CHECK(eng_box_acc_doubles(W, H, C) <= sizeof(acc) / sizeof(acc[0]),
          "acc size");
    for (int i = 0; i < W * H * C; i++)
        src[i] = test_rand_uniform(&rng, 0, 1);
    eng_box_mean(src, dst, W, H, C, R, tmp, acc, NULL);
    double worst = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < C; c++) {
                double sum = 0;
                int n = 0;
                for (int j = y - R; j <= y + R; j++)
                    for (int i = x - R; i <= x + R; i++)
                        if (i >= 0 && i < W && j >= 0 && j < H)
                            sum += src[(j * W + i) * C + c], n++;
                double d = fabs(sum / n - dst[(y * W + x) * C + c]);
                worst = d > worst ? d : worst;
            }
    CHECK(worst < 1e-6, "box mean off by %g", worst);

    float guide[W * H * 3], p[W * H], coef[W * H * 4];
    float *scratch = malloc(eng_guided_fit_floats(W, H) * sizeof(float));
    for (int i = 0; i < W * H * 3; i++)
        guide[i] = test_rand_uniform(&rng, 0, 1);
    for (int i = 0; i < W * H; i++)
        p[i] = 0.25f;
    eng_guided_fit(guide, p, W, H, 1, 1e-4f, coef, scratch, NULL);
    worst = 0;
    for (int i = 0; i < W * H; i++) {
        double e = fabs(coef[i * 4 + 3] - 0.25 * 255);
        for (int c = 0; c < 3; c++)
            e += fabs(coef[i * 4 + c]) * 255;
        worst = e > worst ? e : worst;
    }
    CHECK(worst < 0.01, "constant input: coefficients off by %g", worst);
    /* p = 0.5 r - 0.3 g + 0.2 b + 0.1: q = a . I + b must give p back. */
    for (int i = 0; i < W * H; i++)
        p[i] = 0.5f * guide[i * 3] - 0.3f * guide[i * 3 + 1] +
               0.2f * guide[i * 3 + 2] + 0.1f;
    eng_guided_fit(guide, p, W, H, 1, 1e-6f, coef, scratch, NULL);
    worst = 0;
    for (int i = 0; i < W * H; i++) {
        const float *g = guide + i * 3, *k = coef + i * 4;
        double q = (k[0] * g[0] + k[1] * g[1] + k[2] * g[2]) * 255 + k[3];
        double e = fabs(q - p[i] * 255);
        worst = e > worst ? e : worst;
    }
    CHECK(worst < 1.0, "linear input: reproduced within %g levels", worst);
    free(scratch);
}

int main(void)
{
    test_alloc_count_start();
    test_model_path("selfie_segmentation", general_path,
                    sizeof(general_path));
    test_model_path("selfie_segmentation_landscape", landscape_path,
                    sizeof(landscape_path));
    test_guided();
    eng_runtime *rt = runtime(0), *rt1 = runtime(1);
    if (rt && rt1) {
        test_obama(rt);
        test_temporal(rt);
        test_bands_and_composite(rt, rt1);
        test_errors(rt);
    }
    eng_runtime_destroy(rt1);
    eng_runtime_destroy(rt);
    return test_finish();
}
