#include "kernels.h"

#include <stdint.h>
#include <string.h>

#include <immintrin.h>

/* ---- concatenation ------------------------------------------------------ */

void eng_kernel_concat_f32(size_t outer, int n, const size_t *row,
                           const float *const *in, float *out)
{
    /* Input-major order: each input is read once, sequentially, and for
     * axis 1 of [1, N, K] (the models' case) outer is 1, so every input is
     * one memcpy. */
    size_t out_row = 0;
    for (int i = 0; i < n; i++)
        out_row += row[i];
    size_t col = 0;
    for (int i = 0; i < n; i++) {
        const float *src = in[i];
        float *dst = out + col;
        for (size_t r = 0; r < outer; r++) {
            memcpy(dst, src, row[i] * sizeof(float));
            src += row[i];
            dst += out_row;
        }
        col += row[i];
    }
}

/* ---- shared helpers ----------------------------------------------------- */

static size_t div_up(size_t a, size_t b)
{
    return (a + b - 1) / b;
}

/* Below this many FLOPs a kernel runs on the calling thread alone: waking
 * the pool (a few microseconds) would cost more than it saves. One work
 * item covering the whole range makes pthreadpool run it inline. */
#define PARALLEL_MIN_FLOPS 500000.0

static int worth_threads(int threads, double flops)
{
    return threads > 1 && flops >= PARALLEL_MIN_FLOPS;
}

/* Rows per work item: about four items per thread, or all rows. */
static size_t rows_per_item(size_t rows, int threads, double flops)
{
    return worth_threads(threads, flops) ? div_up(rows, 4 * (size_t)threads)
                                         : rows;
}

/* Mask selecting the first r (0..8) lanes, for maskload/maskstore. */
__attribute__((target("avx2,fma"))) static __m256i tail_mask(size_t r)
{
    static const int32_t bits[16] = {-1, -1, -1, -1, -1, -1, -1, -1,
                                     0,  0,  0,  0,  0,  0,  0,  0};
    return _mm256_loadu_si256((const __m256i *)(bits + 8 - r));
}

/* ---- GEMM --------------------------------------------------------------- */

#define GEMM_MR 6  /* rows of a micro-tile */
#define GEMM_NR 16 /* columns of a micro-tile and of a weight panel */

/* Panels of B kept hot in L2 while a task sweeps its rows over them. */
#define GEMM_PANEL_GROUP_BYTES ((size_t)128 << 10)

int eng_kernel_have_avx2(void)
{
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}

int eng_kernel_beat_xnnpack(void)
{
    return eng_kernel_have_avx2() && !__builtin_cpu_supports("avx512f");
}

static size_t panel_floats(size_t k)
{
    return (k + 1) * GEMM_NR;
}

size_t eng_kernel_gemm_packed_floats(size_t n, size_t k)
{
    return div_up(n, GEMM_NR) * panel_floats(k);
}

void eng_kernel_gemm_pack(size_t n, size_t k, const float *w,
                          const float *bias, float *packed)
{
    memset(packed, 0, eng_kernel_gemm_packed_floats(n, k) * sizeof(float));
    for (size_t j = 0; j < n; j++) {
        float *p = packed + j / GEMM_NR * panel_floats(k) + j % GEMM_NR;
        p[0] = bias ? bias[j] : 0.0f;
        for (size_t i = 0; i < k; i++)
            p[(i + 1) * GEMM_NR] = w[j * k + i];
    }
}

/* About four items per thread, split along m first (the A micro-tile then
 * stays in L1 for all of its panels), along n when m is short. */
static void gemm_tiles(size_t m, size_t n, size_t k, int threads,
                       size_t *tile_m, size_t *tile_n)
{
    size_t mt = div_up(m, GEMM_MR), np = div_up(n, GEMM_NR);
    double flops = 2.0 * (double)m * (double)n * (double)k;
    size_t want = worth_threads(threads, flops) ? 4 * (size_t)threads : 1;
    size_t items_m = mt < want ? mt : want;
    size_t items_n = div_up(want, items_m);
    if (items_n > np)
        items_n = np;
    *tile_m = GEMM_MR * div_up(mt, items_m);
    *tile_n = GEMM_NR * div_up(np, items_n);
}

void eng_kernel_gemm_plan(eng_kernel_gemm *g, int threads)
{
    gemm_tiles(g->m, g->n, g->k, threads, &g->tile_m, &g->tile_n);
}

