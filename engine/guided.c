#include "guided.h"

#include <immintrin.h>
#include <pthreadpool.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

/* Channels of the statistics the fit box-averages per pixel: I (3), p,
 * I*p (3) and the 6 distinct products I_i*I_j of the covariance. */
enum { STATS = 13 };

/* Columns of the running vertical sums per work item. */
#define COLUMN_TILE 256

size_t eng_box_acc_doubles(int w, int h, int c)
{
    /* running column sums, then 1 / window size per column and per row */
    return (size_t)w * c + (size_t)w + (size_t)h;
}

size_t eng_guided_fit_floats(int w, int h)
{
    size_t n = (size_t)w * h;
    /* the box accumulator (doubles: two floats each), then the stats,
     * their means, a box tmp and the unaveraged coefficients. */
    return eng_box_acc_doubles(w, h, STATS) * 2 + n * STATS * 3 + n * 4;
}

/* 1 / (size of the clipped window) at each of n positions. */
static void window_inverses(double *inv, int n, int r)
{
    for (int i = 0; i < n; i++) {
        int lo = i - r < 0 ? 0 : i - r, hi = i + r > n - 1 ? n - 1 : i + r;
        inv[i] = 1.0 / (hi - lo + 1);
    }
}

typedef struct box_task {
    const float *src;
    float *dst, *tmp;
    double *acc;          /* column sums (w c) */
    const double *inv_x, *inv_y;
    int w, h, c, r;
} box_task;

/* Row y: running sums along x, src to tmp. x outer so that the channels
 * of a pixel are read together. */
static void box_row(void *ctx, size_t y)
{
    const box_task *t = ctx;
    int w = t->w, c = t->c, r = t->r;
    const float *s = t->src + y * w * c;
    float *d = t->tmp + y * w * c;
    double sum[STATS] = { 0 };
    int hi = r < w - 1 ? r : w - 1;
    for (int x = 0; x <= hi; x++)
        for (int k = 0; k < c; k++)
            sum[k] += s[(size_t)x * c + k];
    for (int x = 0; x < w; x++) {
        for (int k = 0; k < c; k++)
            d[(size_t)x * c + k] = (float)(sum[k] * t->inv_x[x]);
        if (x + r + 1 < w)
            for (int k = 0; k < c; k++)
                sum[k] += s[(size_t)(x + r + 1) * c + k];
        if (x - r >= 0)
            for (int k = 0; k < c; k++)
                sum[k] -= s[(size_t)(x - r) * c + k];
    }
}

/* Values [i0, i0 + n) of every row: running sums down the rows, tmp to
 * dst, memory read row by row. */
static void box_columns(void *ctx, size_t i0, size_t n)
{
    const box_task *t = ctx;
    size_t rowf = (size_t)t->w * t->c;
    int h = t->h, r = t->r;
    double *acc = t->acc + i0;
    const float *tmp = t->tmp + i0;
    for (size_t i = 0; i < n; i++)
        acc[i] = 0;
    int hi = r < h - 1 ? r : h - 1;
    for (int y = 0; y <= hi; y++)
        for (size_t i = 0; i < n; i++)
            acc[i] += tmp[(size_t)y * rowf + i];
    for (int y = 0; y < h; y++) {
        double inv = t->inv_y[y];
        float *d = t->dst + (size_t)y * rowf + i0;
        for (size_t i = 0; i < n; i++)
            d[i] = (float)(acc[i] * inv);
        if (y + r + 1 < h)
            for (size_t i = 0; i < n; i++)
                acc[i] += tmp[(size_t)(y + r + 1) * rowf + i];
        if (y - r >= 0)
            for (size_t i = 0; i < n; i++)
                acc[i] -= tmp[(size_t)(y - r) * rowf + i];
    }
}

void eng_box_mean(const float *src, float *dst, int w, int h, int c, int r,
                  float *tmp, double *acc, void *pool)
{
    size_t rowf = (size_t)w * c;
    if (r == 0) {
        memcpy(dst, src, rowf * h * sizeof(float));
        return;
    }
    double *inv_x = acc + rowf, *inv_y = inv_x + w;
    window_inverses(inv_x, w, r);
    window_inverses(inv_y, h, r);
    box_task t = { src, dst, tmp, acc, inv_x, inv_y, w, h, c, r };
    pthreadpool_parallelize_1d((pthreadpool_t)pool, box_row, &t, (size_t)h,
                               0);
    pthreadpool_parallelize_1d_tile_1d((pthreadpool_t)pool, box_columns, &t,
                                       rowf, COLUMN_TILE, 0);
}

