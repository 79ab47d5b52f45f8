#include "foreground.h"

#include <math.h>
#include <stdlib.h>

/* The paper's parameters (Germer et al. 2020, section 3). */
#define FG_EPS 1e-5f        /* regulariser of the smoothness term */
#define FG_OMEGA 1.0f       /* its weight per unit of alpha gradient */
#define FG_SMALL 32         /* levels up to this size get more sweeps */
#define FG_SWEEPS_SMALL 10
#define FG_SWEEPS_BIG 2

struct eng_foreground {
    int max_w, max_h;
    float *fb;          /* per pixel F rgb, B rgb in 0..1, finest level */
    int32_t *col, *row; /* nearest source column / row of the level */
};

eng_status eng_foreground_create(int max_width, int max_height,
                                 eng_foreground **out, eng_error *err)
{
    *out = NULL;
    if (max_width < 1 || max_height < 1)
        return eng_fail(err, ENG_EINVAL, "foreground: bad size %dx%d",
                        max_width, max_height);
    eng_foreground *f = calloc(1, sizeof(*f));
    if (!f)
        goto fail_nomem;
    f->max_w = max_width, f->max_h = max_height;
    f->fb = malloc((size_t)max_width * max_height * 6 * sizeof(float));
    f->col = malloc((size_t)max_width * sizeof(int32_t));
    f->row = malloc((size_t)max_height * sizeof(int32_t));
    if (!f->fb || !f->col || !f->row)
        goto fail_nomem;
    *out = f;
    return ENG_OK;
fail_nomem:
    eng_foreground_destroy(f);
    return eng_fail(err, ENG_ENOMEM, "foreground: out of memory for %dx%d",
                    max_width, max_height);
}

void eng_foreground_destroy(eng_foreground *f)
{
    if (!f)
        return;
    free(f->fb);
    free(f->col);
    free(f->row);
    free(f);
}

/* Grows F and B of a pw x ph level to w x h by nearest neighbour, in place:
 * the source of pixel i never lies after i, so walking backwards reads
 * every source before it is overwritten. */
static void grow_level(float *fb, int pw, int ph, int w, int h)
{
    for (long y = h - 1; y >= 0; y--) {
        long sy = y * ph / h;
        for (long x = w - 1; x >= 0; x--) {
            long sx = x * pw / w;
            const float *s = fb + (sy * pw + sx) * 6;
            float *d = fb + (y * w + x) * 6;
            float t[6];
            for (int k = 0; k < 6; k++)
                t[k] = s[k];
            for (int k = 0; k < 6; k++)
                d[k] = t[k];
        }
    }
}

static float clamp01(float v)
{
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

/* One Gauss-Seidel sweep over a w x h level. */
static void sweep(eng_foreground *f, const eng_image *img,
                  const uint8_t *alpha, int alpha_stride, int w, int h)
{
    static const int dx[4] = { -1, 1, 0, 0 }, dy[4] = { 0, 0, -1, 1 };
    for (int y = 0; y < h; y++) {
        int sy = f->row[y];
        const uint8_t *arow = alpha + (size_t)sy * alpha_stride;
        const uint8_t *irow = img->rgb + (size_t)sy * img->stride;
        for (int x = 0; x < w; x++) {
            int sx = f->col[x];
            float a = arow[sx] * (1.0f / 255.0f);
            float wsum = 0, sf[3] = { 0, 0, 0 }, sb[3] = { 0, 0, 0 };
            for (int k = 0; k < 4; k++) {
                int nx = x + dx[k], ny = y + dy[k];
                if (nx < 0 || nx >= w || ny < 0 || ny >= h)
                    continue;
                float an = alpha[(size_t)f->row[ny] * alpha_stride +
                                 f->col[nx]] * (1.0f / 255.0f);
                float wn = FG_EPS + FG_OMEGA * fabsf(a - an);
                const float *n = f->fb + ((size_t)ny * w + nx) * 6;
                wsum += wn;
                for (int c = 0; c < 3; c++)
                    sf[c] += wn * n[c], sb[c] += wn * n[3 + c];
            }
            float a0 = a * a + wsum, a1 = a * (1 - a);
            float a2 = (1 - a) * (1 - a) + wsum;
            float inv = 1.0f / (a0 * a2 - a1 * a1);
            float *d = f->fb + ((size_t)y * w + x) * 6;
            for (int c = 0; c < 3; c++) {
                float i = irow[(size_t)sx * 3 + c] * (1.0f / 255.0f);
                float r0 = a * i + sf[c], r1 = (1 - a) * i + sb[c];
                d[c] = clamp01((a2 * r0 - a1 * r1) * inv);
                d[3 + c] = clamp01((a0 * r1 - a1 * r0) * inv);
            }
        }
    }
}

eng_status eng_foreground_estimate(eng_foreground *f, const eng_image *img,
                                   const uint8_t *alpha, int alpha_stride,
                                   uint8_t *fg, int fg_stride,
                                   eng_error *err)
{
    if (!f || !img || !img->rgb || !alpha || !fg)
        return eng_fail(err, ENG_EINVAL, "foreground: NULL argument");
    int W = img->width, H = img->height;
    if (W < 1 || H < 1 || W > f->max_w || H > f->max_h)
        return eng_fail(err, ENG_EINVAL,
                        "foreground: frame %dx%d outside 1x1..%dx%d", W, H,
                        f->max_w, f->max_h);
    int levels = (int)ceil(log2(W > H ? W : H));
    int pw = 1, ph = 1;
    for (int l = 0; l <= levels; l++) {
        double t = levels ? (double)l / levels : 1.0;
        int w = (int)lround(pow(W, t)), h = (int)lround(pow(H, t));
        for (int x = 0; x < w; x++)
            f->col[x] = (int32_t)((long)x * W / w);
        for (int y = 0; y < h; y++)
            f->row[y] = (int32_t)((long)y * H / h);
        if (l == 0) { /* F and B start as the image's (1 pixel) level */
            for (int c = 0; c < 3; c++)
                f->fb[c] = f->fb[3 + c] = img->rgb[c] * (1.0f / 255.0f);
        } else {
            grow_level(f->fb, pw, ph, w, h);
        }
        /* A 1x1 level has no neighbours: its system is singular where
         * alpha is 0 or 1, and it keeps its start values. */
        int n = w * h == 1 ? 0
              : w <= FG_SMALL && h <= FG_SMALL ? FG_SWEEPS_SMALL
                                               : FG_SWEEPS_BIG;
        for (int i = 0; i < n; i++)
            sweep(f, img, alpha, alpha_stride, w, h);
        pw = w, ph = h;
    }
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < 3; c++)
                fg[(size_t)y * fg_stride + (size_t)x * 3 + c] = (uint8_t)(
                    f->fb[((size_t)y * W + x) * 6 + c] * 255.0f + 0.5f);
    return ENG_OK;
}