/* Stores the first r (0..8) lanes of v: in halves, quarters and single
 * lanes, as a masked store is slow on AMD and a memcpy call costs more
 * than the store itself. */
__attribute__((target("avx2,fma"))) static inline void
store_first(float *dst, __m256 v, size_t r)
{
    if (r == 8) {
        _mm256_storeu_ps(dst, v);
        return;
    }
    __m128 q = _mm256_castps256_ps128(v);
    if (r & 4) {
        _mm_storeu_ps(dst, q);
        q = _mm256_extractf128_ps(v, 1);
        dst += 4;
    }
    if (r & 2) {
        _mm_storel_pi((__m64 *)dst, q);
        q = _mm_movehl_ps(q, q);
        dst += 2;
    }
    if (r & 1)
        _mm_store_ss(dst, q);
}

/* An mr x (8 * NB) tile of c = clamp(a * panel), mr = MR rows of a, lda
 * floats apart; the nc (<= 8 * NB) leftmost columns are stored. The inner
 * loop is, per row, one broadcast of a and NB FMAs, in order: for 6 x 16,
 * 12 accumulators + 2 B + 1 A = 15 ymm registers and no spill (checked in
 * the disassembly; XNNPACK's Debian build of its tile spills one). MR and
 * NB are constants in the instances below, so everything unrolls. */
__attribute__((target("avx2,fma"), always_inline)) static inline void
gemm_micro(const int MR, const int NB, size_t nc, size_t k, const float *a,
           size_t lda, const float *w, float *c, size_t ldc, __m256 vlo,
           __m256 vhi)
{
    __m256 acc[GEMM_MR][2];
    const float *ar[GEMM_MR];
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
        ar[r] = a + (size_t)r * lda;
        acc[r][0] = _mm256_load_ps(w);
        acc[r][1] = _mm256_load_ps(w + 8);
    }
    w += GEMM_NR;
    for (size_t i = 0; i < k; i++, w += GEMM_NR) {
        __m256 b0 = _mm256_load_ps(w);
        __m256 b1 = NB > 1 ? _mm256_load_ps(w + 8) : b0;
#pragma GCC unroll 6
        for (int r = 0; r < MR; r++) {
            __m256 va = _mm256_broadcast_ss(ar[r] + i);
            acc[r][0] = _mm256_fmadd_ps(va, b0, acc[r][0]);
            if (NB > 1)
                acc[r][1] = _mm256_fmadd_ps(va, b1, acc[r][1]);
        }
    }
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
        float *cr = c + (size_t)r * ldc;
        __m256 v0 = _mm256_min_ps(_mm256_max_ps(acc[r][0], vlo), vhi);
        __m256 v1 = _mm256_min_ps(_mm256_max_ps(acc[r][1], vlo), vhi);
        if (NB == 1 || nc <= 8) {
            store_first(cr, v0, nc < 8 ? nc : 8);
        } else {
            _mm256_storeu_ps(cr, v0);
            store_first(cr + 8, v1, nc - 8);
        }
    }
}

typedef void (*gemm_micro_fn)(size_t nc, size_t k, const float *a,
                              size_t lda, const float *w, float *c,
                              size_t ldc, __m256 vlo, __m256 vhi);

/* One instance per row count (a last tile of m computes only its rows)
 * and per half or full panel (24 = 16 + 8 output channels is common). */
#define GEMM_MICRO(MR, NB)                                                  \
    __attribute__((target("avx2,fma"))) static void gemm_##MR##x##NB(      \
        size_t nc, size_t k, const float *a, size_t lda, const float *w,    \
        float *c, size_t ldc, __m256 vlo, __m256 vhi)                       \
    {                                                                       \
        gemm_micro(MR, NB, nc, k, a, lda, w, c, ldc, vlo, vhi);             \
    }
GEMM_MICRO(1, 1)
GEMM_MICRO(2, 1)
GEMM_MICRO(3, 1)
GEMM_MICRO(4, 1)
GEMM_MICRO(5, 1)
GEMM_MICRO(6, 1)
GEMM_MICRO(1, 2)
GEMM_MICRO(2, 2)
GEMM_MICRO(3, 2)
GEMM_MICRO(4, 2)
GEMM_MICRO(5, 2)
GEMM_MICRO(6, 2)
#undef GEMM_MICRO

