#include "kernels.h"

#include <limits.h>
#include <math.h>
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

/* acc + a * b, the product rounded before the sum, as XNNPACK's AVX
 * kernels compute. The depthwise, one-channel and c4 deconvolution
 * kernels use it in both numerics modes: FMA measured no faster in the
 * depthwise one, and the other two are a small part of any model. */
__attribute__((target("avx2"))) static inline __m256 mul_add(__m256 a,
                                                            __m256 b,
                                                            __m256 acc)
{
    return _mm256_add_ps(acc, _mm256_mul_ps(a, b));
}

/* Mask selecting the first r (0..8) lanes, for maskload/maskstore. */
__attribute__((target("avx2"))) static __m256i tail_mask(size_t r)
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

/* The tile, in units, that splits `units` into items a pool of `threads`
 * finishes soonest, assuming equal units and whole items per thread: of
 * 1 to 4 items per thread, the split with the shortest busiest thread,
 * and of those within 2% of it the finest. 7 rows on 2 threads: tiles of
 * 1 (4 + 3, as good as any); 14 rows: tiles of 7, not 2 (7 items, 4 + 3).
 * Finer splits that let a thread take over from one the scheduler delays
 * measured slower here, even on this VM's often slow second vCPU. */
static size_t balanced_tile(size_t units, int threads)
{
    size_t t_n = (size_t)threads, max_items = 4 * t_n;
    if (max_items > units)
        max_items = units;
    size_t best = SIZE_MAX, tile = units;
    for (int pass = 0; pass < 2; pass++) {
        for (size_t p = t_n; p <= max_items; p++) {
            size_t t = div_up(units, p);
            size_t span = div_up(div_up(units, t), t_n) * t;
            if (!pass && span < best)
                best = span;
            if (pass && span * 50 <= best * 51)
                tile = t; /* p grows: the last match is the finest */
        }
    }
    return tile;
}

/* Work items of an m x n x k GEMM for `threads` threads. Each item reads
 * all of A's rows or B's panels it spans, so the larger operand is split
 * and the smaller re-read: along n when B is the larger (the 7x7 and
 * 14x14 layers: B of 192 x 1152 floats is 0.9 MB, past L2, and an item
 * per row tile would stream all of it), along m otherwise, into items
 * the threads share evenly. split_n = 0 keeps every item to all n columns
 * (the callers that do per-row work such as im2col). */
static void gemm_tiles(size_t m, size_t n, size_t k, int threads,
                       int split_n, size_t *tile_m, size_t *tile_n)
{
    size_t mt = div_up(m, GEMM_MR), np = div_up(n, GEMM_NR);
    double flops = 2.0 * (double)m * (double)n * (double)k;
    *tile_m = GEMM_MR * mt;
    *tile_n = GEMM_NR * np;
    if (!worth_threads(threads, flops))
        return;
    if (split_n && np >= (size_t)threads && (n >= m || mt < (size_t)threads))
        *tile_n = GEMM_NR * balanced_tile(np, threads);
    else if (mt >= (size_t)threads)
        *tile_m = GEMM_MR * balanced_tile(mt, threads);
    else if (split_n)
        *tile_n = GEMM_NR * div_up(np, (size_t)threads);
}

void eng_kernel_gemm_plan(eng_kernel_gemm *g, int threads)
{
    gemm_tiles(g->m, g->n, g->k, threads, 1, &g->tile_m, &g->tile_n);
}

/* Stores the first r (0..8) lanes of v: in halves, quarters and single
 * lanes, as a masked store is slow on AMD and a memcpy call costs more
 * than the store itself. */
__attribute__((target("avx2"))) static inline void
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

/* acc + a * b: rounded once (FMA) when FUSED, else the product rounded
 * and then the sum, as XNNPACK's AVX kernels do. FUSED is a constant in
 * every caller. The engine is compiled with -ffp-contract=off, so the
 * compiler never fuses the second form behind our back. */
__attribute__((target("avx2,fma"), always_inline)) static inline __m256
madd_either(const int FUSED, __m256 a, __m256 b, __m256 acc)
{
    return FUSED ? _mm256_fmadd_ps(a, b, acc) : mul_add(a, b, acc);
}

/* An mr x (8 * NB) tile of c = clamp(a * panel), mr = MR rows of a, lda
 * floats apart; the nc (<= 8 * NB) leftmost columns are stored. The inner
 * loop is, per row, one broadcast of a and NB multiply-adds, in order:
 * for 6 x 16, 12 accumulators + 2 B + 1 A (+ 1 product) = 15 (16) ymm
 * registers and no spill (checked in the disassembly; XNNPACK's Debian
 * build of its FMA3 tile spills one). Each output is bias + a[0]*w[0] +
 * a[1]*w[1] + ..., left to right: XNNPACK's GEMM order. MR, NB and FUSED
 * are constants in the instances below, so everything unrolls.
 * A row of a is nseg segments of len floats: row r of segment s starts at
 * seg[s] + r * lda. A plain matrix is one segment; the windows of a
 * convolution's interior pixels are kh segments (one per window row) read
 * in place, with no copy. */
__attribute__((target("avx2,fma"), always_inline)) static inline void
gemm_micro(const int MR, const int NB, const int FUSED, size_t nc,
           size_t nseg, const float *const *seg, size_t len, size_t lda,
           const float *w, float *c, size_t ldc, __m256 vlo, __m256 vhi)
{
    __m256 acc[GEMM_MR][2];
    const float *ar[GEMM_MR];
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
        acc[r][0] = _mm256_load_ps(w);
        acc[r][1] = _mm256_load_ps(w + 8);
    }
    w += GEMM_NR;
    for (size_t s = 0; s < nseg; s++) {
#pragma GCC unroll 6
        for (int r = 0; r < MR; r++)
            ar[r] = seg[s] + (size_t)r * lda;
        /* Two steps per iteration: the multiply-then-add form issues 1.5x
         * the instructions of FMA and is front-end bound on Zen 3
         * without it. */
#pragma GCC unroll 2
        for (size_t i = 0; i < len; i++, w += GEMM_NR) {
            __m256 b0 = _mm256_load_ps(w);
            __m256 b1 = NB > 1 ? _mm256_load_ps(w + 8) : b0;
#pragma GCC unroll 6
            for (int r = 0; r < MR; r++) {
                __m256 va = _mm256_broadcast_ss(ar[r] + i);
                acc[r][0] = madd_either(FUSED, va, b0, acc[r][0]);
                if (NB > 1)
                    acc[r][1] = madd_either(FUSED, va, b1, acc[r][1]);
            }
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
typedef void (*gemm_seg_fn)(size_t nc, size_t nseg, const float *const *seg,
                            size_t len, size_t lda, const float *w, float *c,
                            size_t ldc, __m256 vlo, __m256 vhi);

/* One instance per row count (a last tile of m computes only its rows),
 * per half or full panel (24 = 16 + 8 output channels is common) and per
 * numerics (F: fused). A plain matrix is one segment, a constant: the
 * segment loop compiles away. Segmented instances exist for full tiles. */
#define GEMM_MICRO(MR, NB, F)                                               \
    __attribute__((target("avx2,fma"))) static void gemm_##MR##x##NB##F(   \
        size_t nc, size_t k, const float *a, size_t lda, const float *w,    \
        float *c, size_t ldc, __m256 vlo, __m256 vhi)                       \
    {                                                                       \
        const float *seg[1] = {a};                                          \
        gemm_micro(MR, NB, F, nc, 1, seg, k, lda, w, c, ldc, vlo, vhi);     \
    }
#define GEMM_SEG(NB, F)                                                     \
    __attribute__((target("avx2,fma"))) static void gemm_seg_6x##NB##F(    \
        size_t nc, size_t nseg, const float *const *seg, size_t len,        \
        size_t lda, const float *w, float *c, size_t ldc, __m256 vlo,       \
        __m256 vhi)                                                         \
    {                                                                       \
        gemm_micro(6, NB, F, nc, nseg, seg, len, lda, w, c, ldc, vlo, vhi); \
    }
