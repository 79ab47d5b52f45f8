/*
 * kernels: posescope's own compute kernels, for what XNNPACK's 2022
 * operator API lacks or runs slowly on the CPU at hand.
 *
 * Each kernel is described once at model creation (shapes, fixed buffer
 * pointers, packed weights, work split) in a plain struct that model.c
 * keeps; a run only calls the kernel on it. Kernels never allocate and
 * never fail.
 *
 * Numerics. Every kernel computes each output exactly as the XNNPACK
 * operator it replaces does with its AVX kernels (what XNNPACK runs in
 * ENG_NUMERICS_EXACT, runtime.h): the same terms summed in the same order
 * (given per kernel below), each product rounded before it is added, zero
 * inputs where a window leaves the image, the same clamp. Its results are
 * then bitwise XNNPACK's (test_ops checks every kernel on border, tail and
 * model shapes), so replacing an operator never moves a model away from
 * TFLite's bits. The GEMM-based kernels take `fused` = 1 for
 * ENG_NUMERICS_FAST: FMA instead, 7-10% faster on the models' GEMMs (Zen
 * 3, one thread), other bits.
 *
 * Dispatch is the caller's: eng_kernel_have_avx2() says whether the
 * kernels can run at all, eng_kernel_beat_xnnpack() whether the GEMM-based
 * and depthwise convolutions beat XNNPACK's FMA kernels on this CPU (the
 * one-channel convolution and the block deconvolution beat it wherever
 * they run). SIMD code is compiled per function for its ISA (target
 * attributes), so the library still loads and runs on any x86-64.
 */
#ifndef ENG_KERNELS_H
#define ENG_KERNELS_H

#include <stddef.h>

#include <pthreadpool.h>

/* ---- concatenation ------------------------------------------------------ */

/* Concatenation along one axis, seen as a 2-D problem: the output is `outer`
 * rows, and row r is input 0's row r, then input 1's row r, ... where input
 * i's row is `row[i]` contiguous floats (its dims from the axis inwards).
 * `in` holds n borrowed input pointers; `out` has outer * sum(row) floats and
 * must not overlap any input. Single-threaded: in the models these are
 * copies of a few KiB, far below the cost of waking a pool. */
void eng_kernel_concat_f32(size_t outer, int n, const size_t *row,
                           const float *const *in, float *out);

/* ---- CPU features ------------------------------------------------------- */

/* 1 when the CPU has AVX2 and FMA: every kernel below can run. */
int eng_kernel_have_avx2(void);

/* 1 on CPUs with AVX2 and FMA but no AVX-512F. There XNNPACK (as Debian's
 * GCC builds it) runs its FMA3 kernels, and its GEMM spills an accumulator
 * in the inner loop: ~35-43 GFLOP/s on the models' 1x1 shapes where the
 * GEMM below reaches 75-92 (Zen 3, one thread). With AVX-512, XNNPACK's
 * kernels were measured faster (platform notes): keep them there. This is
 * the FAST policy; in EXACT mode XNNPACK runs its AVX kernels on every
 * CPU, and the kernels here replace them wherever AVX2 is there. */
int eng_kernel_beat_xnnpack(void);

/* ---- pointwise convolution as GEMM -------------------------------------- */

/* Floats of packed weights for n outputs of k inputs. */
size_t eng_kernel_gemm_packed_floats(size_t n, size_t k);

/* Packs weights w ([n][k], row-major: a 1x1 OHWI filter) and bias (n values,
 * or NULL for zeros) into `packed`: 32-byte aligned, with room for
 * eng_kernel_gemm_packed_floats(n, k) floats. Panels of 16 outputs, each
 * its 16 biases then k rows of 16 weights, zero-padded past n. */
void eng_kernel_gemm_pack(size_t n, size_t k, const float *w,
                          const float *bias, float *packed);

/* c = clamp(a * w^T + bias, lo, hi) for an m x k matrix a. All pointers are
 * borrowed and fixed for the life of the description. Each output is
 * ((bias + a0*w0) + a1*w1) + ...: XNNPACK's GEMM order. */
typedef struct eng_kernel_gemm {
    size_t m, n, k;
    const float *a;       /* m rows, lda floats apart */
    size_t lda;
    const float *packed;  /* from eng_kernel_gemm_pack */
    float *c;             /* m rows, ldc floats apart; must not overlap a */
    size_t ldc;
    float lo, hi;
    int fused;            /* 1: FMA (FAST); 0: XNNPACK's AVX bits */
    size_t tile_m, tile_n; /* work item; set by eng_kernel_gemm_plan */
} eng_kernel_gemm;

/* Splits the work for a pool of `threads` threads (one item for one). */
void eng_kernel_gemm_plan(eng_kernel_gemm *g, int threads);