static const gemm_micro_fn gemm_micros[2][GEMM_MR] = {
    {gemm_1x1, gemm_2x1, gemm_3x1, gemm_4x1, gemm_5x1, gemm_6x1},
    {gemm_1x2, gemm_2x2, gemm_3x2, gemm_4x2, gemm_5x2, gemm_6x2},
};

/* The micro-kernel for an mr x nc tile (1 <= mr <= 6, 1 <= nc <= 16). */
__attribute__((target("avx2,fma"))) static void
gemm_tile(size_t mr, size_t nc, size_t k, const float *a, size_t lda,
          const float *w, float *c, size_t ldc, __m256 vlo, __m256 vhi)
{
    gemm_micros[nc > 8][mr - 1](nc, k, a, lda, w, c, ldc, vlo, vhi);
}

/* One work item: rows [m0, m0+mt) x columns [n0, n0+nt), n0 a multiple of
 * 16. Panels go in L2-sized groups, and each group sees all the rows. */
__attribute__((target("avx2,fma"))) static void
gemm_task(void *ctx, size_t m0, size_t n0, size_t mt, size_t nt)
{
    const eng_kernel_gemm *g = ctx;
    __m256 vlo = _mm256_set1_ps(g->lo), vhi = _mm256_set1_ps(g->hi);
    size_t pf = panel_floats(g->k);
    size_t group = GEMM_PANEL_GROUP_BYTES / (pf * sizeof(float));
    group = group ? group * GEMM_NR : GEMM_NR;
    for (size_t gn = n0; gn < n0 + nt; gn += group) {
        size_t gend = gn + group < n0 + nt ? gn + group : n0 + nt;
        for (size_t m = m0; m < m0 + mt; m += GEMM_MR) {
            size_t mr = m0 + mt - m < GEMM_MR ? m0 + mt - m : GEMM_MR;
            for (size_t n = gn; n < gend; n += GEMM_NR) {
                size_t nc = gend - n < GEMM_NR ? gend - n : GEMM_NR;
                gemm_tile(mr, nc, g->k, g->a + m * g->lda, g->lda,
                          g->packed + n / GEMM_NR * pf, g->c + m * g->ldc + n,
                          g->ldc, vlo, vhi);
            }
        }
    }
}

void eng_kernel_gemm_run(const eng_kernel_gemm *g, pthreadpool_t pool)
{
    pthreadpool_parallelize_2d_tile_2d(pool, gemm_task, (void *)g, g->m, g->n,
                                       g->tile_m, g->tile_n,
                                       PTHREADPOOL_FLAG_DISABLE_DENORMALS);
}

/* ---- small convolutions as GEMM ----------------------------------------- */

void eng_kernel_convgemm_plan(eng_kernel_convgemm *k, int threads)
{
    gemm_tiles(k->batch * k->out_h * k->out_w, k->out_channels,
               (size_t)k->kh * k->kw * k->channels, threads, &k->tile_m,
               &k->tile_n);
}

/* n floats from src to dst, 8 at a time: the runs are short (9 or 15
 * floats for RGB stems), far below what a memcpy call is worth. The tail
 * is read masked but stored whole, as zeros past n: dst needs 8 floats of
 * slack, and the callers write their runs in ascending order, so whatever
 * follows is overwritten (a masked store is slow on AMD). */
__attribute__((target("avx2,fma"))) static void copy_run(float *dst,
                                                         const float *src,
                                                         size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dst + i, _mm256_loadu_ps(src + i));
    if (i < n)
        _mm256_storeu_ps(dst + i,
                         _mm256_maskload_ps(src + i, tail_mask(n - i)));
}

/* Copies the window of the output pixel at (oy, ox) of image `img` into
 * `a`, K floats in (ky, kx, channel) order, zeros where it leaves the
 * image. */
__attribute__((target("avx2,fma"))) static void
convgemm_window(const eng_kernel_convgemm *k, const float *img, size_t oy,
                size_t ox, float *a)
{
    size_t ch = k->channels, run = (size_t)k->kw * ch;
    long iy0 = (long)oy * k->stride_h - k->pad_top;
    long ix0 = (long)ox * k->stride_w - k->pad_left;
    int kx_lo = ix0 < 0 ? (int)-ix0 : 0;
    int kx_hi = ix0 + k->kw > (long)k->in_w ? (int)((long)k->in_w - ix0)
                                             : k->kw;
    for (int ky = 0; ky < k->kh; ky++, a += run) {
        long iy = iy0 + ky;
        if (iy < 0 || iy >= (long)k->in_h || kx_lo >= kx_hi) {
            memset(a, 0, run * sizeof(float));
            continue;
        }
        if (kx_lo > 0 || kx_hi < k->kw)
            memset(a, 0, run * sizeof(float));
        copy_run(a + (size_t)kx_lo * ch,
                 img + ((size_t)iy * k->in_w + (size_t)(ix0 + kx_lo)) * ch,
                 (size_t)(kx_hi - kx_lo) * ch);
    }
}