#define GEMM_MICROS(F)                                                      \
    GEMM_MICRO(1, 1, F)                                                     \
    GEMM_MICRO(2, 1, F)                                                     \
    GEMM_MICRO(3, 1, F)                                                     \
    GEMM_MICRO(4, 1, F)                                                     \
    GEMM_MICRO(5, 1, F)                                                     \
    GEMM_MICRO(6, 1, F)                                                     \
    GEMM_MICRO(1, 2, F)                                                     \
    GEMM_MICRO(2, 2, F)                                                     \
    GEMM_MICRO(3, 2, F)                                                     \
    GEMM_MICRO(4, 2, F)                                                     \
    GEMM_MICRO(5, 2, F)                                                     \
    GEMM_MICRO(6, 2, F)
GEMM_MICROS(0)
GEMM_MICROS(1)
GEMM_SEG(1, 0)
GEMM_SEG(2, 0)
GEMM_SEG(1, 1)
GEMM_SEG(2, 1)
#undef GEMM_SEG
#undef GEMM_MICROS
#undef GEMM_MICRO

static const gemm_micro_fn gemm_micros[2][2][GEMM_MR] = {
    {{gemm_1x10, gemm_2x10, gemm_3x10, gemm_4x10, gemm_5x10, gemm_6x10},
     {gemm_1x20, gemm_2x20, gemm_3x20, gemm_4x20, gemm_5x20, gemm_6x20}},
    {{gemm_1x11, gemm_2x11, gemm_3x11, gemm_4x11, gemm_5x11, gemm_6x11},
     {gemm_1x21, gemm_2x21, gemm_3x21, gemm_4x21, gemm_5x21, gemm_6x21}},
};

/* Rows of the next micro-tile when `left` rows remain: 6, but 7 and 8
 * go as 4 + 3 and 4 + 4. A 1- or 2-row tile is bound by the latency of
 * its 2-4 add chains and takes half the time of a full one (the 7x7
 * layers' 49 rows). */
static size_t next_mr(size_t left)
{
    if (left > GEMM_MR && left <= GEMM_MR + 2)
        return div_up(left, 2);
    return left < GEMM_MR ? left : GEMM_MR;
}

static const gemm_seg_fn gemm_segs[2][2] = {
    {gemm_seg_6x10, gemm_seg_6x20},
    {gemm_seg_6x11, gemm_seg_6x21},
};