/* Runs the GEMM on `pool` (NULL: on the calling thread), with denormals
 * flushed as XNNPACK does. Needs AVX2, and FMA when fused. */
void eng_kernel_gemm_run(const eng_kernel_gemm *g, pthreadpool_t pool);

/* ---- small convolutions as GEMM ----------------------------------------- */

/* Longest window (kh * kw * channels) eng_kernel_convgemm takes: the
 * windows of six pixels are gathered on the stack. */
#define ENG_KERNEL_CONVGEMM_MAX_K 512

/* Tallest window whose rows the GEMM reads in place (below). */
#define ENG_KERNEL_CONVGEMM_MAX_KH 8

/* A convolution with few input channels per window (the models' stems:
 * 3x3 s2 and 5x5 s2 on RGB) as the GEMM above: for each six output pixels
 * the windows are copied (zeros for padding) into a 6 x K tile, K = kh *
 * kw * channels, which is the OHWI filter's row order, so the weights pack
 * with eng_kernel_gemm_pack(out_channels, K, ...); six pixels of one
 * output row whose windows lie inside the image are read in place, a
 * window row being kw * channels contiguous floats. Dilation 1. XNNPACK's
 * FMA3 convolution reached ~22-27 GFLOP/s on these. The GEMM then sums
 * bias, then tap by tap (ky, then kx), each tap's channels inside, with
 * the padding's zeros: XNNPACK's IGEMM order. */
typedef struct eng_kernel_convgemm {
    size_t batch, in_h, in_w, channels;
    size_t out_h, out_w, out_channels;
    int kh, kw, stride_h, stride_w, pad_top, pad_left;
    const float *in;      /* borrowed, fixed */
    const float *packed;  /* from eng_kernel_gemm_pack */
    float *out;           /* NHWC, out_channels per pixel */
    float lo, hi;
    int fused;            /* as in eng_kernel_gemm */
    size_t tile_m, tile_n; /* work item; set by _plan */
} eng_kernel_convgemm;

/* Splits the work for a pool of `threads` threads. */
void eng_kernel_convgemm_plan(eng_kernel_convgemm *k, int threads);

/* Runs on `pool` (NULL: the calling thread). Needs AVX2, and FMA when
 * fused. */
void eng_kernel_convgemm_run(const eng_kernel_convgemm *k,
                             pthreadpool_t pool);

/* ---- transposed convolution without overlap ----------------------------- */

/* Most outputs per input pixel (kh * kw * out_channels) eng_kernel_deconv
 * takes: a tile of six input pixels' results is kept on the stack. */
#define ENG_KERNEL_DECONV_MAX_N 64

/* A transposed convolution whose kernel equals its stride and that crops
 * nothing (the selfie models' 2x2 s2, 16 -> 1 channel upsampler): each
 * input pixel writes its own kh x kw block of the output, i.e. one GEMM row
 * of kh * kw * out_channels values, scattered. NHWC, weights
 * [out_channels, kh, kw, in_channels], output in_h*kh x in_w*kw. Sums as
 * XNNPACK's deconvolution does (found by comparing bits): below 16 output
 * channels it takes its 4x2c4 SSE GEMM (~6 GFLOP/s here), four lanes per
 * output, lane t summing input channels t, t+4, ... in order from the
 * bias (lane 0) or zero, ending as (lane 0 + lane 2) + (lane 1 + lane 3);
 * at 16 and more its GEMM order, bias + x0*w0 + x1*w1 + ... When fused,
 * the FMA GEMM always. The packing depends on fused and out_channels. */
typedef struct eng_kernel_deconv {
    size_t batch, in_h, in_w, in_channels, out_channels;
    int kh, kw;           /* also the strides */
    const float *in;      /* borrowed, fixed */
    const float *packed;  /* from eng_kernel_deconv_pack */
    float *out;
    float lo, hi;
    int fused;            /* as in eng_kernel_gemm */
    size_t tile_m;        /* input pixels per work item; set by _plan */
} eng_kernel_deconv;

/* Floats of packed weights for k's shape and fused. */
size_t eng_kernel_deconv_packed_floats(const eng_kernel_deconv *k);

/* Packs w and bias (out_channels values, or NULL for zeros) for k's shape
 * into `packed` (32-byte aligned, eng_kernel_deconv_packed_floats). */
void eng_kernel_deconv_pack(const eng_kernel_deconv *k, const float *w,
                            const float *bias, float *packed);

/* Splits the input pixels for a pool of `threads` threads. */
void eng_kernel_deconv_plan(eng_kernel_deconv *k, int threads);

/* Runs on `pool` (NULL: the calling thread). Needs AVX2, and FMA when
 * fused. */
void eng_kernel_deconv_run(const eng_kernel_deconv *k, pthreadpool_t pool);

/* ---- convolution to one output channel ----------------------------------- */