__attribute__((target("avx2,fma"))) static void
convgemm_task(void *ctx, size_t m0, size_t n0, size_t mt, size_t nt)
{
    const eng_kernel_convgemm *k = ctx;
    size_t kk = (size_t)k->kh * k->kw * k->channels, pf = panel_floats(kk);
    size_t img_floats = k->in_h * k->in_w * k->channels;
    float a[GEMM_MR * ENG_KERNEL_CONVGEMM_MAX_K + 8]; /* + copy_run slack */
    __m256 vlo = _mm256_set1_ps(k->lo), vhi = _mm256_set1_ps(k->hi);
    /* Pixel m0's coordinates, then stepped: no division per pixel. */
    size_t ox = m0 % k->out_w, oy = m0 / k->out_w % k->out_h;
    size_t n = m0 / (k->out_w * k->out_h);
    for (size_t m = m0; m < m0 + mt; m += GEMM_MR) {
        size_t mr = m0 + mt - m < GEMM_MR ? m0 + mt - m : GEMM_MR;
        for (size_t r = 0; r < mr; r++) {
            convgemm_window(k, k->in + n * img_floats, oy, ox, a + r * kk);
            if (++ox == k->out_w) {
                ox = 0;
                if (++oy == k->out_h) {
                    oy = 0;
                    n++;
                }
            }
        }
        for (size_t j = n0; j < n0 + nt; j += GEMM_NR) {
            size_t nc = n0 + nt - j < GEMM_NR ? n0 + nt - j : GEMM_NR;
            gemm_tile(mr, nc, kk, a, kk, k->packed + j / GEMM_NR * pf,
                      k->out + m * k->out_channels + j, k->out_channels, vlo,
                      vhi);
        }
    }
}

void eng_kernel_convgemm_run(const eng_kernel_convgemm *k, pthreadpool_t pool)
{
    pthreadpool_parallelize_2d_tile_2d(
        pool, convgemm_task, (void *)k, k->batch * k->out_h * k->out_w,
        k->out_channels, k->tile_m, k->tile_n,
        PTHREADPOOL_FLAG_DISABLE_DENORMALS);
}

/* ---- transposed convolution without overlap ----------------------------- */

static size_t deconv_n(const eng_kernel_deconv *k)
{
    return (size_t)k->kh * k->kw * k->out_channels;
}

size_t eng_kernel_deconv_packed_floats(const eng_kernel_deconv *k)
{
    return eng_kernel_gemm_packed_floats(deconv_n(k), k->in_channels);
}

void eng_kernel_deconv_pack(const eng_kernel_deconv *k, const float *w,
                            const float *bias, float *packed)
{
    /* GEMM column j = (ky * kw + kx) * out_channels + co: a row of C is
     * the input pixel's output block in NHWC order, row by row. */
    size_t n = deconv_n(k), cin = k->in_channels, co_n = k->out_channels;
    memset(packed, 0, eng_kernel_deconv_packed_floats(k) * sizeof(float));
    for (size_t j = 0; j < n; j++) {
        size_t co = j % co_n, tap = j / co_n;
        const float *src = w + (co * (size_t)k->kh * k->kw + tap) * cin;
        float *p = packed + j / GEMM_NR * panel_floats(cin) + j % GEMM_NR;
        p[0] = bias ? bias[co] : 0.0f;
        for (size_t i = 0; i < cin; i++)
            p[(i + 1) * GEMM_NR] = src[i];
    }
}

void eng_kernel_deconv_plan(eng_kernel_deconv *k, int threads)
{
    size_t tile_n;
    gemm_tiles(k->batch * k->in_h * k->in_w, deconv_n(k), k->in_channels,
               threads, &k->tile_m, &tile_n);
}

/* Input pixels [m0, m0+mt): six at a time through the GEMM into a stack
 * tile, then each pixel's kh rows of kw * out_channels floats copied out. */