/* a = (Sigma + eps U)^-1 cov(I, p) for one pixel, by the adjugate (double:
 * the covariance of a flat region is nearly singular before eps). */
static void solve3(const float *m, float eps, double a[3])
{
    double mr = m[0], mg = m[1], mb = m[2], mp = m[3];
    double cr = m[4] - mr * mp, cg = m[5] - mg * mp, cb = m[6] - mb * mp;
    double rr = m[7] - mr * mr + eps, rg = m[8] - mr * mg;
    double rb = m[9] - mr * mb, gg = m[10] - mg * mg + eps;
    double gb = m[11] - mg * mb, bb = m[12] - mb * mb + eps;
    double i00 = gg * bb - gb * gb, i01 = rb * gb - rg * bb;
    double i02 = rg * gb - rb * gg, i11 = rr * bb - rb * rb;
    double i12 = rb * rg - rr * gb, i22 = rr * gg - rg * rg;
    double inv = 1.0 / (rr * i00 + rg * i01 + rb * i02);
    a[0] = (i00 * cr + i01 * cg + i02 * cb) * inv;
    a[1] = (i01 * cr + i11 * cg + i12 * cb) * inv;
    a[2] = (i02 * cr + i12 * cg + i22 * cb) * inv;
}

typedef struct fit_task {
    const float *guide, *p;
    float *stats, *means, *ab;
    int w;
    float eps;
} fit_task;

static void stats_row(void *ctx, size_t y)
{
    const fit_task *t = ctx;
    for (size_t i = y * t->w; i < (y + 1) * t->w; i++) {
        const float *g = t->guide + i * 3;
        float *s = t->stats + i * STATS, v = t->p[i];
        s[0] = g[0], s[1] = g[1], s[2] = g[2], s[3] = v;
        s[4] = g[0] * v, s[5] = g[1] * v, s[6] = g[2] * v;
        s[7] = g[0] * g[0], s[8] = g[0] * g[1], s[9] = g[0] * g[2];
        s[10] = g[1] * g[1], s[11] = g[1] * g[2], s[12] = g[2] * g[2];
    }
}

static void solve_row(void *ctx, size_t y)
{
    const fit_task *t = ctx;
    for (size_t i = y * t->w; i < (y + 1) * t->w; i++) {
        const float *m = t->means + i * STATS;
        double a[3];
        solve3(m, t->eps, a);
        double b = m[3] - a[0] * m[0] - a[1] * m[1] - a[2] * m[2];
        /* In 8-bit units: q255 = a . pixel + 255 b. */
        float *o = t->ab + i * 4;
        o[0] = (float)a[0], o[1] = (float)a[1], o[2] = (float)a[2];
        o[3] = (float)(255.0 * b);
    }
}

void eng_guided_fit(const float *guide, const float *p, int w, int h, int r,
                    float eps, float *coef, float *scratch, void *pool)
{
    size_t n = (size_t)w * h;
    /* The doubles first: the caller's buffer is aligned for them. */
    double *acc = (double *)(void *)scratch;
    float *stats = scratch + eng_box_acc_doubles(w, h, STATS) * 2;
    float *means = stats + n * STATS;
    float *tmp = means + n * STATS, *ab = tmp + n * STATS;
    fit_task t = { guide, p, stats, means, ab, w, eps };
    pthreadpool_parallelize_1d((pthreadpool_t)pool, stats_row, &t,
                               (size_t)h, 0);
    eng_box_mean(stats, means, w, h, STATS, r, tmp, acc, pool);
    pthreadpool_parallelize_1d((pthreadpool_t)pool, solve_row, &t,
                               (size_t)h, 0);
    eng_box_mean(ab, coef, w, h, 4, r, tmp, acc, pool);
}

