#include "guided.h"

#include <math.h>
#include <string.h>

/* Channels of the statistics the fit box-averages per pixel: I (3), p,
 * I*p (3) and the 6 distinct products I_i*I_j of the covariance. */
enum { STATS = 13 };

size_t eng_guided_fit_floats(int w, int h)
{
    size_t n = (size_t)w * h;
    /* stats, their means, a box tmp, the unaveraged coefficients, and the
     * row accumulator (doubles: two floats each). */
    return n * STATS * 3 + n * 4 + (size_t)w * STATS * 2;
}

/* One running-sum pass along rows (horizontal). */
static void box_rows(const float *src, float *dst, int w, int h, int c, int r)
{
    for (int y = 0; y < h; y++) {
        const float *s = src + (size_t)y * w * c;
        float *d = dst + (size_t)y * w * c;
        for (int k = 0; k < c; k++) {
            double sum = 0;
            int hi = r < w - 1 ? r : w - 1;
            for (int x = 0; x <= hi; x++)
                sum += s[(size_t)x * c + k];
            for (int x = 0; x < w; x++) {
                int lo = x - r < 0 ? 0 : x - r;
                int top = x + r > w - 1 ? w - 1 : x + r;
                d[(size_t)x * c + k] = (float)(sum / (top - lo + 1));
                if (x + r + 1 < w)
                    sum += s[(size_t)(x + r + 1) * c + k];
                if (x - r >= 0)
                    sum -= s[(size_t)(x - r) * c + k];
            }
        }
    }
}

void eng_box_mean(const float *src, float *dst, int w, int h, int c, int r,
                  float *tmp, double *acc)
{
    size_t rowf = (size_t)w * c;
    if (r == 0) {
        memcpy(dst, src, rowf * h * sizeof(float));
        return;
    }
    box_rows(src, tmp, w, h, c, r);
    /* Columns: a running sum of whole rows, so memory is read row by row. */
    memset(acc, 0, rowf * sizeof(double));
    int hi = r < h - 1 ? r : h - 1;
    for (int y = 0; y <= hi; y++)
        for (size_t i = 0; i < rowf; i++)
            acc[i] += tmp[(size_t)y * rowf + i];
    for (int y = 0; y < h; y++) {
        int lo = y - r < 0 ? 0 : y - r;
        int top = y + r > h - 1 ? h - 1 : y + r;
        double inv = 1.0 / (top - lo + 1);
        float *d = dst + (size_t)y * rowf;
        for (size_t i = 0; i < rowf; i++)
            d[i] = (float)(acc[i] * inv);
        if (y + r + 1 < h)
            for (size_t i = 0; i < rowf; i++)
                acc[i] += tmp[(size_t)(y + r + 1) * rowf + i];
        if (y - r >= 0)
            for (size_t i = 0; i < rowf; i++)
                acc[i] -= tmp[(size_t)(y - r) * rowf + i];
    }
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
    double det = rr * i00 + rg * i01 + rb * i02;
    a[0] = (i00 * cr + i01 * cg + i02 * cb) / det;
    a[1] = (i01 * cr + i11 * cg + i12 * cb) / det;
    a[2] = (i02 * cr + i12 * cg + i22 * cb) / det;
}

void eng_guided_fit(const float *guide, const float *p, int w, int h, int r,
                    float eps, float *coef, float *scratch)
{
    size_t n = (size_t)w * h;
    float *stats = scratch, *means = stats + n * STATS;
    float *tmp = means + n * STATS, *ab = tmp + n * STATS;
    double *acc = (double *)(void *)(ab + n * 4);
    for (size_t i = 0; i < n; i++) {
        const float *g = guide + i * 3;
        float *s = stats + i * STATS, v = p[i];
        s[0] = g[0], s[1] = g[1], s[2] = g[2], s[3] = v;
        s[4] = g[0] * v, s[5] = g[1] * v, s[6] = g[2] * v;
        s[7] = g[0] * g[0], s[8] = g[0] * g[1], s[9] = g[0] * g[2];
        s[10] = g[1] * g[1], s[11] = g[1] * g[2], s[12] = g[2] * g[2];
    }
    eng_box_mean(stats, means, w, h, STATS, r, tmp, acc);
    for (size_t i = 0; i < n; i++) {
        const float *m = means + i * STATS;
        double a[3];
        solve3(m, eps, a);
        double b = m[3] - a[0] * m[0] - a[1] * m[1] - a[2] * m[2];
        /* In 8-bit units: q255 = a . pixel + 255 b. */
        ab[i * 4 + 0] = (float)a[0], ab[i * 4 + 1] = (float)a[1];
        ab[i * 4 + 2] = (float)a[2], ab[i * 4 + 3] = (float)(255.0 * b);
    }
    eng_box_mean(ab, coef, w, h, 4, r, tmp, acc);
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
                       int channels, const eng_image *img, int y_begin,
                       int y_end, uint8_t *out, int out_stride, float *row,
                       const uint8_t *lut)
{
    int gw = m->gw, c = channels;
    size_t rowf = (size_t)gw * c;
    for (int y = y_begin; y < y_end; y++) {
        /* Vertical interpolation once per grid column, then horizontal per
         * pixel: 2 grid rows -> 1, shared by the whole frame row. */
        int i0 = m->y0[y], i1 = i0 + 1 < m->gh ? i0 + 1 : i0;
        float wy = m->wy[y];
        const float *r0 = grid + (size_t)i0 * m->stride;
        const float *r1 = grid + (size_t)i1 * m->stride;
        for (size_t i = 0; i < rowf; i++)
            row[i] = r0[i] + (r1[i] - r0[i]) * wy;
        uint8_t *o = out + (size_t)y * out_stride;
        if (c == 1) {
            for (int x = 0; x < m->width; x++) {
                int j = m->x0[x], k = j + 1 < gw ? j + 1 : j;
                float v = row[j] + (row[k] - row[j]) * m->wx[x];
                o[x] = to_u8(v * 255.0f);
            }
            if (lut)
                for (int x = 0; x < m->width; x++)
                    o[x] = lut[o[x]];
            continue;
        }
        const uint8_t *px = img->rgb + (size_t)y * img->stride;
        for (int x = 0; x < m->width; x++) {
            int j = m->x0[x], k = j + 1 < gw ? j + 1 : j;
            float wx = m->wx[x];
            const float *a = row + (size_t)j * 4, *b = row + (size_t)k * 4;
            float ar = a[0] + (b[0] - a[0]) * wx;
            float ag = a[1] + (b[1] - a[1]) * wx;
            float ab = a[2] + (b[2] - a[2]) * wx;
            float bb = a[3] + (b[3] - a[3]) * wx;
            const uint8_t *q = px + (size_t)x * 3;
            o[x] = to_u8(ar * q[0] + ag * q[1] + ab * q[2] + bb);
        }
    }
}