__attribute__((target("avx2,fma"))) static void
deconv_task(void *ctx, size_t m0, size_t mt)
{
    const eng_kernel_deconv *k = ctx;
    size_t n = deconv_n(k), pf = panel_floats(k->in_channels);
    size_t run = (size_t)k->kw * k->out_channels;
    size_t out_w = k->in_w * (size_t)k->kw;
    float c[GEMM_MR * ENG_KERNEL_DECONV_MAX_N];
    __m256 vlo = _mm256_set1_ps(k->lo), vhi = _mm256_set1_ps(k->hi);
    /* Input row of pixel m0, then stepped: no division per pixel. The
     * output row of input row `row` (image and y together) starts at
     * row * kh output rows. */
    size_t ix = m0 % k->in_w, row = m0 / k->in_w;
    for (size_t m = m0; m < m0 + mt; m += GEMM_MR) {
        size_t mr = m0 + mt - m < GEMM_MR ? m0 + mt - m : GEMM_MR;
        for (size_t j = 0; j < n; j += GEMM_NR)
            gemm_tile(mr, n - j < GEMM_NR ? n - j : GEMM_NR, k->in_channels,
                      k->in + m * k->in_channels, k->in_channels,
                      k->packed + j / GEMM_NR * pf, c + j, n, vlo, vhi);
        for (size_t r = 0; r < mr; r++) {
            float *dst = k->out + (row * (size_t)k->kh * out_w +
                                   ix * (size_t)k->kw) *
                                      k->out_channels;
            /* Plain loops: a run is a few floats (2 in the models). */
            for (int ky = 0; ky < k->kh; ky++, dst += out_w * k->out_channels)
                for (size_t i = 0; i < run; i++)
                    dst[i] = c[r * n + (size_t)ky * run + i];
            if (++ix == k->in_w) {
                ix = 0;
                row++;
            }
        }
    }
}

void eng_kernel_deconv_run(const eng_kernel_deconv *k, pthreadpool_t pool)
{
    pthreadpool_parallelize_1d_tile_1d(pool, deconv_task, (void *)k,
                                       k->batch * k->in_h * k->in_w,
                                       k->tile_m,
                                       PTHREADPOOL_FLAG_DISABLE_DENORMALS);
}

/* ---- convolution to one output channel ----------------------------------- */

void eng_kernel_conv1_plan(eng_kernel_conv1 *k, int threads)
{
    size_t rows = k->batch * k->out_h;
    k->tile_rows = rows_per_item(rows, threads,
                                 2.0 * (double)(rows * k->out_w) * k->kh *
                                     k->kw * k->channels);
}

/* acc += x[0..n) * w[0..n), 8 lanes at a time, the tail masked. */
__attribute__((target("avx2,fma"))) static __m256
dot_acc(const float *x, const float *w, size_t n, __m256 acc)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        acc = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(w + i),
                              acc);
    if (i < n) {
        __m256i m = tail_mask(n - i);
        acc = _mm256_fmadd_ps(_mm256_maskload_ps(x + i, m),
                              _mm256_maskload_ps(w + i, m), acc);
    }
    return acc;
}

__attribute__((target("avx2,fma"))) static float hsum(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v),
                          _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    return _mm_cvtss_f32(_mm_add_ss(s, _mm_movehdup_ps(s)));
}

/* One output pixel whose window starts at (iy0, ix0) of image `img`: in
 * NHWC the window's valid columns of one row are one contiguous run. */
__attribute__((target("avx2,fma"))) static float
conv1_pixel(const eng_kernel_conv1 *k, const float *img, long iy0, long ix0)
{
    long w = (long)k->in_w, c = (long)k->channels;
    long x_lo = ix0 < 0 ? -ix0 : 0;
    long x_hi = ix0 + k->kw > w ? w - ix0 : k->kw;
    __m256 acc = _mm256_setzero_ps();
    for (long ky = 0; ky < k->kh && x_lo < x_hi; ky++) {
        long iy = iy0 + ky;
        if (iy < 0 || iy >= (long)k->in_h)
            continue;
        acc = dot_acc(img + (iy * w + ix0 + x_lo) * c,
                      k->w + (ky * k->kw + x_lo) * c,
                      (size_t)((x_hi - x_lo) * c), acc);
    }
    return hsum(acc) + k->bias;
}

/* Two horizontally adjacent pixels whose windows are fully inside the row:
 * two independent FMA chains hide each other's latency. */