void eng_upsample_map_init(eng_upsample_map *m, int gw, int gh, int stride,
                           int width, int height, float sx, float sy)
{
    m->gw = gw, m->gh = gh, m->stride = stride;
    m->width = width, m->height = height;
    for (int x = 0; x < width; x++) {
        float f = ((float)x + 0.5f) * sx - 0.5f;
        if (f < 0)
            f = 0;
        int i = (int)f;
        if (i >= gw - 1)
            i = gw - 1, f = (float)i;
        m->x0[x] = i, m->wx[x] = f - (float)i;
    }
    for (int y = 0; y < height; y++) {
        float f = ((float)y + 0.5f) * sy - 0.5f;
        if (f < 0)
            f = 0;
        int i = (int)f;
        if (i >= gh - 1)
            i = gh - 1, f = (float)i;
        m->y0[y] = i, m->wy[y] = f - (float)i;
    }
}

static inline uint8_t to_u8(float v)
{
    v = v < 0 ? 0 : v > 255 ? 255 : v;
    return (uint8_t)(v + 0.5f);
}

void eng_upsample_rows(const eng_upsample_map *m, const float *grid,
                       int y_begin, int y_end, uint8_t *out, int out_stride,
                       float *row, const uint8_t *lut)
{
    int gw = m->gw;
    for (int y = y_begin; y < y_end; y++) {
        /* Vertical interpolation once per grid column, then horizontal per
         * pixel: 2 grid rows -> 1, shared by the whole frame row. */
        int i0 = m->y0[y], i1 = i0 + 1 < m->gh ? i0 + 1 : i0;
        float wy = m->wy[y];
        const float *r0 = grid + (size_t)i0 * m->stride;
        const float *r1 = grid + (size_t)i1 * m->stride;
        for (int i = 0; i < gw; i++)
            row[i] = r0[i] + (r1[i] - r0[i]) * wy;
        uint8_t *o = out + (size_t)y * out_stride;
        for (int x = 0; x < m->width; x++) {
            int j = m->x0[x], k = j + 1 < gw ? j + 1 : j;
            float v = row[j] + (row[k] - row[j]) * m->wx[x];
            o[x] = to_u8(v * 255.0f);
        }
        if (lut)
            for (int x = 0; x < m->width; x++)
                o[x] = lut[o[x]];
    }
}

size_t eng_guided_apply_floats(int width)
{
    return (size_t)width * 8;
}

/* Grid row i of the coefficients expanded to the frame's width, as four
 * planes (a_r, a_g, a_b, b) of `width` floats. */
static void expand_row(const eng_upsample_map *m, const float *coef, int i,
                       float *dst)
{
    const float *g = coef + (size_t)i * m->stride;
    int w = m->width, gw = m->gw;
    for (int x = 0; x < w; x++) {
        int j = m->x0[x], k = j + 1 < gw ? j + 1 : j;
        float t = m->wx[x];
        const float *a = g + (size_t)j * 4, *b = g + (size_t)k * 4;
        for (int c = 0; c < 4; c++)
            dst[(size_t)c * w + x] = a[c] + (b[c] - a[c]) * t;
    }
}

/* out[x] = a(x) . pixel(x) + b(x) for x in [x0, w), the a and b planes
 * interpolated between grid rows t and b with weight wy. The same
 * arithmetic in the same order as the AVX2 version below (multiply, then
 * add; no FMA), so both give the same bytes. */
static void apply_span(const float *t, const float *b, int w, float wy,
                       const uint8_t *px, uint8_t *o, int x0)
{
    for (int x = x0; x < w; x++) {
        float ar = t[x] + (b[x] - t[x]) * wy;
        float ag = t[w + x] + (b[w + x] - t[w + x]) * wy;
        float ab = t[2 * w + x] + (b[2 * w + x] - t[2 * w + x]) * wy;
        float bb = t[3 * w + x] + (b[3 * w + x] - t[3 * w + x]) * wy;
        float v = ar * (float)px[3 * x] + ag * (float)px[3 * x + 1] +
                  ab * (float)px[3 * x + 2] + bb;
        int iv = (int)(v + 0.5f);
        iv = iv < 0 ? 0 : iv;
        o[x] = (uint8_t)(iv > 255 ? 255 : iv);
    }
}