/* The micro-kernel for an mr x nc tile (1 <= mr <= 6, 1 <= nc <= 16). */
__attribute__((target("avx2,fma"))) static void
gemm_tile(int fused, size_t mr, size_t nc, size_t k, const float *a,
          size_t lda, const float *w, float *c, size_t ldc, __m256 vlo,
          __m256 vhi)
{
    gemm_micros[fused != 0][nc > 8][mr - 1](nc, k, a, lda, w, c, ldc, vlo,
                                            vhi);
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
        for (size_t m = m0, mr; m < m0 + mt; m += mr) {
            mr = next_mr(m0 + mt - m);
            for (size_t n = gn; n < gend; n += GEMM_NR) {
                size_t nc = gend - n < GEMM_NR ? gend - n : GEMM_NR;
                gemm_tile(g->fused, mr, nc, g->k, g->a + m * g->lda, g->lda,
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
               (size_t)k->kh * k->kw * k->channels, threads, 0, &k->tile_m,
               &k->tile_n);
}

/* n floats from src to dst, 8 at a time: the runs are short (9 or 15
 * floats for RGB stems), far below what a memcpy call is worth. A tail of
 * a run of 8 or more is the run's last 8 floats, overlapping what is
 * already copied (a masked load measured as slow as the rest of the
 * window's copy on Zen 3); a shorter run is read masked but stored whole,
 * as zeros past n: dst needs 8 floats of slack, and the callers write
 * their runs in ascending order, so whatever follows is overwritten (a
 * masked store is slow on AMD). */
__attribute__((target("avx2"))) static void copy_run(float *dst,
                                                     const float *src,
                                                     size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dst + i, _mm256_loadu_ps(src + i));
    if (i == n)
        return;
    if (n >= 8)
        _mm256_storeu_ps(dst + n - 8, _mm256_loadu_ps(src + n - 8));
    else
        _mm256_storeu_ps(dst + i,
                         _mm256_maskload_ps(src + i, tail_mask(n - i)));
}

/* Copies the window of the output pixel at (oy, ox) of image `img` into
 * `a`, K floats in (ky, kx, channel) order, zeros where it leaves the
 * image. */
__attribute__((target("avx2"))) static void
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

/* The kh window rows of the GEMM_MR pixels from (oy, ox), when all their
 * windows lie inside the image and on one output row: each window row is
 * kw * channels contiguous floats, the next pixel's stride_w * channels
 * further on, so the GEMM reads them in place (a segment per window row,
 * in the (ky, kx, channel) order of the copy). Returns 0 otherwise. */
static int convgemm_in_place(const eng_kernel_convgemm *k, const float *img,
                             size_t oy, size_t ox, const float **seg)
{
    long iy0 = (long)oy * k->stride_h - k->pad_top;
    long ix0 = (long)ox * k->stride_w - k->pad_left;
    long ix_end = ix0 + (long)(GEMM_MR - 1) * k->stride_w + k->kw;
    if (k->kh > ENG_KERNEL_CONVGEMM_MAX_KH || ox + GEMM_MR > k->out_w ||
        iy0 < 0 || iy0 + k->kh > (long)k->in_h || ix0 < 0 ||
        ix_end > (long)k->in_w)
        return 0;
    for (int ky = 0; ky < k->kh; ky++)
        seg[ky] = img + ((size_t)(iy0 + ky) * k->in_w + (size_t)ix0) *
                            k->channels;
    return 1;
}

__attribute__((target("avx2,fma"))) static void
convgemm_task(void *ctx, size_t m0, size_t n0, size_t mt, size_t nt)
{
    const eng_kernel_convgemm *k = ctx;
    size_t kk = (size_t)k->kh * k->kw * k->channels, pf = panel_floats(kk);
    size_t img_floats = k->in_h * k->in_w * k->channels;
    size_t len = (size_t)k->kw * k->channels;
    size_t lda = (size_t)k->stride_w * k->channels;
    float a[GEMM_MR * ENG_KERNEL_CONVGEMM_MAX_K + 8]; /* + copy_run slack */
    const float *seg[ENG_KERNEL_CONVGEMM_MAX_KH];
    __m256 vlo = _mm256_set1_ps(k->lo), vhi = _mm256_set1_ps(k->hi);
    /* Pixel m0's coordinates, then stepped: no division per pixel. */
    size_t ox = m0 % k->out_w, oy = m0 / k->out_w % k->out_h;
    size_t n = m0 / (k->out_w * k->out_h);
    for (size_t m = m0, mr; m < m0 + mt; m += mr) {
        mr = next_mr(m0 + mt - m);
        const float *img = k->in + n * img_floats;
        int in_place = mr == GEMM_MR &&
                       convgemm_in_place(k, img, oy, ox, seg);
        for (size_t r = 0; r < mr; r++) {
            if (!in_place)
                convgemm_window(k, k->in + n * img_floats, oy, ox,
                                a + r * kk);
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
            const float *w = k->packed + j / GEMM_NR * pf;
            float *c = k->out + m * k->out_channels + j;
            if (in_place)
                gemm_segs[k->fused != 0][nc > 8](nc, (size_t)k->kh, seg,
                                                 len, lda, w, c,
                                                 k->out_channels, vlo, vhi);
            else
                gemm_tile(k->fused, mr, nc, kk, a, kk, w, c,
                          k->out_channels, vlo, vhi);
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

/* XNNPACK's deconvolution runs its 4x2c4 SSE GEMM when there are fewer
 * output channels than its AVX GEMM's 16 columns (found by comparing bits:
 * test_ops): each output then sums in four lanes, lane t taking input
 * channels t, t+4, t+8, ... in order, lane 0 starting from the bias, and
 * ends as (lane 0 + lane 2) + (lane 1 + lane 3). EXACT numerics follow
 * that; otherwise the GEMM above runs (XNNPACK's order at 16+ channels). */
static int deconv_c4(const eng_kernel_deconv *k)
{
    return !k->fused && k->out_channels < GEMM_NR;
}

/* c4 weights: per pair of GEMM columns, a vector of the two biases (lane 0
 * of each half, zeros elsewhere), then per block of four input channels
 * the two columns' four weights, zero-padded past in_channels. */
static size_t c4_pair_floats(const eng_kernel_deconv *k)
{
    return 8 * (1 + div_up(k->in_channels, 4));
}

size_t eng_kernel_deconv_packed_floats(const eng_kernel_deconv *k)
{
    if (deconv_c4(k))
        return div_up(deconv_n(k), 2) * c4_pair_floats(k);
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
        float b = bias ? bias[co] : 0.0f;
        if (deconv_c4(k)) {
            float *p = packed + j / 2 * c4_pair_floats(k) + j % 2 * 4;
            p[0] = b;
            for (size_t i = 0; i < cin; i++)
                p[8 * (1 + i / 4) + i % 4] = src[i];
            continue;
        }
        float *p = packed + j / GEMM_NR * panel_floats(cin) + j % GEMM_NR;
        p[0] = b;
        for (size_t i = 0; i < cin; i++)
            p[(i + 1) * GEMM_NR] = src[i];
    }
}

void eng_kernel_deconv_plan(eng_kernel_deconv *k, int threads)
{
    size_t tile_n;
    gemm_tiles(k->batch * k->in_h * k->in_w, deconv_n(k), k->in_channels,
               threads, 0, &k->tile_m, &tile_n);
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
            gemm_tile(k->fused, mr, n - j < GEMM_NR ? n - j : GEMM_NR,
                      k->in_channels,
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

/* Input pixels [m0, m0+mt) in XNNPACK's c4 order (see deconv_c4): two
 * GEMM columns per vector, four lanes each, two vectors per pass over the
 * input pixel (four columns; the second vector repeats the first when
 * there are only two, and is not stored). */
__attribute__((target("avx2"))) static void deconv_c4_task(void *ctx,
                                                          size_t m0,
                                                          size_t mt)
{
    static const int lane[4] = {0, 4, 2, 6}; /* column j + h's result */
    const eng_kernel_deconv *k = ctx;
    size_t n = deconv_n(k), cin = k->in_channels, co_n = k->out_channels;
    size_t out_w = k->in_w * (size_t)k->kw, pf = c4_pair_floats(k);
    __m256 vlo = _mm256_set1_ps(k->lo), vhi = _mm256_set1_ps(k->hi);
    /* The last block's channels past in_channels read as zeros, as
     * XNNPACK zeroes them: 0 * 0 adds +0. */
    const __m128i tail = _mm256_castsi256_si128(
        tail_mask(cin % 4 ? cin % 4 : 4));
    /* Column j's place in the pixel's output block. */
    size_t off[ENG_KERNEL_DECONV_MAX_N];
    for (size_t j = 0; j < n; j++) {
        size_t tap = j / co_n;
        off[j] = (tap / (size_t)k->kw * out_w + tap % (size_t)k->kw) * co_n +
                 j % co_n;
    }
    size_t ix = m0 % k->in_w, row = m0 / k->in_w;
    for (size_t m = m0; m < m0 + mt; m++) {
        const float *x = k->in + m * cin;
        float *dst = k->out + (row * (size_t)k->kh * out_w +
                               ix * (size_t)k->kw) * co_n;
        for (size_t j = 0; j < n; j += 4) {
            const float *pa = k->packed + j / 2 * pf;
            const float *pb = j + 2 < n ? pa + pf : pa;
            __m256 a = _mm256_load_ps(pa), b = _mm256_load_ps(pb);
            for (size_t i = 0; i < cin; i += 4) {
                __m128 xq = i + 4 <= cin ? _mm_loadu_ps(x + i)
                                         : _mm_maskload_ps(x + i, tail);
                __m256 xv = _mm256_set_m128(xq, xq);
                pa += 8;
                pb += 8;
                a = mul_add(xv, _mm256_load_ps(pa), a);
                b = mul_add(xv, _mm256_load_ps(pb), b);
            }
            /* (l0 + l2) + (l1 + l3) of each half of a and b. */
            __m256 s2 = _mm256_add_ps(_mm256_shuffle_ps(a, b, 0x44),
                                      _mm256_shuffle_ps(a, b, 0xee));
            __m256 t = _mm256_add_ps(s2, _mm256_permute_ps(s2, 0xb1));
            t = _mm256_min_ps(_mm256_max_ps(t, vlo), vhi);
            float v[8];
            _mm256_storeu_ps(v, t);
            for (size_t h = 0; h < 4 && j + h < n; h++)
                dst[off[j + h]] = v[lane[h]];
        }
        if (++ix == k->in_w) {
            ix = 0;
            row++;
        }
    }
}

void eng_kernel_deconv_run(const eng_kernel_deconv *k, pthreadpool_t pool)
{
    pthreadpool_parallelize_1d_tile_1d(
        pool, deconv_c4(k) ? deconv_c4_task : deconv_task, (void *)k,
        k->batch * k->in_h * k->in_w, k->tile_m,
        PTHREADPOOL_FLAG_DISABLE_DENORMALS);
}

/* ---- convolution to one output channel ----------------------------------- */

/* An input row is kept transposed: for channel c and phase f (a padded
 * column modulo the stride), the padded columns f, f + s, f + 2s, ... are
 * one contiguous run, so tap kx of eight adjacent output pixels is one
 * load from run (c, kx % s) at ox + kx / s. Runs are long enough for the
 * output row rounded up to 8 pixels, and zero outside the image, as
 * XNNPACK's indirection points padded taps at a zero buffer. */
static size_t conv1_run_floats(const eng_kernel_conv1 *k)
{
    return div_up(k->out_w, 8) * 8 + (size_t)(k->kw - 1) / k->stride_w;
}

static size_t conv1_row_floats(const eng_kernel_conv1 *k)
{
    return k->channels * (size_t)k->stride_w * conv1_run_floats(k);
}

int eng_kernel_conv1_fits(const eng_kernel_conv1 *k)
{
    return k->out_w >= 8 && k->kh <= ENG_KERNEL_CONV1_MAX_KH &&
           (size_t)k->kh * conv1_row_floats(k) <= ENG_KERNEL_CONV1_MAX_FLOATS;
}

void eng_kernel_conv1_plan(eng_kernel_conv1 *k, int threads)
{
    size_t rows = k->batch * k->out_h;
    k->tile_rows = worth_threads(threads, 2.0 * (double)(rows * k->out_w) *
                                              k->kh * k->kw * k->channels)
                       ? balanced_tile(rows, threads)
                       : rows;
}

/* Transposes input row iy of image `img` (zeros for a row outside it) into
 * `buf` as described above. */
static void conv1_fill(const eng_kernel_conv1 *k, const float *img, long iy,
                       float *buf)
{
    size_t s = (size_t)k->stride_w, run = conv1_run_floats(k);
    size_t ch = k->channels;
    memset(buf, 0, conv1_row_floats(k) * sizeof(float));
    if (iy < 0 || iy >= (long)k->in_h)
        return;
    const float *src = img + (size_t)iy * k->in_w * ch;
    for (size_t x = 0; x < k->in_w; x++, src += ch) {
        size_t xp = x + (size_t)k->pad_left, j = xp / s;
        if (j >= run)
            break;
        float *dst = buf + xp % s * run + j;
        for (size_t c = 0; c < ch; c++)
            dst[c * s * run] = src[c];
    }
}

/* V vectors of 8 adjacent output pixels from ox: bias, then every tap and
 * channel in the filter's (ky, kx, c) order, which is XNNPACK's IGEMM
 * order (taps row by row, the channels of a tap inside); V independent
 * chains hide the add latency. `rows` are the kh transposed input rows of
 * the window. The last vector stores its first `last` pixels. */
__attribute__((target("avx2"), always_inline)) static inline void
conv1_block(const eng_kernel_conv1 *k, const float *const *rows, size_t ox,
            const int V, size_t last, float *out)
{
    size_t s = (size_t)k->stride_w, run = conv1_run_floats(k);
    size_t ch = k->channels;
    __m256 acc[8];
#pragma GCC unroll 8
    for (int v = 0; v < V; v++)
        acc[v] = _mm256_set1_ps(k->bias);
    const float *w = k->w;
    for (int ky = 0; ky < k->kh; ky++) {
        for (int kx = 0; kx < k->kw; kx++) {
            const float *x = rows[ky] + (size_t)kx % s * run + ox +
                             (size_t)kx / s;
            for (size_t c = 0; c < ch; c++, x += s * run) {
                __m256 wv = _mm256_broadcast_ss(w++);
#pragma GCC unroll 8
                for (int v = 0; v < V; v++)
                    acc[v] = mul_add(_mm256_loadu_ps(x + 8 * v), wv, acc[v]);
            }
        }
    }
    __m256 lo = _mm256_set1_ps(k->lo), hi = _mm256_set1_ps(k->hi);
#pragma GCC unroll 8
    for (int v = 0; v < V; v++) {
        __m256 y = _mm256_min_ps(_mm256_max_ps(acc[v], lo), hi);
        store_first(out + 8 * v, y, v == V - 1 ? last : 8);
    }
}

/* Eight vectors (64 pixels) while they fit, then one at a time. */
__attribute__((target("avx2"))) static void
conv1_row(const eng_kernel_conv1 *k, const float *const *rows, float *out)
{
    size_t ox = 0;
    for (; ox + 64 <= k->out_w; ox += 64)
        conv1_block(k, rows, ox, 8, 8, out + ox);
    for (; ox < k->out_w; ox += 8) {
        size_t left = k->out_w - ox;
        conv1_block(k, rows, ox, 1, left < 8 ? left : 8, out + ox);
    }
}

__attribute__((target("avx2"))) static void conv1_task(void *ctx,
                                                      size_t row0,
                                                      size_t rows)
{
    const eng_kernel_conv1 *k = ctx;
    size_t img_floats = k->in_h * k->in_w * k->channels;
    size_t row_floats = conv1_row_floats(k);
    /* A ring of kh transposed rows, slot iy % kh: consecutive output rows
     * share kh - stride_h of them. `held` is the row each slot holds. */
    float ring[ENG_KERNEL_CONV1_MAX_FLOATS];
    long held[ENG_KERNEL_CONV1_MAX_KH];
    const float *win[ENG_KERNEL_CONV1_MAX_KH];
    size_t img = SIZE_MAX;
    for (size_t r = row0; r < row0 + rows; r++) {
        size_t n = r / k->out_h, oy = r % k->out_h;
        if (n != img) { /* a new image: nothing held is valid */
            img = n;
            for (int i = 0; i < k->kh; i++)
                held[i] = LONG_MIN;
        }
        long iy0 = (long)oy * k->stride_h - k->pad_top;
        for (int ky = 0; ky < k->kh; ky++) {
            long iy = iy0 + ky;
            int slot = (int)(((iy % k->kh) + k->kh) % k->kh);
            float *buf = ring + (size_t)slot * row_floats;
            if (held[slot] != iy) {
                conv1_fill(k, k->in + n * img_floats, iy, buf);
                held[slot] = iy;
            }
            win[ky] = buf;
        }
        conv1_row(k, win, k->out + r * k->out_w);
    }
}

void eng_kernel_conv1_run(const eng_kernel_conv1 *k, pthreadpool_t pool)
{
    pthreadpool_parallelize_1d_tile_1d(pool, conv1_task, (void *)k,
                                       k->batch * k->out_h, k->tile_rows,
                                       PTHREADPOOL_FLAG_DISABLE_DENORMALS);
}

/* ---- depthwise convolution ---------------------------------------------- */

static int dw_small_fits(const eng_kernel_dwconv *k);

int eng_kernel_dwconv_fits(int kh)
{
    return kh <= ENG_KERNEL_DWCONV_MAX_KH;
}

size_t eng_kernel_dwconv_zero_floats(const eng_kernel_dwconv *k)
{
    return k->in_w * k->channels;
}

/* Padded taps. XNNPACK adds 0 * w for every tap outside the image. With
 * w finite that is a zero, and adding a zero to a sum changes at most the
 * sign of a zero sum, and only to +0.0 (-0.0 + +0.0): x + 0 is x
 * otherwise, so once a nonzero term comes the sums agree again. Hence the
 * sum without the padded terms has XNNPACK's bits unless it ends as -0.0,
 * and the kernel, when all weights are finite (0 * inf is NaN), skips
 * padded taps and redoes with every tap, zeros included, a tile or pixel
 * whose sum is -0.0 in any lane. */
void eng_kernel_dwconv_plan(eng_kernel_dwconv *k, int threads)
{
    size_t rows = k->batch * k->out_h, ch = k->channels;
    double flops = 2.0 * (double)(rows * k->out_w) * k->kh * k->kw * ch;
    k->tile_rows = rows;
    k->tile_ch = ch;
    k->small = dw_small_fits(k);
    if (k->small) {
        /* Every item takes all rows of its channel blocks. */
        if (worth_threads(threads, flops))
            k->tile_ch = 16 * balanced_tile(div_up(ch, 16), threads);
    } else if (worth_threads(threads, flops)) {
        /* Rows that do not share out evenly (7 or 14 rows on 2 threads:
         * 4 + 3) are cut into channel blocks too, a multiple of 16 so
         * that the tiles stay whole. */
        size_t t = balanced_tile(rows, threads);
        size_t span = div_up(div_up(rows, t), (size_t)threads) * t;
        if (span * (size_t)threads * 20 > rows * 21 &&
            ch >= 16 * (size_t)threads) {
            t = 1;
            k->tile_ch = 16 * div_up(div_up(ch, 16), (size_t)threads);
        }
        k->tile_rows = t;
    }
    size_t n = (size_t)k->kh * k->kw * k->channels;
    k->skip_pad = 1;
    for (size_t i = 0; i < n; i++)
        k->skip_pad &= isfinite(k->w[i]);
}

/* One output row's windows: per ky, the input row (its pixel 0), or the
 * zero row where the window leaves the image; the window rows inside the
 * image are [ky_lo, ky_hi). */
typedef struct dw_row {
    const float *row[ENG_KERNEL_DWCONV_MAX_KH];
    int ky_lo, ky_hi;
} dw_row;

__attribute__((target("avx2"))) static __m256 load8(const float *p,
                                                    int masked, __m256i mask)
{
    return masked ? _mm256_maskload_ps(p, mask) : _mm256_loadu_ps(p);
}

/* 1 when a lane of v is -0.0 (see the padded taps above). */
__attribute__((target("avx2"))) static int any_neg_zero(__m256 v)
{
    __m256i z = _mm256_castps_si256(_mm256_set1_ps(-0.0f));
    return _mm256_movemask_epi8(
               _mm256_cmpeq_epi32(_mm256_castps_si256(v), z)) != 0;
}

/* The columns [kx_lo, kx_hi) of the window at input column ix0 inside the
 * image. */
static void dw_cols(const eng_kernel_dwconv *k, long ix0, int *kx_lo,
                    int *kx_hi)
{
    *kx_lo = ix0 < 0 ? (int)-ix0 : 0;
    *kx_hi = k->kw;
    if (ix0 + k->kw > (long)k->in_w)
        *kx_hi = (int)((long)k->in_w - ix0);
}

/* NB blocks of 8 channels from c (masked: the one block's first lanes) of
 * the output pixel whose window starts at input column ix0: borders,
 * channel tails and leftover pixels. Bias, then the taps inside the image
 * column by column (kx), each column top to bottom (ky), as XNNPACK's
 * depthwise indirection and weight packing walk the window; NB chains.
 * NB is a constant in the callers. */
__attribute__((target("avx2"), always_inline)) static inline void
dw_pixel(const eng_kernel_dwconv *k, const dw_row *r, long ix0, size_t c,
         const int NB, int masked, __m256i mask, __m256 *acc)
{
    size_t ch = k->channels, in_row = k->in_w * ch;
    size_t wstep = (size_t)k->kw * ch;
    int kx_lo, kx_hi;
    dw_cols(k, ix0, &kx_lo, &kx_hi);
    for (int b = 0; b < NB; b++)
        acc[b] = load8(k->bias + c + 8 * (size_t)b, masked, mask);
    if (r->ky_lo >= r->ky_hi)
        return;
    for (int kx = kx_lo; kx < kx_hi; kx++) {
        const float *x = r->row[r->ky_lo] + (size_t)(ix0 + kx) * ch + c;
        const float *w = k->w + (size_t)(r->ky_lo * k->kw + kx) * ch + c;
        for (int ky = r->ky_lo; ky < r->ky_hi; ky++, x += in_row, w += wstep)
            for (int b = 0; b < NB; b++)
                acc[b] = mul_add(load8(x + 8 * b, masked, mask),
                                 load8(w + 8 * b, masked, mask), acc[b]);
    }
}

/* Like dw_pixel for one block, with every tap: zeros outside the image.
 * For sums the skipped taps would have changed (see above). */
__attribute__((target("avx2"))) static __m256
dw_pixel_all(const eng_kernel_dwconv *k, const dw_row *r, long ix0, size_t c,
             int masked, __m256i mask)
{
    size_t ch = k->channels;
    __m256 acc = load8(k->bias + c, masked, mask);
    for (int kx = 0; kx < k->kw; kx++) {
        long ix = ix0 + kx;
        int inside = ix >= 0 && ix < (long)k->in_w;
        for (int ky = 0; ky < k->kh; ky++) {
            const float *x = inside ? r->row[ky] + (size_t)ix * ch : k->zero;
            const float *w = k->w + (size_t)(ky * k->kw + kx) * ch;
            acc = mul_add(load8(x + c, masked, mask),
                          load8(w + c, masked, mask), acc);
        }
    }
    return acc;
}

/* Four blocks (32 channels) and one block of the checked path. */
__attribute__((target("avx2"))) static void
dw_pixel4(const eng_kernel_dwconv *k, const dw_row *r, long ix0, size_t c,
          __m256 acc[4])
{
    dw_pixel(k, r, ix0, c, 4, 0, _mm256_setzero_si256(), acc);
}

__attribute__((target("avx2"))) static __m256
dw_pixel1(const eng_kernel_dwconv *k, const dw_row *r, long ix0, size_t c,
          int masked, __m256i mask)
{
    __m256 acc;
    dw_pixel(k, r, ix0, c, 1, masked, mask, &acc);
    return acc;
}

/* Output pixel ox of a row, channels [c, c_end), the checked path:
 * padded taps skipped (k->skip_pad), the sums redone with them where that
 * gave -0.0. */
__attribute__((target("avx2"))) static void
dw_pixel_from(const eng_kernel_dwconv *k, const dw_row *r, long ox, size_t c,
              size_t c_end, float *out)
{
    size_t ch = k->channels;
    long ix0 = ox * k->stride_w - k->pad_left;
    int kx_lo, kx_hi;
    dw_cols(k, ix0, &kx_lo, &kx_hi);
    int padded = kx_lo > 0 || kx_hi < k->kw || r->ky_lo > 0 ||
                 r->ky_hi < k->kh;
    int fast = !padded || k->skip_pad;
    __m256 lo = _mm256_set1_ps(k->lo), hi = _mm256_set1_ps(k->hi);
    __m256i all = _mm256_set1_epi32(-1);
    float *o = out + (size_t)ox * ch;
    for (; fast && c + 32 <= c_end; c += 32) {
        __m256 acc[4];
        dw_pixel4(k, r, ix0, c, acc);
        for (int b = 0; b < 4; b++) {
            if (padded && any_neg_zero(acc[b]))
                acc[b] = dw_pixel_all(k, r, ix0, c + 8 * (size_t)b, 0, all);
            _mm256_storeu_ps(o + c + 8 * b,
                             _mm256_min_ps(_mm256_max_ps(acc[b], lo), hi));
        }
    }
    for (; c < c_end; c += 8) {
        size_t nc = c_end - c < 8 ? c_end - c : 8;
        __m256i mask = tail_mask(nc);
        __m256 v = fast ? dw_pixel1(k, r, ix0, c, nc < 8, mask)
                        : dw_pixel_all(k, r, ix0, c, nc < 8, mask);
        if (fast && padded && any_neg_zero(v))
            v = dw_pixel_all(k, r, ix0, c, nc < 8, mask);
        v = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
        if (nc < 8)
            _mm256_maskstore_ps(o + c, mask, v);
        else
            _mm256_storeu_ps(o + c, v);
    }
}

/* G output pixels x B blocks of 8 channels from c: G*B (8) independent
 * chains to cover the add latency, each weight vector loaded once for the
 * G pixels. The windows lie inside the row horizontally, the first at
 * input column ix0; their rows inside the image are summed, in dw_pixel's
 * order, padded rows skipped (the caller checks k->skip_pad). G and B are
 * constants in the callers, so the loops unroll and the accumulators stay
 * in registers. Returns 1, storing nothing, when rows were skipped and a
 * sum is -0.0: the caller redoes the pixels with every tap. */
__attribute__((target("avx2"), always_inline)) static inline int
dw_tile(const eng_kernel_dwconv *k, const dw_row *r, long ix0, size_t c,
        const int G, const int B, float *out)
{
    size_t ch = k->channels, step = (size_t)k->stride_w * ch;
    size_t in_row = k->in_w * ch, wstep = (size_t)k->kw * ch;
    int rows = r->ky_hi - r->ky_lo;
    const float *xc = r->row[r->ky_lo] + (size_t)ix0 * ch + c;
    const float *wc = k->w + (size_t)r->ky_lo * wstep + c;
    __m256 acc[8];
#pragma GCC unroll 8
    for (int i = 0; i < G * B; i++)
        acc[i] = _mm256_loadu_ps(k->bias + c + 8 * (i % B));
    /* Neither loop unrolled: two pointers bumped per tap are all the
     * state, and no address spills to the stack. */
#pragma GCC unroll 1
    for (int kx = 0; kx < k->kw; kx++, xc += ch, wc += ch) {
        const float *x = xc, *w = wc;
#pragma GCC unroll 1
        for (int i = 0; i < rows; i++, x += in_row, w += wstep) {
            __m256 w0 = _mm256_loadu_ps(w);
            __m256 w1 = B > 1 ? _mm256_loadu_ps(w + 8) : w0;
#pragma GCC unroll 8
            for (int g = 0; g < G; g++) {
                acc[g * B] = mul_add(_mm256_loadu_ps(x + g * step), w0,
                                     acc[g * B]);
                if (B > 1)
                    acc[g * B + 1] = mul_add(
                        _mm256_loadu_ps(x + g * step + 8), w1,
                        acc[g * B + 1]);
            }
        }
    }
    if (rows < k->kh) {
        int neg_zero = 0;
#pragma GCC unroll 8
        for (int i = 0; i < G * B; i++)
            neg_zero |= any_neg_zero(acc[i]);
        if (neg_zero)
            return 1;
    }
    __m256 lo = _mm256_set1_ps(k->lo), hi = _mm256_set1_ps(k->hi);
#pragma GCC unroll 8
    for (int i = 0; i < G * B; i++)
        _mm256_storeu_ps(out + (size_t)(i / B) * ch + c + 8 * (i % B),
                         _mm256_min_ps(_mm256_max_ps(acc[i], lo), hi));
    return 0;
}

/* Channels [c, c + 8 * blocks) of the G pixels from input column ix0
 * with every tap, zeros included: a tile whose skipped rows mattered. */
__attribute__((target("avx2"))) static void
dw_redo(const eng_kernel_dwconv *k, const dw_row *r, long ix0, size_t c,
        int G, int blocks, float *out)
{
    size_t ch = k->channels;
    __m256 lo = _mm256_set1_ps(k->lo), hi = _mm256_set1_ps(k->hi);
    __m256i all = _mm256_set1_epi32(-1);
    for (int g = 0; g < G; g++) {
        long ix = ix0 + (long)g * k->stride_w;
        for (int b = 0; b < blocks; b++) {
            size_t cb = c + 8 * (size_t)b;
            __m256 v = dw_pixel_all(k, r, ix, cb, 0, all);
            _mm256_storeu_ps(out + (size_t)g * ch + cb,
                             _mm256_min_ps(_mm256_max_ps(v, lo), hi));
        }
    }
}

/* One tile shape over channel blocks [c, c_end) (8 * B each), each redone
 * with every tap when its sums need it. Not inlined, and the channel loop
 * inside: inside the row loop its pointers and offsets spilled to the
 * stack (1.4x slower), and a call per block paid the set-up each time. */
#define DW_TILE(G, B)                                                       \
    __attribute__((target("avx2"), noinline)) static void                   \
        dw_tile_##G##x##B(                                                  \
        const eng_kernel_dwconv *k, const dw_row *r, long ix0, size_t c,    \
        size_t c_end, float *out)                                           \
    {                                                                       \
        for (; c + 8 * B <= c_end; c += 8 * B)                              \
            if (dw_tile(k, r, ix0, c, G, B, out))                           \
                dw_redo(k, r, ix0, c, G, B, out);                           \
    }
DW_TILE(8, 1)
DW_TILE(4, 2)
DW_TILE(4, 1)
#undef DW_TILE

/* A group of pixels from input column ix0, channels from c0 to c_end
 * rounded down to 8: 4 pixels x 16 channels while 16 are left, then 4 x 8;
 * 8 x 8 when the tensor has fewer than 16 channels (never split). */
__attribute__((target("avx2"))) static void
dw_group(const eng_kernel_dwconv *k, const dw_row *r, long ix0, size_t c0,
         size_t c_end, float *out)
{
    if (k->channels < 16) {
        dw_tile_8x1(k, r, ix0, 0, 8, out);
        return;
    }
    size_t c16 = c0 + (c_end - c0) / 16 * 16;
    dw_tile_4x2(k, r, ix0, c0, c16, out);
    if (c16 + 8 <= c_end)
        dw_tile_4x1(k, r, ix0, c16, c16 + 8, out);
}

/* Channels [c0, c_end) of one output row: pixel groups outermost,
 * channel blocks inside, so that a group reads its input rows as
 * contiguous runs and all the weights stay in L1 (channel-outer order measured 2x slower at 144+ channels). Groups
 * need their windows inside the row horizontally, some window row inside
 * the image (all of them unless padded taps may be skipped) and at least
 * 8 channels; the rest, and the channel tail, take the checked path. */
__attribute__((target("avx2"))) static void
dw_row_part(const eng_kernel_dwconv *k, const dw_row *r, size_t c0,
            size_t c_end, float *out)
{
    size_t ch = k->channels, full = c0 + (c_end - c0) / 8 * 8;
    long group_px = ch < 16 ? 8 : 4;
    long sw = k->stride_w, room = (long)k->in_w - k->kw + k->pad_left;
    /* Interior: ox*sw - pad_left >= 0 and ox*sw - pad_left + kw <= in_w. */
    long ox_lo = ((long)k->pad_left + sw - 1) / sw;
    long ox_hi = room < 0 ? 0 : room / sw + 1;
    int tiled = full > c0 && r->ky_lo < r->ky_hi &&
                (k->skip_pad || (r->ky_lo == 0 && r->ky_hi == k->kh));
    for (long ox = 0; ox < (long)k->out_w;) {
        if (!tiled || ox < ox_lo || ox + group_px > ox_hi) {
            dw_pixel_from(k, r, ox++, c0, c_end, out);
            continue;
        }
        dw_group(k, r, ox * sw - k->pad_left, c0, c_end,
                 out + (size_t)ox * ch);
        for (long g = 0; g < group_px && full < c_end; g++)
            dw_pixel_from(k, r, ox + g, full, c_end, out);
        ox += group_px;
    }
}

/* ---- depthwise convolution on small maps --------------------------------
 * On maps of 16x16 and below with 5x5 windows (the 7x7 and 14x14 layers
 * of 480-1152 channels) almost every window is clipped by the
 * padding, and a row of windows reads kh input rows of all channels: far
 * more than L1 holds. So there, per block of 8 channels, the block's
 * input plane is copied once into a zero-padded buffer that stays in L1,
 * and every output is summed over its whole window, zeros included: that
 * is what XNNPACK computes (its indirection points padded taps at a zero
 * row), in its order (bias, then kx outer, ky inner), so the bits are its
 * bits with no -0.0 check. */

/* Floats of the padded plane of one 8-channel block: two of them, 32 KB,
 * are L1's size. */
#define DW_SMALL_PLANE_FLOATS 4096

static size_t dw_small_plane_h(const eng_kernel_dwconv *k)
{
    return (k->out_h - 1) * (size_t)k->stride_h + (size_t)k->kh;
}

static size_t dw_small_plane_w(const eng_kernel_dwconv *k)
{
    return (k->out_w - 1) * (size_t)k->stride_w + (size_t)k->kw;
}

static int dw_small_fits(const eng_kernel_dwconv *k)
{
    /* Copying the plane costs about one window column per input pixel:
     * it pays for 5x5 windows at stride 1, not for 3x3 ones or at stride
     * 2 (measured), where few windows are clipped or the plane holds 4
     * input pixels per output. */
    return k->batch == 1 && k->channels >= 8 && k->kw >= 5 &&
           k->stride_h == 1 && k->stride_w == 1 &&
           dw_small_plane_h(k) * dw_small_plane_w(k) * 8 <=
               DW_SMALL_PLANE_FLOATS;
}

/* Channels [c, c + nc) of the input (nc <= 16), zero-padded, into two
 * planes of 8 floats a pixel: channels c.. c + 7 into p0, the rest into
 * p1 (lanes past nc zero). Both halves of a pixel's 64 bytes are taken at
 * once: the pixels lie a whole row of channels apart, so every pixel is a
 * cache line of its own. */
__attribute__((target("avx2"))) static void
dw_small_fill(const eng_kernel_dwconv *k, size_t c, size_t nc, float *p0,
              float *p1)
{
    size_t ph = dw_small_plane_h(k), pw = dw_small_plane_w(k);
    size_t ch = k->channels, n0 = nc < 8 ? nc : 8, n1 = nc - n0;
    __m256i m0 = tail_mask(n0), m1 = tail_mask(n1);
    __m256 zero = _mm256_setzero_ps();
    for (size_t py = 0; py < ph; py++) {
        long iy = (long)py - k->pad_top;
        int row_in = iy >= 0 && iy < (long)k->in_h;
        for (size_t px = 0; px < pw; px++, p0 += 8, p1 += 8) {
            long ix = (long)px - k->pad_left;
            __m256 v0 = zero, v1 = zero;
            if (row_in && ix >= 0 && ix < (long)k->in_w) {
                const float *src =
                    k->in + ((size_t)iy * k->in_w + (size_t)ix) * ch + c;
                v0 = load8(src, n0 < 8, m0);
                if (n1)
                    v1 = load8(src + 8, n1 < 8, m1);
            }
            _mm256_store_ps(p0, v0);
            if (n1)
                _mm256_store_ps(p1, v1);
        }
    }
}

/* G adjacent outputs of row oy from pixel ox0, one 8-channel block: G
 * chains, one weight load per tap for all G, inputs from the plane. */
__attribute__((target("avx2"), always_inline)) static inline void
dw_small_run(const eng_kernel_dwconv *k, const int G, const float *plane,
             size_t oy, size_t ox0, size_t c, size_t nc, float *out)
{
    size_t pw = dw_small_plane_w(k), ch = k->channels;
    size_t sx = (size_t)k->stride_w * 8;
    __m256i mask = tail_mask(nc);
    __m256 bias = load8(k->bias + c, nc < 8, mask), acc[8];
#pragma GCC unroll 8
    for (int g = 0; g < G; g++)
        acc[g] = bias;
    const float *x0 = plane + (oy * (size_t)k->stride_h * pw + ox0 *
                                                        (size_t)k->stride_w) *
                                  8;
#pragma GCC unroll 1
    for (int kx = 0; kx < k->kw; kx++) {
        const float *x = x0 + (size_t)kx * 8;
        const float *w = k->w + (size_t)kx * ch + c;
#pragma GCC unroll 1
        for (int ky = 0; ky < k->kh; ky++, x += pw * 8,
                 w += (size_t)k->kw * ch) {
            __m256 wv = load8(w, nc < 8, mask);
#pragma GCC unroll 8
            for (int g = 0; g < G; g++)
                acc[g] = mul_add(_mm256_load_ps(x + g * sx), wv, acc[g]);
        }
    }
    __m256 lo = _mm256_set1_ps(k->lo), hi = _mm256_set1_ps(k->hi);
    float *o = out + (oy * k->out_w + ox0) * ch + c;
#pragma GCC unroll 8
    for (int g = 0; g < G; g++, o += ch) {
        __m256 v = _mm256_min_ps(_mm256_max_ps(acc[g], lo), hi);
        if (nc < 8)
            _mm256_maskstore_ps(o, mask, v);
        else
            _mm256_storeu_ps(o, v);
    }
}

#define DW_SMALL_RUN(G)                                                     \
    __attribute__((target("avx2"))) static void dw_small_run##G(            \
        const eng_kernel_dwconv *k, const float *plane, size_t oy,          \
        size_t ox0, size_t c, size_t nc, float *out)                        \
    {                                                                       \
        dw_small_run(k, G, plane, oy, ox0, c, nc, out);                     \
    }
DW_SMALL_RUN(1)
DW_SMALL_RUN(2)
DW_SMALL_RUN(3)
DW_SMALL_RUN(4)
DW_SMALL_RUN(5)
DW_SMALL_RUN(6)
DW_SMALL_RUN(7)
DW_SMALL_RUN(8)
#undef DW_SMALL_RUN

typedef void (*dw_small_fn)(const eng_kernel_dwconv *k, const float *plane,
                            size_t oy, size_t ox0, size_t c, size_t nc,
                            float *out);
static const dw_small_fn dw_small_runs[8] = {
    dw_small_run1, dw_small_run2, dw_small_run3, dw_small_run4,
    dw_small_run5, dw_small_run6, dw_small_run7, dw_small_run8};

/* One 8-channel block's outputs, all rows: a row in even runs of up to
 * 8 outputs (14 as 7 + 7). */
static void dw_small_block(const eng_kernel_dwconv *k, const float *plane,
                           size_t c, size_t nc)
{
    size_t runs = div_up(k->out_w, 8), per = div_up(k->out_w, runs);
    for (size_t oy = 0; oy < k->out_h; oy++)
        for (size_t ox = 0; ox < k->out_w; ox += per) {
            size_t g = k->out_w - ox < per ? k->out_w - ox : per;
            dw_small_runs[g - 1](k, plane, oy, ox, c, nc, k->out);
        }
}

/* Channels [c0, c_end), 16 at a time, all rows. */
__attribute__((target("avx2"))) static void
dw_small(const eng_kernel_dwconv *k, size_t c0, size_t c_end)
{
    float p0[DW_SMALL_PLANE_FLOATS] __attribute__((aligned(32)));
    float p1[DW_SMALL_PLANE_FLOATS] __attribute__((aligned(32)));
    for (size_t c = c0; c < c_end; c += 16) {
        size_t nc = c_end - c < 16 ? c_end - c : 16;
        dw_small_fill(k, c, nc, p0, p1);
        dw_small_block(k, p0, c, nc < 8 ? nc : 8);
        if (nc > 8)
            dw_small_block(k, p1, c + 8, nc - 8);
    }
}

/* Fills r for output row oy of image `img`. */
static void dw_row_init(const eng_kernel_dwconv *k, const float *img,
                        size_t oy, dw_row *r)
{
    long iy0 = (long)oy * k->stride_h - k->pad_top;
    r->ky_lo = iy0 < 0 ? (int)-iy0 : 0;
    r->ky_hi = k->kh;
    if (iy0 + k->kh > (long)k->in_h)
        r->ky_hi = (int)((long)k->in_h - iy0);
    for (int ky = 0; ky < k->kh; ky++)
        r->row[ky] = ky < r->ky_lo || ky >= r->ky_hi
                         ? k->zero
                         : img + (size_t)(iy0 + ky) * k->in_w * k->channels;
}

__attribute__((target("avx2"))) static void dw_task(void *ctx, size_t row0,
                                                   size_t c0, size_t rows,
                                                   size_t cn)
{
    const eng_kernel_dwconv *k = ctx;
    size_t img_floats = k->in_h * k->in_w * k->channels;
    size_t out_row = k->out_w * k->channels;
    dw_row r;
    if (k->small) {
        dw_small(k, c0, c0 + cn);
        return;
    }
    for (size_t i = row0; i < row0 + rows; i++) {
        dw_row_init(k, k->in + i / k->out_h * img_floats, i % k->out_h, &r);
        dw_row_part(k, &r, c0, c0 + cn, k->out + i * out_row);
    }
}

void eng_kernel_dwconv_run(const eng_kernel_dwconv *k, pthreadpool_t pool)
{
    pthreadpool_parallelize_2d_tile_2d(pool, dw_task, (void *)k,
                                       k->batch * k->out_h, k->channels,
                                       k->tile_rows, k->tile_ch,
                                       PTHREADPOOL_FLAG_DISABLE_DENORMALS);
}