__attribute__((target("avx2,fma"))) static void
conv1_pair(const eng_kernel_conv1 *k, const float *img, long iy0, long ix0,
           float v[2])
{
    size_t run = (size_t)k->kw * k->channels;
    size_t step = (size_t)k->stride_w * k->channels;
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    for (long ky = 0; ky < k->kh; ky++) {
        long iy = iy0 + ky;
        if (iy < 0 || iy >= (long)k->in_h)
            continue;
        const float *x = img + ((size_t)iy * k->in_w + (size_t)ix0) *
                                   k->channels;
        const float *w = k->w + (size_t)ky * run;
        a0 = dot_acc(x, w, run, a0);
        a1 = dot_acc(x + step, w, run, a1);
    }
    v[0] = hsum(a0) + k->bias;
    v[1] = hsum(a1) + k->bias;
}

static float clampf(float v, float lo, float hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

__attribute__((target("avx2,fma"))) static void
conv1_task(void *ctx, size_t row0, size_t rows)
{
    const eng_kernel_conv1 *k = ctx;
    size_t img_floats = k->in_h * k->in_w * k->channels;
    for (size_t r = row0; r < row0 + rows; r++) {
        size_t n = r / k->out_h, oy = r % k->out_h;
        const float *img = k->in + n * img_floats;
        long iy0 = (long)oy * k->stride_h - k->pad_top;
        float *out = k->out + r * k->out_w;
        for (size_t ox = 0; ox < k->out_w;) {
            long ix0 = (long)ox * k->stride_w - k->pad_left;
            long ix1 = ix0 + k->stride_w;
            if (ox + 1 < k->out_w && ix0 >= 0 &&
                ix1 + k->kw <= (long)k->in_w) {
                float v[2];
                conv1_pair(k, img, iy0, ix0, v);
                out[ox++] = clampf(v[0], k->lo, k->hi);
                out[ox++] = clampf(v[1], k->lo, k->hi);
            } else {
                out[ox++] = clampf(conv1_pixel(k, img, iy0, ix0), k->lo,
                                   k->hi);
            }
        }
    }
}

void eng_kernel_conv1_run(const eng_kernel_conv1 *k, pthreadpool_t pool)
{
    pthreadpool_parallelize_1d_tile_1d(pool, conv1_task, (void *)k,
                                       k->batch * k->out_h, k->tile_rows,
                                       PTHREADPOOL_FLAG_DISABLE_DENORMALS);
}

/* ---- depthwise convolution ---------------------------------------------- */

int eng_kernel_dwconv_wins(int kh, int kw, size_t channels)
{
    return !(kh <= 3 && kw <= 3 && channels >= 128);
}

void eng_kernel_dwconv_plan(eng_kernel_dwconv *k, int threads)
{
    size_t rows = k->batch * k->out_h;
    k->tile_rows = rows_per_item(rows, threads,
                                 2.0 * (double)(rows * k->out_w) * k->kh *
                                     k->kw * k->channels);
}

/* One output row's view: the image, its first input row and the rows of
 * the window inside the image. */
typedef struct dw_row {
    const float *img;
    long iy0;
    int ky_lo, ky_hi;
} dw_row;

__attribute__((target("avx2,fma"))) static __m256
load8(const float *p, int masked, __m256i mask)
{
    return masked ? _mm256_maskload_ps(p, mask) : _mm256_loadu_ps(p);
}

/* Channels [c, c+8) of the output pixel at input column ix0 whose window
 * has columns [kx_lo, kx_hi) inside the image: borders, channel tails and
 * leftover pixels. */
__attribute__((target("avx2,fma"))) static __m256
dw_pixel(const eng_kernel_dwconv *k, const dw_row *r, long ix0, int kx_lo,
         int kx_hi, size_t c, int masked, __m256i mask)
{
    size_t ch = k->channels;
    __m256 acc = load8(k->bias + c, masked, mask);
    for (int ky = r->ky_lo; ky < r->ky_hi; ky++) {
        const float *x = r->img +
                         ((size_t)(r->iy0 + ky) * k->in_w + (size_t)ix0) * ch +
                         c;
        const float *w = k->w + (size_t)ky * k->kw * ch + c;
        for (int kx = kx_lo; kx < kx_hi; kx++)
            acc = _mm256_fmadd_ps(load8(x + (size_t)kx * ch, masked, mask),
                                  load8(w + (size_t)kx * ch, masked, mask),
                                  acc);
    }
    return acc;
}

/* Like dw_pixel for four full blocks [c, c+32): four FMA chains instead of
 * one, for the pixels of narrow maps (7x7, 14x14) that groups miss. */
__attribute__((target("avx2,fma"))) static void
dw_pixel4(const eng_kernel_dwconv *k, const dw_row *r, long ix0, int kx_lo,
          int kx_hi, size_t c, __m256 acc[4])
{
    size_t ch = k->channels;
    for (int b = 0; b < 4; b++)
        acc[b] = _mm256_loadu_ps(k->bias + c + 8 * b);
    for (int ky = r->ky_lo; ky < r->ky_hi; ky++) {
        const float *x = r->img +
                         ((size_t)(r->iy0 + ky) * k->in_w + (size_t)ix0) * ch +
                         c;
        const float *w = k->w + (size_t)ky * k->kw * ch + c;
        for (int kx = kx_lo; kx < kx_hi; kx++) {
            const float *xk = x + (size_t)kx * ch, *wk = w + (size_t)kx * ch;
            for (int b = 0; b < 4; b++)
                acc[b] = _mm256_fmadd_ps(_mm256_loadu_ps(xk + 8 * b),
                                         _mm256_loadu_ps(wk + 8 * b), acc[b]);
        }
    }
}

/* Output pixel ox of a row, channels [c, channels), the checked path. */
__attribute__((target("avx2,fma"))) static void
dw_pixel_from(const eng_kernel_dwconv *k, const dw_row *r, long ox, size_t c,
              float *out)
{
    size_t ch = k->channels;
    long ix0 = ox * k->stride_w - k->pad_left;
    int kx_lo = ix0 < 0 ? (int)-ix0 : 0;
    int kx_hi = ix0 + k->kw > (long)k->in_w ? (int)((long)k->in_w - ix0)
                                             : k->kw;
    __m256 lo = _mm256_set1_ps(k->lo), hi = _mm256_set1_ps(k->hi);
    float *o = out + (size_t)ox * ch;
    for (; c + 32 <= ch; c += 32) {
        __m256 acc[4];
        dw_pixel4(k, r, ix0, kx_lo, kx_hi, c, acc);
        for (int b = 0; b < 4; b++)
            _mm256_storeu_ps(o + c + 8 * b,
                             _mm256_min_ps(_mm256_max_ps(acc[b], lo), hi));
    }
    for (; c < ch; c += 8) {
        size_t nc = ch - c < 8 ? ch - c : 8;
        __m256i mask = tail_mask(nc);
        __m256 v = dw_pixel(k, r, ix0, kx_lo, kx_hi, c, nc < 8, mask);
        v = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
        if (nc < 8)
            _mm256_maskstore_ps(o + c, mask, v);
        else
            _mm256_storeu_ps(o + c, v);
    }
}

/* G output pixels x B blocks of 8 channels from c: G*B (8) independent FMA
 * chains to cover the FMA latency, each weight vector loaded once for the G
 * pixels. The windows lie inside the row horizontally, the first at input
 * column ix0. KW, G and B are constants in the callers, so the loops
 * unroll and the accumulators stay in registers. */
__attribute__((target("avx2,fma"), always_inline)) static inline void
dw_tile(const eng_kernel_dwconv *k, const dw_row *r, long ix0, size_t c,
        const int KW, const int G, const int B, float *out)
{
    size_t ch = k->channels, step = (size_t)k->stride_w * ch;
    __m256 acc[8];
#pragma GCC unroll 8
    for (int i = 0; i < G * B; i++)
        acc[i] = _mm256_loadu_ps(k->bias + c + 8 * (i % B));
    for (int ky = r->ky_lo; ky < r->ky_hi; ky++) {
        const float *x = r->img +
                         ((size_t)(r->iy0 + ky) * k->in_w + (size_t)ix0) * ch +
                         c;
        const float *w = k->w + (size_t)ky * KW * ch + c;
        /* Not unrolled: with x bumped per tap, the only loop invariants
         * are the G pixel offsets, and no address spills to the stack. */
#pragma GCC unroll 1
        for (int kx = 0; kx < KW; kx++, x += ch, w += ch) {
            __m256 w0 = _mm256_loadu_ps(w);
            __m256 w1 = B > 1 ? _mm256_loadu_ps(w + 8) : w0;
#pragma GCC unroll 8
            for (int g = 0; g < G; g++) {
                acc[g * B] = _mm256_fmadd_ps(_mm256_loadu_ps(x + g * step),
                                             w0, acc[g * B]);
                if (B > 1)
                    acc[g * B + 1] = _mm256_fmadd_ps(
                        _mm256_loadu_ps(x + g * step + 8), w1,
                        acc[g * B + 1]);
            }
        }
    }
    __m256 lo = _mm256_set1_ps(k->lo), hi = _mm256_set1_ps(k->hi);
#pragma GCC unroll 8
    for (int i = 0; i < G * B; i++)
        _mm256_storeu_ps(out + (size_t)(i / B) * ch + c + 8 * (i % B),
                         _mm256_min_ps(_mm256_max_ps(acc[i], lo), hi));
}

/* The tile shapes, per kernel width: 4 pixels x 16 channels while 16 are
 * left, then 4 x 8; 8 x 8 when the tensor has fewer than 16 channels. */
#define DW_TILES(KW)                                                        \
    __attribute__((target("avx2,fma"))) static void dw_group_k##KW(         \
        const eng_kernel_dwconv *k, const dw_row *r, long ix0, float *out)  \
    {                                                                       \
        size_t ch = k->channels, c = 0;                                     \
        if (ch < 16) {                                                      \
            dw_tile(k, r, ix0, 0, KW, 8, 1, out);                           \
            return;                                                         \
        }                                                                   \
        for (; c + 16 <= ch; c += 16)                                       \
            dw_tile(k, r, ix0, c, KW, 4, 2, out);                           \
        if (c + 8 <= ch)                                                    \
            dw_tile(k, r, ix0, c, KW, 4, 1, out);                           \
    }