/* Limits of eng_kernel_conv1: its transposed input rows (kh of them, each
 * channels * stride_w * (out_w rounded up to 8 + (kw - 1) / stride_w)
 * floats) live on the stack. */
#define ENG_KERNEL_CONV1_MAX_KH 8
#define ENG_KERNEL_CONV1_MAX_FLOATS 12288

/* A convolution with a single output channel (pose landmarks' segmentation
 * head: 3x3 on 256x256x8), which XNNPACK computes in 16-wide output tiles,
 * 15/16 of them wasted (2 GFLOP/s). Here eight adjacent output pixels are
 * one vector: each input row is transposed once (channel-major, split by
 * column phase for strides), zeros for padding, and each output is bias,
 * then every tap (ky, then kx) and its channels in order, as XNNPACK's
 * IGEMM sums it. NHWC input, weights [1, kh, kw, channels], dilation 1.
 * Runs on any AVX2 CPU. */
typedef struct eng_kernel_conv1 {
    size_t batch, in_h, in_w, channels;
    size_t out_h, out_w;
    int kh, kw, stride_h, stride_w, pad_top, pad_left;
    const float *in;  /* borrowed, fixed */
    const float *w;   /* borrowed constant */
    float bias;
    float *out;       /* batch * out_h * out_w floats */
    float lo, hi;
    size_t tile_rows; /* output rows per work item; set by _plan */
} eng_kernel_conv1;

/* 1 when the shape is within the limits above and rows have 8 pixels or
 * more (else use XNNPACK: on the models' 2x2 -> 1x1 heads a vector with
 * one live lane took 1.8 us, XNNPACK 1.1). */
int eng_kernel_conv1_fits(const eng_kernel_conv1 *k);

/* Splits the output rows for a pool of `threads` threads. */
void eng_kernel_conv1_plan(eng_kernel_conv1 *k, int threads);

/* Runs on `pool` (NULL: the calling thread). Needs AVX2. */
void eng_kernel_conv1_run(const eng_kernel_conv1 *k, pthreadpool_t pool);

/* ---- depthwise convolution ---------------------------------------------- */

/* Tallest window eng_kernel_dwconv takes. */
#define ENG_KERNEL_DWCONV_MAX_KH 8

/* Depthwise convolution, multiplier 1, dilation 1: NHWC input, weights
 * [kh, kw, channels] (TFLite's [1, kh, kw, C]), any stride and padding.
 * Tiles of 4 output pixels x 16 channels (8 x 8 below 16 channels): eight
 * independent chains, each weight vector loaded once per tile. Border
 * pixels and channel tails take a checked path. 5x5 windows at stride 1
 * on maps of 16x16 and below instead run per 8-channel block from a
 * zero-padded copy of its input plane (L1-sized). Each output is bias, then
 * the window column by column (kx), each column top to bottom (ky), taps
 * outside the image reading zeros: XNNPACK's depthwise order (its
 * indirection buffer and weight packing walk the window column-major). */
typedef struct eng_kernel_dwconv {
    size_t batch, in_h, in_w, channels;
    size_t out_h, out_w;
    int kh, kw, stride_h, stride_w, pad_top, pad_left;
    const float *in;   /* borrowed, fixed */
    const float *w;    /* borrowed constant */
    const float *bias; /* borrowed constant, `channels` floats (zeros ok) */
    const float *zero; /* eng_kernel_dwconv_zero_floats zeros, borrowed */
    float *out;        /* batch * out_h * out_w * channels floats */
    float lo, hi;
    size_t tile_rows;  /* output rows per work item; set by _plan */
    size_t tile_ch;    /* channels per work item; set by _plan */
    int small;         /* the small-map path (kernels.c); set by _plan */
    int skip_pad;      /* padded taps may be skipped (finite weights:
                        * kernels.c says why that keeps the bits); _plan */
} eng_kernel_dwconv;

/* Floats of the zero row k->zero points to (an input row's). */
size_t eng_kernel_dwconv_zero_floats(const eng_kernel_dwconv *k);

/* 1 when the kernel takes a window kh tall. Where it does, it beat
 * XNNPACK's on the models' 119 depthwise shapes taken together (Zen 3, one
 * thread): 1.55x its AVX kernels (EXACT), 1.6x its FMA3 ones (FAST); on
 * 3x3 with 128+ channels 1.15x and 1.07x, losing only on maps of 16x16
 * and below at stride 2 or 4x4 (a few microseconds each). */
int eng_kernel_dwconv_fits(int kh);

/* Splits the output rows for a pool of `threads` threads; reads the
 * weights once. */
void eng_kernel_dwconv_plan(eng_kernel_dwconv *k, int threads);

/* Runs on `pool` (NULL: the calling thread). Needs AVX2. */
void eng_kernel_dwconv_run(const eng_kernel_dwconv *k, pthreadpool_t pool);

#endif