/* 8 pixels per step; returns the first x left for apply_span. The RGB24
 * loads read 4 bytes past the 8th pixel, so the loop stops 2 pixels
 * early. */
__attribute__((target("avx2"))) static int
apply_avx2(const float *t, const float *b, int w, float wy,
           const uint8_t *px, uint8_t *o)
{
    /* Gathers R0..R3, G0..G3, B0..B3 of 4 packed RGB pixels. */
    const __m128i planes = _mm_setr_epi8(0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8,
                                         11, -1, -1, -1, -1);
    const __m256 vwy = _mm256_set1_ps(wy), half = _mm256_set1_ps(0.5f);
    const __m256i zero = _mm256_setzero_si256();
    const __m256i max = _mm256_set1_epi32(255);
    int x = 0;
    for (; x + 10 <= w; x += 8) {
        __m256 c[4];
        for (int k = 0; k < 4; k++) {
            __m256 tk = _mm256_loadu_ps(t + (size_t)k * w + x);
            __m256 bk = _mm256_loadu_ps(b + (size_t)k * w + x);
            c[k] = _mm256_add_ps(
                tk, _mm256_mul_ps(_mm256_sub_ps(bk, tk), vwy));
        }
        __m128i lo = _mm_shuffle_epi8(
            _mm_loadu_si128((const __m128i *)(const void *)(px + 3 * x)),
            planes);
        __m128i hi = _mm_shuffle_epi8(
            _mm_loadu_si128(
                (const __m128i *)(const void *)(px + 3 * x + 12)),
            planes);
        /* The byte shift needs an immediate: one line per channel. */
        __m256 ch[3] = {
            _mm256_cvtepi32_ps(_mm256_set_m128i(
                _mm_cvtepu8_epi32(hi), _mm_cvtepu8_epi32(lo))),
            _mm256_cvtepi32_ps(_mm256_set_m128i(
                _mm_cvtepu8_epi32(_mm_srli_si128(hi, 4)),
                _mm_cvtepu8_epi32(_mm_srli_si128(lo, 4)))),
            _mm256_cvtepi32_ps(_mm256_set_m128i(
                _mm_cvtepu8_epi32(_mm_srli_si128(hi, 8)),
                _mm_cvtepu8_epi32(_mm_srli_si128(lo, 8)))),
        };
        __m256 v = _mm256_add_ps(
            _mm256_add_ps(_mm256_add_ps(_mm256_mul_ps(c[0], ch[0]),
                                        _mm256_mul_ps(c[1], ch[1])),
                          _mm256_mul_ps(c[2], ch[2])),
            c[3]);
        __m256i iv = _mm256_cvttps_epi32(_mm256_add_ps(v, half));
        iv = _mm256_min_epi32(_mm256_max_epi32(iv, zero), max);
        __m128i p16 = _mm_packus_epi32(_mm256_castsi256_si128(iv),
                                       _mm256_extracti128_si256(iv, 1));
        _mm_storel_epi64((__m128i *)(void *)(o + x),
                         _mm_packus_epi16(p16, p16));
    }
    return x;
}

void eng_guided_apply(const eng_upsample_map *m, const float *coef,
                      const eng_image *img, int y_begin, int y_end,
                      uint8_t *out, int out_stride, float *scratch)
{
    int w = m->width;
    bool avx2 = __builtin_cpu_supports("avx2");
    float *top = scratch, *bot = scratch + (size_t)w * 4;
    int held = -1; /* grid row expanded into top (bot holds held + 1) */
    for (int y = y_begin; y < y_end; y++) {
        int i0 = m->y0[y], i1 = i0 + 1 < m->gh ? i0 + 1 : i0;
        if (i0 != held) {
            if (i0 == held + 1 && held >= 0) { /* slide down one grid row */
                float *t = top;
                top = bot, bot = t;
            } else {
                expand_row(m, coef, i0, top);
            }
            expand_row(m, coef, i1, bot);
            held = i0;
        }
        const uint8_t *px = img->rgb + (size_t)y * img->stride;
        uint8_t *o = out + (size_t)y * out_stride;
        int x = avx2 ? apply_avx2(top, bot, w, m->wy[y], px, o) : 0;
        apply_span(top, bot, w, m->wy[y], px, o, x);
    }
}