DW_TILES(3)
DW_TILES(5)
#undef DW_TILES

/* One output row: pixel groups outermost, channel blocks inside, so that a
 * group reads its input rows as contiguous runs and all the weights stay
 * in L1 (channel-outer order measured 2x slower at 144+ channels). Groups
 * need their windows inside the row and at least 8 channels; the rest, and
 * the channel tail, take the checked path. */
__attribute__((target("avx2,fma"))) static void
dw_row_all(const eng_kernel_dwconv *k, const dw_row *r, float *out)
{
    size_t ch = k->channels, full = ch / 8 * 8;
    long group_px = ch < 16 ? 8 : 4;
    long sw = k->stride_w, room = (long)k->in_w - k->kw + k->pad_left;
    /* Interior: ox*sw - pad_left >= 0 and ox*sw - pad_left + kw <= in_w. */
    long ox_lo = ((long)k->pad_left + sw - 1) / sw;
    long ox_hi = room < 0 ? 0 : room / sw + 1;
    void (*group)(const eng_kernel_dwconv *, const dw_row *, long,
                  float *) = NULL;
    if (k->kw == 3 && full)
        group = dw_group_k3;
    else if (k->kw == 5 && full)
        group = dw_group_k5;
    for (long ox = 0; ox < (long)k->out_w;) {
        if (!group || ox < ox_lo || ox + group_px > ox_hi) {
            dw_pixel_from(k, r, ox++, 0, out);
            continue;
        }
        group(k, r, ox * sw - k->pad_left, out + (size_t)ox * ch);
        for (long g = 0; g < group_px && full < ch; g++)
            dw_pixel_from(k, r, ox + g, full, out);
        ox += group_px;
    }
}

__attribute__((target("avx2,fma"))) static void
dw_task(void *ctx, size_t row0, size_t rows)
{
    const eng_kernel_dwconv *k = ctx;
    size_t img_floats = k->in_h * k->in_w * k->channels;
    size_t out_row = k->out_w * k->channels;
    for (size_t i = row0; i < row0 + rows; i++) {
        size_t n = i / k->out_h, oy = i % k->out_h;
        dw_row r = {k->in + n * img_floats,
                    (long)oy * k->stride_h - k->pad_top, 0, k->kh};
        if (r.iy0 < 0)
            r.ky_lo = (int)-r.iy0;
        if (r.iy0 + k->kh > (long)k->in_h)
            r.ky_hi = (int)((long)k->in_h - r.iy0);
        dw_row_all(k, &r, k->out + i * out_row);
    }
}

void eng_kernel_dwconv_run(const eng_kernel_dwconv *k, pthreadpool_t pool)
{
    pthreadpool_parallelize_1d_tile_1d(pool, dw_task, (void *)k,
                                       k->batch * k->out_h, k->tile_rows,
                                       PTHREADPOOL_FLAG_DISABLE_DENORMALS);
}
