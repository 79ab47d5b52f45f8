/*
 * model: plans the activation arena, binds one kernel per node, runs them.
 *
 * Kernels. XNNPACK operators, created with packed weights and set up once
 * on the final arena addresses, so a run is xnn_run_operator per node:
 * CONV2D/DEPTHWISE (OHWI and [1,KH,KW,C] are XNNPACK's layouts; pads in its
 * top, right, bottom, left order), TRANSPOSE_CONV2D (deconvolution; the
 * graph's pad is its output crop), FULLY_CONNECTED, MAX/AVERAGE_POOL2D
 * (XNNPACK divides by the valid cells, as TFLite; global pools and MEAN
 * over consecutive non-channel axes go to its global average pooling),
 * ADD/MUL (nd, broadcasting), PRELU (per-channel alpha), RELU/RELU6
 * (clamp), HARD_SWISH, LOGISTIC, PAD (constant pad, zero),
 * DEPTH_TO_SPACE (TF's DCR order), RESIZE_BILINEAR (half-pixel by default,
 * XNN_FLAG_ALIGN_CORNERS, XNN_FLAG_TENSORFLOW_LEGACY_MODE). All verified
 * against tests/lib/ref_ops in test_ops.
 *
 * Our kernels (kernels.h) replace XNNPACK's where they measured faster on
 * the CPU at hand, unless the runtime asked for XNNPACK only: 1x1, small-
 * window and depthwise convolutions on AVX2 CPUs (in FAST numerics only
 * without AVX-512, where XNNPACK's FMA kernels are the slower ones), and
 * convolutions to one output channel and block deconvolutions on any AVX2
 * CPU. In EXACT numerics they give the replaced operator's bits (see
 * kernels.h), in FAST the GEMM-based ones use FMA. CONCATENATION is
 * always ours (strided copies: one memcpy per input for the models' axis
 * 1, no operator per input as XNNPACK's copy would need). RESHAPE has no
 * kernel: its output aliases its input.
 */
#include "model.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xnnpack.h>

#include "kernels.h"
#include "tflite.h"

/* Every activation buffer starts on a cache line and is followed by the
 * bytes XNNPACK may over-read, so an over-read never touches a neighbour
 * that another thread may be writing. */
#define BUF_ALIGN 64

typedef enum exec_kind {
    EXEC_XNN,      /* an XNNPACK operator, set up once */
    EXEC_CONCAT,   /* eng_kernel_concat_f32 */
    EXEC_GEMM,     /* eng_kernel_gemm_run: 1x1 convolution */
    EXEC_CONVGEMM, /* eng_kernel_convgemm_run: small-window convolution */
    EXEC_CONV1,    /* eng_kernel_conv1_run: one output channel */
    EXEC_DWCONV,   /* eng_kernel_dwconv_run */
    EXEC_DECONV,   /* eng_kernel_deconv_run: non-overlapping deconvolution */
} exec_kind;

typedef struct concat_exec {
    size_t outer;
    int n;
    size_t row[ENG_MAX_NODE_INPUTS];
    const float *in[ENG_MAX_NODE_INPUTS];
    float *out;
} concat_exec;

/* One runnable node. RESHAPE nodes have none: their output aliases. */
typedef struct node_exec {
    exec_kind kind;
    int node; /* index in the optimised graph, for messages */
    int slot; /* profile entry */
    union {
        xnn_operator_t op; /* EXEC_XNN: owned */
        /* The others: descriptions in the plan arena. */
        concat_exec *concat;
        eng_kernel_gemm *gemm;
        eng_kernel_convgemm *convgemm;
        eng_kernel_conv1 *conv1;
        eng_kernel_dwconv *dwconv;
        eng_kernel_deconv *deconv;
    } k;
} node_exec;

/* The pool or the caller's thread alone. A pool of N threads waits at the
 * end of every node for its slowest worker; when other processes keep
 * the cores busy, a worker the scheduler has not run yet stalls each of
 * the ~100 nodes of a model by up to a time slice. Measured on 2 cores
 * with two other busy processes: hand_landmark_full took 25 ms on the
 * pool against 10 ms alone, 4 ms idle. So each model keeps a moving
 * average of its run time in either mode, runs in the faster one, and
 * now and then runs once in the other to see whether things changed:
 * after 8 runs, then, while the answer stays the same, after twice as
 * many each time, up to 256. Results are the same bits either way (the
 * kernels' work split does not depend on the pool). */
enum { MODE_ALONE, MODE_POOL };
#define CHOICE_FIRST_PROBE 8
#define CHOICE_MAX_PROBE 256

typedef struct pool_choice {
    double avg_ms[2]; /* by mode; 0 = not measured yet */
    int mode;         /* the mode runs use */
    int interval;     /* runs between probes of the other mode */
    int until_probe;
} pool_choice;

struct eng_model {
    /* Set at create, read-only afterwards. */
    eng_runtime *rt;   /* borrowed */
    eng_graph *g;      /* owned, optimised */
    eng_arena plan;    /* execs, kernel descriptions, packed weights,
                        * tensor pointers */
    float **ptr;       /* per tensor: its data (constant, arena, or NULL) */
    void *act;         /* owned activation arena, act_bytes long */
    size_t act_bytes;
    node_exec *execs;
    int n_execs;
    /* Which of our kernels replace XNNPACK's here (see kernels.h). */
    int own_conv; /* GEMM, small-window and depthwise convolutions */
    int own_avx2; /* convolutions to one channel, deconvolutions */
    int fused;    /* GEMM-based kernels use FMA (FAST numerics) */

    /* Profile: entries' op/backend/nodes/flops fixed at create. */
    int profiling;
    eng_profile prof;

    /* Adaptive runs (eng_runtime_adaptive): run time per mode, averaged. */
    pool_choice choice;
};

static eng_status node_fail(eng_error *err, eng_status st, const eng_graph *g,
                            int ni, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static eng_status node_fail(eng_error *err, eng_status st, const eng_graph *g,
                            int ni, const char *fmt, ...)
{
    char msg[ENG_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    const eng_node *n = &g->nodes[ni];
    return eng_fail(err, st, "node %d (%s, source op %d, output '%s'): %s", ni,
                    eng_op_name(n->op), n->source_index,
                    g->tensors[n->output].name, msg);
}

static eng_status xnn_fail(eng_error *err, const eng_graph *g, int ni,
                           const char *what, enum xnn_status xs)
{
    eng_status st = xs == xnn_status_out_of_memory ? ENG_ENOMEM : ENG_EBACKEND;
    return node_fail(err, st, g, ni, "XNNPACK %s failed (status %d)", what,
                     (int)xs);
}

static size_t align_up(size_t v, size_t a)
{
    return (v + a - 1) / a * a;
}

/* ---- memory plan -------------------------------------------------------- */

/* A buffer of the activation arena: one tensor and every RESHAPE of it. */
typedef struct plan_buf {
    size_t size;
    int first, last; /* node indices; -1 = before the first node */
    size_t offset;
} plan_buf;

static int find_root(int *root, int t)
{
    while (root[t] != t)
        t = root[t] = root[root[t]];
    return t;
}

static int lifetimes_overlap(const plan_buf *a, const plan_buf *b)
{
    return a->first <= b->last && b->first <= a->last;
}

static void extend(plan_buf *b, int at)
{
    if (at < b->first)
        b->first = at;
    if (at > b->last)
        b->last = at;
}

static int by_size_desc(const void *pa, const void *pb)
{
    const plan_buf *a = *(const plan_buf *const *)pa;
    const plan_buf *b = *(const plan_buf *const *)pb;
    if (a->size != b->size)
        return a->size < b->size ? 1 : -1;
    return a->first - b->first;
}

static int by_offset(const void *pa, const void *pb)
{
    const plan_buf *a = *(const plan_buf *const *)pa;
    const plan_buf *b = *(const plan_buf *const *)pb;
    return (a->offset > b->offset) - (a->offset < b->offset);
}

/* Best fit: the smallest gap between already placed buffers of overlapping
 * lifetime that holds b, else the end of them (TFLite's greedy-by-size
 * arena planner; XNNPACK's memory planner does the same). `live` is
 * scratch for n pointers. */
static void place(plan_buf *b, plan_buf **order, int n_placed,
                  plan_buf **live)
{
    int n_live = 0;
    for (int i = 0; i < n_placed; i++)
        if (lifetimes_overlap(b, order[i]))
            live[n_live++] = order[i];
    qsort(live, (size_t)n_live, sizeof(*live), by_offset);
    size_t cur = 0, best = SIZE_MAX, best_gap = SIZE_MAX;
    for (int i = 0; i < n_live; i++) {
        if (live[i]->offset > cur) {
            size_t gap = live[i]->offset - cur;
            if (gap >= b->size && gap < best_gap) {
                best = cur;
                best_gap = gap;
            }
        }
        size_t end = live[i]->offset + live[i]->size;
        if (end > cur)
            cur = end;
    }
    b->offset = best != SIZE_MAX ? best : cur;
}

/* The planner's invariant, checked on every plan: buffers alive at the same
 * time never share a byte. Quadratic, but a model has a few hundred. */
static int plan_sound(plan_buf *const *bufs, int n)
{
    for (int i = 0; i < n; i++) {
        for (int j = i + 1; j < n; j++) {
            const plan_buf *a = bufs[i], *b = bufs[j];
            if (lifetimes_overlap(a, b) && a->offset < b->offset + b->size &&
                b->offset < a->offset + a->size)
                return 0;
        }
    }
    return 1;
}

/* Groups tensors into buffers (a RESHAPE output joins its input's) and
 * records each buffer's size and lifetime. bufs[t] is meaningful for roots
 * with `size` > 0. Constant-backed RESHAPE outputs get ptr = the constant. */
static void plan_lifetimes(eng_model *m, int *root, plan_buf *bufs)
{
    const eng_graph *g = m->g;
    for (int t = 0; t < g->n_tensors; t++) {
        root[t] = t;
        bufs[t] = (plan_buf){0, g->n_nodes, -1, 0};
        if (g->tensors[t].data)
            m->ptr[t] = g->tensors[t].data;
    }
    for (int i = 0; i < g->n_nodes; i++) {
        const eng_node *n = &g->nodes[i];
        if (n->op != ENG_OP_RESHAPE)
            continue;
        if (m->ptr[n->inputs[0]])
            m->ptr[n->output] = m->ptr[n->inputs[0]];
        else
            root[n->output] = find_root(root, n->inputs[0]);
    }
    /* Graph inputs stay untouched for the whole run (as in TFLite): the
     * caller may write the next input before reading this run's outputs,
     * or run twice on one input. */
    for (int i = 0; i < g->n_inputs; i++) {
        plan_buf *b = &bufs[find_root(root, g->inputs[i])];
        extend(b, -1);
        extend(b, g->n_nodes);
    }
    for (int i = 0; i < g->n_nodes; i++) {
        const eng_node *n = &g->nodes[i];
        for (int k = 0; k < n->n_inputs; k++)
            if (n->inputs[k] >= 0 && !m->ptr[n->inputs[k]])
                extend(&bufs[find_root(root, n->inputs[k])], i);
        if (!m->ptr[n->output])
            extend(&bufs[find_root(root, n->output)], i);
    }
    for (int i = 0; i < g->n_outputs; i++) {
        int t = g->outputs[i];
        if (!m->ptr[t])
            extend(&bufs[find_root(root, t)], g->n_nodes);
    }
    for (int t = 0; t < g->n_tensors; t++) {
        plan_buf *b = &bufs[find_root(root, t)];
        size_t need = align_up(g->tensors[t].count * sizeof(float) +
                               XNN_EXTRA_BYTES, BUF_ALIGN);
        if (!m->ptr[t] && b->first <= b->last && need > b->size)
            b->size = need;
    }
}

static eng_status plan_memory(eng_model *m, eng_error *err)
{
    const eng_graph *g = m->g;
    int n = g->n_tensors;
    eng_status st = ENG_OK;
    int *root = malloc((size_t)n * sizeof(*root));
    plan_buf *bufs = malloc((size_t)n * sizeof(*bufs));
    plan_buf **order = malloc((size_t)n * sizeof(*order));
    plan_buf **live = malloc((size_t)n * sizeof(*live));
    if (!root || !bufs || !order || !live) {
        st = eng_fail(err, ENG_ENOMEM, "model: out of memory planning");
        goto out_free;
    }
    plan_lifetimes(m, root, bufs);
    int n_bufs = 0;
    for (int t = 0; t < n; t++)
        if (root[t] == t && bufs[t].size)
            order[n_bufs++] = &bufs[t];
    qsort(order, (size_t)n_bufs, sizeof(*order), by_size_desc);
    size_t total = 0;
    for (int i = 0; i < n_bufs; i++) {
        place(order[i], order, i, live);
        if (order[i]->offset + order[i]->size > total)
            total = order[i]->offset + order[i]->size;
    }
    if (!plan_sound(order, n_bufs)) {
        st = eng_fail(err, ENG_EBACKEND, "model: memory plan overlaps "
                      "(internal error)");
        goto out_free;
    }
    m->act_bytes = total;
    /* Zeroed once so that over-reads and unwritten inputs are defined. */
    m->act = aligned_alloc(BUF_ALIGN, total ? total : BUF_ALIGN);
    if (!m->act) {
        st = eng_fail(err, ENG_ENOMEM, "model: out of memory for a %zu-byte "
                      "activation arena", total);
        goto out_free;
    }
    memset(m->act, 0, total);
    for (int t = 0; t < n; t++) {
        const plan_buf *b = &bufs[find_root(root, t)];
        if (!m->ptr[t] && b->size)
            m->ptr[t] = (float *)((char *)m->act + b->offset);
    }
out_free:
    free(live);
    free(order);
    free(bufs);
    free(root);
    return st;
}

/* ---- kernels ------------------------------------------------------------ */

typedef struct bind_ctx {
    eng_model *m;
    int ni;
    const eng_node *n;
    pthreadpool_t pool;
} bind_ctx;

static const eng_tensor *in_t(const bind_ctx *c, int k)
{
    return &c->m->g->tensors[c->n->inputs[k]];
}

static const float *in_p(const bind_ctx *c, int k)
{
    return c->n->inputs[k] >= 0 ? c->m->ptr[c->n->inputs[k]] : NULL;
}

static const eng_tensor *out_t(const bind_ctx *c)
{
    return &c->m->g->tensors[c->n->output];
}

static float *out_p(const bind_ctx *c)
{
    return c->m->ptr[c->n->output];
}

/* Zeroed, aligned memory for a kernel's description or packed weights,
 * living as long as the model. */
static void *plan_alloc(const bind_ctx *c, size_t size, eng_error *err)
{
    void *p = eng_arena_alloc(&c->m->plan, size);
    if (!p)
        eng_fail(err, ENG_ENOMEM, "model: out of memory for node %d", c->ni);
    return p;
}

static int no_padding(const eng_padding *p)
{
    return !p->top && !p->bottom && !p->left && !p->right;
}

/* A 1x1, stride-1, unpadded convolution is a GEMM over the pixels. */
static int is_pointwise(const eng_graph *g, const eng_node *n)
{
    const eng_conv_params *p = &n->p.u.conv;
    const eng_tensor *w = &g->tensors[n->inputs[1]];
    return n->op == ENG_OP_CONV2D && w->dims[1] == 1 && w->dims[2] == 1 &&
           p->stride_h == 1 && p->stride_w == 1 && no_padding(&p->pad);
}

static eng_status bind_gemm(const bind_ctx *c, node_exec *e, eng_error *err)
{
    const eng_tensor *x = in_t(c, 0), *w = in_t(c, 1);
    size_t n = (size_t)w->dims[0], k = (size_t)w->dims[3];
    eng_kernel_gemm *gm = plan_alloc(c, sizeof(*gm), err);
    float *packed = gm ? plan_alloc(c, eng_kernel_gemm_packed_floats(n, k) *
                                           sizeof(float), err)
                       : NULL;
    if (!packed)
        return ENG_ENOMEM;
    eng_kernel_gemm_pack(n, k, w->data, in_p(c, 2), packed);
    *gm = (eng_kernel_gemm){.m = x->count / k, .n = n, .k = k,
                            .a = in_p(c, 0), .lda = k, .packed = packed,
                            .c = out_p(c), .ldc = n, .fused = c->m->fused};
    eng_activation_range(c->n->p.u.conv.act, &gm->lo, &gm->hi);
    eng_kernel_gemm_plan(gm, eng_runtime_threads(c->m->rt));
    e->kind = EXEC_GEMM;
    e->k.gemm = gm;
    return ENG_OK;
}

/* A convolution whose windows eng_kernel_convgemm can gather. */
static int is_small_window(const eng_graph *g, const eng_node *n)
{
    const eng_conv_params *p = &n->p.u.conv;
    const eng_tensor *w = &g->tensors[n->inputs[1]];
    return p->dilation_h == 1 && p->dilation_w == 1 &&
           (size_t)w->dims[1] * w->dims[2] * w->dims[3] <=
               ENG_KERNEL_CONVGEMM_MAX_K;
}

static eng_status bind_convgemm(const bind_ctx *c, node_exec *e,
                                eng_error *err)
{
    const eng_conv_params *p = &c->n->p.u.conv;
    const eng_tensor *x = in_t(c, 0), *w = in_t(c, 1), *y = out_t(c);
    size_t n = (size_t)w->dims[0];
    size_t k = (size_t)w->dims[1] * w->dims[2] * w->dims[3];
    eng_kernel_convgemm *kd = plan_alloc(c, sizeof(*kd), err);
    float *packed = kd ? plan_alloc(c, eng_kernel_gemm_packed_floats(n, k) *
                                           sizeof(float), err)
                       : NULL;
    if (!packed)
        return ENG_ENOMEM;
    eng_kernel_gemm_pack(n, k, w->data, in_p(c, 2), packed);
    *kd = (eng_kernel_convgemm){
        (size_t)x->dims[0], (size_t)x->dims[1], (size_t)x->dims[2],
        (size_t)x->dims[3], (size_t)y->dims[1], (size_t)y->dims[2], n,
        w->dims[1], w->dims[2], p->stride_h, p->stride_w, p->pad.top,
        p->pad.left, in_p(c, 0), packed, out_p(c), 0, 0, c->m->fused, 0, 0};
    eng_activation_range(p->act, &kd->lo, &kd->hi);
    eng_kernel_convgemm_plan(kd, eng_runtime_threads(c->m->rt));
    e->kind = EXEC_CONVGEMM;
    e->k.convgemm = kd;
    return ENG_OK;
}

static int is_single_channel(const eng_graph *g, const eng_node *n)
{
    const eng_conv_params *p = &n->p.u.conv;
    return n->op == ENG_OP_CONV2D && g->tensors[n->output].dims[3] == 1 &&
           p->dilation_h == 1 && p->dilation_w == 1;
}

/* The description of a one-channel convolution (not yet planned). */
static eng_kernel_conv1 conv1_desc(const bind_ctx *c)
{
    const eng_conv_params *p = &c->n->p.u.conv;
    const eng_tensor *x = in_t(c, 0), *w = in_t(c, 1), *y = out_t(c);
    eng_kernel_conv1 k = {
        (size_t)x->dims[0], (size_t)x->dims[1], (size_t)x->dims[2],
        (size_t)x->dims[3], (size_t)y->dims[1], (size_t)y->dims[2],
        w->dims[1], w->dims[2], p->stride_h, p->stride_w, p->pad.top,
        p->pad.left, in_p(c, 0), w->data, in_p(c, 2) ? in_p(c, 2)[0] : 0.0f,
        out_p(c), 0, 0, 0};
    eng_activation_range(p->act, &k.lo, &k.hi);
    return k;
}

static int conv1_fits(const bind_ctx *c)
{
    eng_kernel_conv1 k = conv1_desc(c);
    return eng_kernel_conv1_fits(&k);
}

static eng_status bind_conv1(const bind_ctx *c, node_exec *e, eng_error *err)
{
    eng_kernel_conv1 *k = plan_alloc(c, sizeof(*k), err);
    if (!k)
        return ENG_ENOMEM;
    *k = conv1_desc(c);
    eng_kernel_conv1_plan(k, eng_runtime_threads(c->m->rt));
    e->kind = EXEC_CONV1;
    e->k.conv1 = k;
    return ENG_OK;
}

static int use_own_dwconv(const eng_graph *g, const eng_node *n)
{
    const eng_tensor *w = &g->tensors[n->inputs[1]];
    return n->p.u.conv.dilation_h == 1 && n->p.u.conv.dilation_w == 1 &&
           eng_kernel_dwconv_fits(w->dims[1]);
}

static eng_status bind_dwconv(const bind_ctx *c, node_exec *e,
                              eng_error *err)
{
    const eng_conv_params *p = &c->n->p.u.conv;
    const eng_tensor *x = in_t(c, 0), *w = in_t(c, 1), *y = out_t(c);
    size_t ch = (size_t)x->dims[3];
    eng_kernel_dwconv *k = plan_alloc(c, sizeof(*k), err);
    const float *bias = in_p(c, 2);
    if (k && !bias) /* plan_alloc zeroes: a bias of zeros */
        bias = plan_alloc(c, ch * sizeof(float), err);
    if (!k || !bias)
        return ENG_ENOMEM;
    *k = (eng_kernel_dwconv){
        (size_t)x->dims[0], (size_t)x->dims[1], (size_t)x->dims[2], ch,
        (size_t)y->dims[1], (size_t)y->dims[2], w->dims[1], w->dims[2],
        p->stride_h, p->stride_w, p->pad.top, p->pad.left, in_p(c, 0),
        w->data, bias, NULL, out_p(c), 0, 0, 0, 0, 0, 0};
    /* plan_alloc zeroes: the zero row padded taps read. */
    k->zero = plan_alloc(c, eng_kernel_dwconv_zero_floats(k) * sizeof(float),
                         err);
    if (!k->zero)
        return ENG_ENOMEM;
    eng_activation_range(p->act, &k->lo, &k->hi);
    eng_kernel_dwconv_plan(k, eng_runtime_threads(c->m->rt));
    e->kind = EXEC_DWCONV;
    e->k.dwconv = k;
    return ENG_OK;
}

static eng_status bind_conv(const bind_ctx *c, xnn_operator_t *op,
                            eng_error *err)
{
    const eng_conv_params *p = &c->n->p.u.conv;
    const eng_tensor *x = in_t(c, 0), *w = in_t(c, 1);
    int dw = c->n->op == ENG_OP_DEPTHWISE_CONV2D;
    size_t cin = (size_t)x->dims[3], cout = (size_t)out_t(c)->dims[3];
    float lo, hi;
    eng_activation_range(p->act, &lo, &hi);
    /* TFLite's OHWI filters are XNNPACK's [G*Go, KH, KW, Gi] with G = 1;
     * depthwise [1, KH, KW, C] is its HWGo with Gi = Go = 1. */
    enum xnn_status xs = xnn_create_convolution2d_nhwc_f32(
        (uint32_t)p->pad.top, (uint32_t)p->pad.right,
        (uint32_t)p->pad.bottom, (uint32_t)p->pad.left,
        (uint32_t)w->dims[1], (uint32_t)w->dims[2], (uint32_t)p->stride_h,
        (uint32_t)p->stride_w, (uint32_t)p->dilation_h,
        (uint32_t)p->dilation_w, dw ? (uint32_t)cin : 1, dw ? 1 : cin,
        dw ? 1 : cout, cin, cout, w->data, in_p(c, 2), lo, hi,
        dw ? XNN_FLAG_DEPTHWISE_CONVOLUTION : 0, op);
    if (xs != xnn_status_success)
        return xnn_fail(err, c->m->g, c->ni, "convolution create", xs);
    xs = xnn_setup_convolution2d_nhwc_f32(
        *op, (size_t)x->dims[0], (size_t)x->dims[1], (size_t)x->dims[2],
        in_p(c, 0), out_p(c), c->pool);
    if (xs != xnn_status_success)
        return xnn_fail(err, c->m->g, c->ni, "convolution setup", xs);
    return ENG_OK;
}

/* A deconvolution whose input pixels write disjoint kh x kw blocks. */
static int is_blockwise(const eng_graph *g, const eng_node *n)
{
    const eng_conv_params *p = &n->p.u.conv;
    const eng_tensor *w = &g->tensors[n->inputs[1]];
    return w->dims[1] == p->stride_h && w->dims[2] == p->stride_w &&
           p->dilation_h == 1 && p->dilation_w == 1 && no_padding(&p->pad) &&
           (size_t)w->dims[0] * w->dims[1] * w->dims[2] <=
               ENG_KERNEL_DECONV_MAX_N;
}

static eng_status bind_own_deconv(const bind_ctx *c, node_exec *e,
                                  eng_error *err)
{
    const eng_tensor *x = in_t(c, 0), *w = in_t(c, 1);
    eng_kernel_deconv *k = plan_alloc(c, sizeof(*k), err);
    if (!k)
        return ENG_ENOMEM;
    *k = (eng_kernel_deconv){
        (size_t)x->dims[0], (size_t)x->dims[1], (size_t)x->dims[2],
        (size_t)x->dims[3], (size_t)w->dims[0], w->dims[1], w->dims[2],
        in_p(c, 0), NULL, out_p(c), 0, 0, c->m->fused, 0};
    float *packed = plan_alloc(
        c, eng_kernel_deconv_packed_floats(k) * sizeof(float), err);
    if (!packed)
        return ENG_ENOMEM;
    eng_kernel_deconv_pack(k, w->data, in_p(c, 2), packed);
    k->packed = packed;
    eng_activation_range(c->n->p.u.conv.act, &k->lo, &k->hi);
    eng_kernel_deconv_plan(k, eng_runtime_threads(c->m->rt));
    e->kind = EXEC_DECONV;
    e->k.deconv = k;
    return ENG_OK;
}

/* XNNPACK deconvolution output = s*(in-1) + adj + dilated_k - crop; the
 * graph's declared size must be reachable with 0 <= adj < s. */
static int deconv_adjustment(int in, int out, int k, int s, int d, int crop)
{
    int adj = out - (s * (in - 1) + (k - 1) * d + 1 - crop);
    return adj >= 0 && adj < s ? adj : -1;
}

static eng_status bind_deconv(const bind_ctx *c, xnn_operator_t *op,
                              eng_error *err)
{
    const eng_conv_params *p = &c->n->p.u.conv;
    const eng_tensor *x = in_t(c, 0), *w = in_t(c, 1), *y = out_t(c);
    int adj_h = deconv_adjustment(x->dims[1], y->dims[1], w->dims[1],
                                  p->stride_h, p->dilation_h,
                                  p->pad.top + p->pad.bottom);
    int adj_w = deconv_adjustment(x->dims[2], y->dims[2], w->dims[2],
                                  p->stride_w, p->dilation_w,
                                  p->pad.left + p->pad.right);
    if (adj_h < 0 || adj_w < 0)
        return node_fail(err, ENG_EUNSUPPORTED, c->m->g, c->ni,
                         "output %dx%d not reachable by a deconvolution",
                         y->dims[1], y->dims[2]);
    size_t cin = (size_t)x->dims[3], cout = (size_t)y->dims[3];
    float lo, hi;
    eng_activation_range(p->act, &lo, &hi);
    /* The weights [Cout, KH, KW, Cin] scatter input pixel (iy, ix) to output
     * (iy*s - crop_top + ky, ...) unflipped, XNNPACK's convention too; the
     * graph's pad is XNNPACK's output padding (a crop). */
    enum xnn_status xs = xnn_create_deconvolution2d_nhwc_f32(
        (uint32_t)p->pad.top, (uint32_t)p->pad.right,
        (uint32_t)p->pad.bottom, (uint32_t)p->pad.left,
        (uint32_t)w->dims[1], (uint32_t)w->dims[2], (uint32_t)p->stride_h,
        (uint32_t)p->stride_w, (uint32_t)p->dilation_h,
        (uint32_t)p->dilation_w, 1, cin, cout, cin, cout, w->data,
        in_p(c, 2), lo, hi, 0, op);
    if (xs != xnn_status_success)
        return xnn_fail(err, c->m->g, c->ni, "deconvolution create", xs);
    xs = xnn_setup_deconvolution2d_nhwc_f32(
        *op, (size_t)x->dims[0], (size_t)x->dims[1], (size_t)x->dims[2],
        (uint32_t)adj_h, (uint32_t)adj_w, in_p(c, 0), out_p(c), c->pool);
    if (xs != xnn_status_success)
        return xnn_fail(err, c->m->g, c->ni, "deconvolution setup", xs);
    return ENG_OK;
}

static eng_status bind_fc(const bind_ctx *c, xnn_operator_t *op,
                          eng_error *err)
{
    const eng_tensor *x = in_t(c, 0), *w = in_t(c, 1);
    size_t nin = (size_t)w->dims[1], nout = (size_t)w->dims[0];
    float lo, hi;
    eng_activation_range(c->n->p.act, &lo, &hi);
    /* [out, in] is XNNPACK's default (untransposed) weight layout. */
    enum xnn_status xs = xnn_create_fully_connected_nc_f32(
        nin, nout, nin, nout, w->data, in_p(c, 2), lo, hi, 0, op);
    if (xs != xnn_status_success)
        return xnn_fail(err, c->m->g, c->ni, "fully connected create", xs);
    xs = xnn_setup_fully_connected_nc_f32(*op, x->count / nin, in_p(c, 0),
                                          out_p(c), c->pool);
    if (xs != xnn_status_success)
        return xnn_fail(err, c->m->g, c->ni, "fully connected setup", xs);
    return ENG_OK;
}

/* Mean over `width` rows of `channels` floats, `batch` times, clamped. */
static eng_status bind_gavgpool(const bind_ctx *c, size_t batch, size_t width,
                                size_t channels, float lo, float hi,
                                xnn_operator_t *op, eng_error *err)
{
    enum xnn_status xs = xnn_create_global_average_pooling_nwc_f32(
        channels, channels, channels, lo, hi, 0, op);
    if (xs != xnn_status_success)
        return xnn_fail(err, c->m->g, c->ni, "global average pool create",
                        xs);
    xs = xnn_setup_global_average_pooling_nwc_f32(*op, batch, width,
                                                  in_p(c, 0), out_p(c),
                                                  c->pool);
    if (xs != xnn_status_success)
        return xnn_fail(err, c->m->g, c->ni, "global average pool setup", xs);
    return ENG_OK;
}

static eng_status bind_pool(const bind_ctx *c, xnn_operator_t *op,
                            eng_error *err)
{
    const eng_pool_params *p = &c->n->p.u.pool;
    const eng_tensor *x = in_t(c, 0);
    size_t ch = (size_t)x->dims[3];
    float lo, hi;
    eng_activation_range(p->act, &lo, &hi);
    enum xnn_status xs;
    if (c->n->op == ENG_OP_MAX_POOL2D) {
        xs = xnn_create_max_pooling2d_nhwc_f32(
            (uint32_t)p->pad.top, (uint32_t)p->pad.right,
            (uint32_t)p->pad.bottom, (uint32_t)p->pad.left,
            (uint32_t)p->filter_h, (uint32_t)p->filter_w,
            (uint32_t)p->stride_h, (uint32_t)p->stride_w, 1, 1, ch, ch, ch,
            lo, hi, 0, op);
    } else {
        int global = p->filter_h == x->dims[1] &&
                     p->filter_w == x->dims[2] && no_padding(&p->pad);
        /* The selfie model's squeeze-excite pools are global: one pass
         * over the image instead of a window pool's indirection. */
        if (global)
            return bind_gavgpool(c, (size_t)x->dims[0],
                                 (size_t)x->dims[1] * (size_t)x->dims[2], ch,
                                 lo, hi, op, err);
        /* With padding XNNPACK divides by the valid cells of each window
         * (its pixelwise path), as TFLite does. */
        xs = xnn_create_average_pooling2d_nhwc_f32(
            (uint32_t)p->pad.top, (uint32_t)p->pad.right,
            (uint32_t)p->pad.bottom, (uint32_t)p->pad.left,
            (uint32_t)p->filter_h, (uint32_t)p->filter_w,
            (uint32_t)p->stride_h, (uint32_t)p->stride_w, ch, ch, ch, lo, hi,
            0, op);
    }
    if (xs != xnn_status_success)
        return xnn_fail(err, c->m->g, c->ni, "pooling create", xs);
    if (c->n->op == ENG_OP_MAX_POOL2D)
        xs = xnn_setup_max_pooling2d_nhwc_f32(
            *op, (size_t)x->dims[0], (size_t)x->dims[1], (size_t)x->dims[2],
            in_p(c, 0), out_p(c), c->pool);
    else
        xs = xnn_setup_average_pooling2d_nhwc_f32(
            *op, (size_t)x->dims[0], (size_t)x->dims[1], (size_t)x->dims[2],
            in_p(c, 0), out_p(c), c->pool);
    if (xs != xnn_status_success)
        return xnn_fail(err, c->m->g, c->ni, "pooling setup", xs);
    return ENG_OK;
}

/* A mean over one run of consecutive axes that excludes the innermost is a
 * global average pool of [outer, width, channels]. */
static eng_status bind_mean(const bind_ctx *c, xnn_operator_t *op,
                            eng_error *err)
{
    const eng_tensor *x = in_t(c, 0);
    unsigned axes = c->n->p.u.mean.axes;
    int a = __builtin_ctz(axes);
    int b = 31 - __builtin_clz(axes);
    if (axes != ((2u << b) - (1u << a)) || b >= x->ndim - 1)
        return node_fail(err, ENG_EUNSUPPORTED, c->m->g, c->ni,
                         "mean over axes 0x%x (only consecutive axes before "
                         "the last)", axes);
    size_t outer = 1, width = 1, ch = 1;
    for (int i = 0; i < x->ndim; i++) {
        size_t d = (size_t)x->dims[i];
        if (i < a)
            outer *= d;
        else if (i <= b)
            width *= d;
        else
            ch *= d;
    }
    return bind_gavgpool(c, outer, width, ch, -INFINITY, INFINITY, op, err);
}

/* XNNPACK wants at least one dimension; a rank-0 tensor is one value. */
static size_t to_shape(const eng_tensor *t, size_t shape[ENG_MAX_DIMS])
{
    shape[0] = 1;
    for (int i = 0; i < t->ndim; i++)
        shape[i] = (size_t)t->dims[i];
    return t->ndim ? (size_t)t->ndim : 1;
}

static eng_status bind_binary(const bind_ctx *c, xnn_operator_t *op,
                              eng_error *err)
{
    int add = c->n->op == ENG_OP_ADD;
    float lo, hi;
    eng_activation_range(c->n->p.act, &lo, &hi);
    enum xnn_status xs = add ? xnn_create_add_nd_f32(lo, hi, 0, op)
                             : xnn_create_multiply_nd_f32(lo, hi, 0, op);
    if (xs != xnn_status_success)
        return xnn_fail(err, c->m->g, c->ni, "binary create", xs);
    size_t sa[ENG_MAX_DIMS], sb[ENG_MAX_DIMS];
    size_t na = to_shape(in_t(c, 0), sa), nb = to_shape(in_t(c, 1), sb);
    if (add)
        xs = xnn_setup_add_nd_f32(*op, na, sa, nb, sb, in_p(c, 0), in_p(c, 1),
                                  out_p(c), c->pool);
    else
        xs = xnn_setup_multiply_nd_f32(*op, na, sa, nb, sb, in_p(c, 0),
                                       in_p(c, 1), out_p(c), c->pool);
    if (xs != xnn_status_success)
        return xnn_fail(err, c->m->g, c->ni, "binary setup", xs);
    return ENG_OK;
}

static eng_status bind_prelu(const bind_ctx *c, xnn_operator_t *op,
                             eng_error *err)
{
    const eng_tensor *x = in_t(c, 0), *alpha = in_t(c, 1);
    int ch = x->ndim ? x->dims[x->ndim - 1] : 1;
    int last = alpha->ndim ? alpha->dims[alpha->ndim - 1] : 1;
    /* count == last == C: every leading dim of alpha is 1. */
    if ((int)alpha->count != ch || last != ch)
        return node_fail(err, ENG_EUNSUPPORTED, c->m->g, c->ni,
                         "alpha must be per channel (%d values), has %zu",
                         ch, alpha->count);
    enum xnn_status xs = xnn_create_prelu_nc_f32(
        (size_t)ch, (size_t)ch, (size_t)ch, alpha->data, 0, op);
    if (xs != xnn_status_success)
        return xnn_fail(err, c->m->g, c->ni, "prelu create", xs);
    xs = xnn_setup_prelu_nc_f32(*op, x->count / (size_t)ch, in_p(c, 0),
                                out_p(c), c->pool);
    if (xs != xnn_status_success)
        return xnn_fail(err, c->m->g, c->ni, "prelu setup", xs);
    return ENG_OK;
}

/* Unary element-wise ops see the tensor as one row of `count` channels:
 * XNNPACK then splits it into blocks across the pool. */
static eng_status bind_unary(const bind_ctx *c, xnn_operator_t *op,
                             eng_error *err)
{
    size_t n = in_t(c, 0)->count;
    enum xnn_status xs;
    switch (c->n->op) {
    case ENG_OP_RELU:
        xs = xnn_create_clamp_nc_f32(n, n, n, 0.0f, INFINITY, 0, op);
        break;
    case ENG_OP_RELU6:
        xs = xnn_create_clamp_nc_f32(n, n, n, 0.0f, 6.0f, 0, op);
        break;
    case ENG_OP_HARD_SWISH:
        xs = xnn_create_hardswish_nc_f32(n, n, n, 0, op);
        break;
    default:
        xs = xnn_create_sigmoid_nc_f32(n, n, n, 0, op);
        break;
    }
    if (xs != xnn_status_success)
        return xnn_fail(err, c->m->g, c->ni, "unary create", xs);
    switch (c->n->op) {
    case ENG_OP_RELU:
    case ENG_OP_RELU6:
        xs = xnn_setup_clamp_nc_f32(*op, 1, in_p(c, 0), out_p(c), c->pool);
        break;
    case ENG_OP_HARD_SWISH:
        xs = xnn_setup_hardswish_nc_f32(*op, 1, in_p(c, 0), out_p(c),
                                        c->pool);
        break;
    default:
        xs = xnn_setup_sigmoid_nc_f32(*op, 1, in_p(c, 0), out_p(c), c->pool);
        break;
    }
    if (xs != xnn_status_success)
        return xnn_fail(err, c->m->g, c->ni, "unary setup", xs);
    return ENG_OK;
}

static eng_status bind_pad(const bind_ctx *c, xnn_operator_t *op,
                           eng_error *err)
{
    static const uint32_t zero_bits = 0; /* 0.0f */
    const eng_tensor *x = in_t(c, 0);
    size_t shape[ENG_MAX_DIMS], pre[ENG_MAX_DIMS] = {0},
                                post[ENG_MAX_DIMS] = {0};
    size_t nd = to_shape(x, shape);
    for (int i = 0; i < x->ndim; i++) {
        pre[i] = (size_t)c->n->p.u.pad.before[i];
        post[i] = (size_t)c->n->p.u.pad.after[i];
    }
    enum xnn_status xs = xnn_create_constant_pad_nd_x32(&zero_bits, 0, op);
    if (xs != xnn_status_success)
        return xnn_fail(err, c->m->g, c->ni, "pad create", xs);
    xs = xnn_setup_constant_pad_nd_x32(*op, nd, shape, pre, post, in_p(c, 0),
                                       out_p(c), c->pool);
    if (xs != xnn_status_success)
        return xnn_fail(err, c->m->g, c->ni, "pad setup", xs);
    return ENG_OK;
}

static eng_status bind_d2s(const bind_ctx *c, xnn_operator_t *op,
                           eng_error *err)
{
    const eng_tensor *x = in_t(c, 0);
    size_t cout = (size_t)out_t(c)->dims[3];
    /* XNNPACK's NHWC depth-to-space is TensorFlow's DCR order. */
    enum xnn_status xs = xnn_create_depth_to_space_nhwc_x32(
        cout, (size_t)x->dims[3], cout,
        (uint32_t)c->n->p.u.depth_to_space.block, 0, op);
    if (xs != xnn_status_success)
        return xnn_fail(err, c->m->g, c->ni, "depth to space create", xs);
    xs = xnn_setup_depth_to_space_nhwc_x32(
        *op, (size_t)x->dims[0], (size_t)x->dims[1], (size_t)x->dims[2],
        in_p(c, 0), out_p(c), c->pool);
    if (xs != xnn_status_success)
        return xnn_fail(err, c->m->g, c->ni, "depth to space setup", xs);
    return ENG_OK;
}

static eng_status bind_resize(const bind_ctx *c, xnn_operator_t *op,
                              eng_error *err)
{
    const eng_tensor *x = in_t(c, 0), *y = out_t(c);
    size_t ch = (size_t)x->dims[3];
    /* XNNPACK's default is half-pixel centres; TF1's asymmetric mapping
     * (neither flag) is its legacy mode. */
    uint32_t flags = 0;
    if (c->n->p.u.resize.align_corners)
        flags = XNN_FLAG_ALIGN_CORNERS;
    else if (!c->n->p.u.resize.half_pixel_centers)
        flags = XNN_FLAG_TENSORFLOW_LEGACY_MODE;
    enum xnn_status xs = xnn_create_resize_bilinear2d_nhwc_f32(ch, ch, ch,
                                                               flags, op);
    if (xs != xnn_status_success)
        return xnn_fail(err, c->m->g, c->ni, "resize create", xs);
    xs = xnn_setup_resize_bilinear2d_nhwc_f32(
        *op, (size_t)x->dims[0], (size_t)x->dims[1], (size_t)x->dims[2],
        (size_t)y->dims[1], (size_t)y->dims[2], in_p(c, 0), out_p(c),
        c->pool);
    if (xs != xnn_status_success)
        return xnn_fail(err, c->m->g, c->ni, "resize setup", xs);
    return ENG_OK;
}

static eng_status bind_concat(const bind_ctx *c, node_exec *e, eng_error *err)
{
    if (c->n->p.act != ENG_ACT_NONE)
        return node_fail(err, ENG_EUNSUPPORTED, c->m->g, c->ni,
                         "fused activation on a concatenation");
    concat_exec *k = plan_alloc(c, sizeof(*k), err);
    if (!k)
        return ENG_ENOMEM;
    const eng_tensor *y = out_t(c);
    int axis = c->n->p.u.concat.axis;
    k->outer = 1;
    for (int d = 0; d < axis; d++)
        k->outer *= (size_t)y->dims[d];
    k->n = c->n->n_inputs;
    for (int i = 0; i < k->n; i++) {
        k->row[i] = in_t(c, i)->count / k->outer;
        k->in[i] = in_p(c, i);
    }
    k->out = out_p(c);
    e->kind = EXEC_CONCAT;
    e->k.concat = k;
    return ENG_OK;
}

/* A convolution goes to the first of our kernels that fits it and is
 * enabled here, else to XNNPACK. */
static eng_status bind_conv2d(const bind_ctx *c, node_exec *e, eng_error *err)
{
    const eng_model *m = c->m;
    if (m->own_conv && is_pointwise(m->g, c->n))
        return bind_gemm(c, e, err);
    if (m->own_avx2 && is_single_channel(m->g, c->n) && conv1_fits(c))
        return bind_conv1(c, e, err);
    if (m->own_conv && is_small_window(m->g, c->n))
        return bind_convgemm(c, e, err);
    return bind_conv(c, &e->k.op, err);
}

static eng_status bind_node(eng_model *m, int ni, node_exec *e,
                            eng_error *err)
{
    bind_ctx c = {m, ni, &m->g->nodes[ni], eng_runtime_pool(m->rt)};
    xnn_operator_t *op = &e->k.op;
    e->kind = EXEC_XNN;
    e->node = ni;
    switch (c.n->op) {
    case ENG_OP_CONV2D: return bind_conv2d(&c, e, err);
    case ENG_OP_DEPTHWISE_CONV2D:
        if (m->own_conv && use_own_dwconv(m->g, c.n))
            return bind_dwconv(&c, e, err);
        return bind_conv(&c, op, err);
    case ENG_OP_TRANSPOSE_CONV2D:
        if (m->own_avx2 && is_blockwise(m->g, c.n))
            return bind_own_deconv(&c, e, err);
        return bind_deconv(&c, op, err);
    case ENG_OP_FULLY_CONNECTED: return bind_fc(&c, op, err);
    case ENG_OP_MAX_POOL2D:
    case ENG_OP_AVERAGE_POOL2D: return bind_pool(&c, op, err);
    case ENG_OP_MEAN: return bind_mean(&c, op, err);
    case ENG_OP_ADD:
    case ENG_OP_MUL: return bind_binary(&c, op, err);
    case ENG_OP_PRELU: return bind_prelu(&c, op, err);
    case ENG_OP_RELU:
    case ENG_OP_RELU6:
    case ENG_OP_HARD_SWISH:
    case ENG_OP_LOGISTIC: return bind_unary(&c, op, err);
    case ENG_OP_PAD: return bind_pad(&c, op, err);
    case ENG_OP_CONCATENATION: return bind_concat(&c, e, err);
    case ENG_OP_DEPTH_TO_SPACE: return bind_d2s(&c, op, err);
    case ENG_OP_RESIZE_BILINEAR: return bind_resize(&c, op, err);
    default:
        return node_fail(err, ENG_EUNSUPPORTED, m->g, ni, "no kernel");
    }
}


/* The profile entry of (op, backend), created on first use. */
static int profile_slot(eng_profile *p, eng_op op, const char *backend)
{
    for (int i = 0; i < p->n_entries; i++)
        if (p->entries[i].op == op && !strcmp(p->entries[i].backend, backend))
            return i;
    eng_profile_entry *e = &p->entries[p->n_entries];
    *e = (eng_profile_entry){op, backend, 0, 0.0, 0};
    return p->n_entries++;
}

static eng_status bind_nodes(eng_model *m, eng_error *err)
{
    const eng_graph *g = m->g;
    m->execs = eng_arena_alloc(&m->plan,
                               (size_t)(g->n_nodes ? g->n_nodes : 1) *
                                   sizeof(*m->execs));
    if (!m->execs)
        return eng_fail(err, ENG_ENOMEM, "model: out of memory");
    for (int i = 0; i < g->n_nodes; i++) {
        const eng_node *n = &g->nodes[i];
        const char *backend = "alias";
        if (n->op != ENG_OP_RESHAPE) {
            node_exec *e = &m->execs[m->n_execs];
            eng_status st = bind_node(m, i, e, err);
            if (e->kind != EXEC_XNN || e->k.op)
                m->n_execs++; /* counted even on failure: destroy frees it */
            if (st)
                return st;
            backend = e->kind == EXEC_XNN ? "xnnpack" : "posescope";
            e->slot = profile_slot(&m->prof, n->op, backend);
        }
        int slot = profile_slot(&m->prof, n->op, backend);
        m->prof.entries[slot].nodes++;
        m->prof.entries[slot].flops += eng_node_flops(g, n);
    }
    return ENG_OK;
}

/* ---- public API --------------------------------------------------------- */

eng_status eng_model_create(eng_runtime *rt, eng_graph *graph, eng_model **out,
                            eng_error *err)
{
    *out = NULL;
    if (!rt || !graph) {
        eng_graph_destroy(graph);
        return eng_fail(err, ENG_EINVAL, "model: NULL runtime or graph");
    }
    eng_status st = eng_graph_check(graph, err);
    if (!st)
        st = eng_graph_optimize(graph, err);
    if (st) {
        eng_graph_destroy(graph);
        return st;
    }
    eng_model *m = calloc(1, sizeof(*m));
    if (!m) {
        eng_graph_destroy(graph);
        return eng_fail(err, ENG_ENOMEM, "model: out of memory");
    }
    m->rt = rt;
    m->choice = (pool_choice){{0.0, 0.0}, MODE_POOL, CHOICE_FIRST_PROBE,
                              CHOICE_FIRST_PROBE};
    m->g = graph;
    int exact = eng_runtime_numerics(rt) == ENG_NUMERICS_EXACT;
    m->own_avx2 = eng_runtime_own_kernels(rt) && eng_kernel_have_avx2();
    m->own_conv = m->own_avx2 && (exact || eng_kernel_beat_xnnpack());
    m->fused = !exact;
    eng_arena_init(&m->plan, 0);
    m->ptr = eng_arena_alloc(&m->plan,
                             (size_t)graph->n_tensors * sizeof(*m->ptr));
    if (!m->ptr) {
        st = eng_fail(err, ENG_ENOMEM, "model: out of memory");
        goto fail;
    }
    st = plan_memory(m, err);
    if (!st)
        st = bind_nodes(m, err);
    if (st)
        goto fail;
    *out = m;
    return ENG_OK;
fail:
    eng_model_destroy(m);
    return st;
}

eng_status eng_model_load(eng_runtime *rt, const char *path, eng_model **out,
                          eng_error *err)
{
    eng_graph *g = NULL;
    *out = NULL;
    eng_status st = eng_tflite_import_file(path, &g, err);
    if (st)
        return st;
    return eng_model_create(rt, g, out, err);
}

void eng_model_destroy(eng_model *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->n_execs; i++)
        if (m->execs[i].kind == EXEC_XNN)
            xnn_delete_operator(m->execs[i].k.op);
    free(m->act);
    eng_arena_destroy(&m->plan);
    eng_graph_destroy(m->g);
    free(m);
}

static eng_status run_exec(eng_model *m, const node_exec *e,
                           pthreadpool_t pool, eng_error *err)
{
    switch (e->kind) {
    case EXEC_XNN: {
        enum xnn_status xs = xnn_run_operator(e->k.op, pool);
        if (xs != xnn_status_success)
            return xnn_fail(err, m->g, e->node, "run", xs);
        return ENG_OK;
    }
    case EXEC_CONCAT: {
        const concat_exec *k = e->k.concat;
        eng_kernel_concat_f32(k->outer, k->n, k->row, k->in, k->out);
        return ENG_OK;
    }
    case EXEC_GEMM: eng_kernel_gemm_run(e->k.gemm, pool); return ENG_OK;
    case EXEC_CONVGEMM:
        eng_kernel_convgemm_run(e->k.convgemm, pool);
        return ENG_OK;
    case EXEC_CONV1: eng_kernel_conv1_run(e->k.conv1, pool); return ENG_OK;
    case EXEC_DWCONV: eng_kernel_dwconv_run(e->k.dwconv, pool); return ENG_OK;
    case EXEC_DECONV: eng_kernel_deconv_run(e->k.deconv, pool); return ENG_OK;
    }
    return ENG_OK;
}

static eng_status run_all(eng_model *m, pthreadpool_t pool, eng_error *err)
{
    if (!m->profiling) {
        for (int i = 0; i < m->n_execs; i++) {
            eng_status st = run_exec(m, &m->execs[i], pool, err);
            if (st)
                return st;
        }
        return ENG_OK;
    }
    double start = eng_now_ms(), t0 = start;
    for (int i = 0; i < m->n_execs; i++) {
        eng_status st = run_exec(m, &m->execs[i], pool, err);
        if (st)
            return st;
        double t1 = eng_now_ms();
        m->prof.entries[m->execs[i].slot].ms += t1 - t0;
        t0 = t1;
    }
    m->prof.total_ms += t0 - start;
    m->prof.runs++;
    return ENG_OK;
}

/* Folds a run of `ms` in `mode` into the averages; after a probe, keeps
 * the faster mode and spaces the probes out while the answer holds. */
static void choice_update(pool_choice *c, int mode, double ms, int probe)
{
    double *avg = &c->avg_ms[mode];
    *avg = *avg > 0.0 ? 0.7 * *avg + 0.3 * ms : ms;
    if (!probe)
        return;
    int best = c->avg_ms[MODE_ALONE] < c->avg_ms[MODE_POOL] ? MODE_ALONE
                                                              : MODE_POOL;
    if (best == c->mode) {
        c->interval = c->interval * 2 < CHOICE_MAX_PROBE ? c->interval * 2
                                                          : CHOICE_MAX_PROBE;
    } else {
        c->mode = best;
        c->interval = CHOICE_FIRST_PROBE;
    }
    c->until_probe = c->interval;
}

eng_status eng_model_run(eng_model *m, eng_error *err)
{
    pthreadpool_t pool = eng_runtime_pool(m->rt);
    if (!pool || !eng_runtime_adaptive(m->rt))
        return run_all(m, pool, err);
    pool_choice *c = &m->choice;
    int probe = --c->until_probe <= 0;
    int mode = probe ? !c->mode : c->mode;
    double t0 = eng_now_ms();
    eng_status st = run_all(m, mode == MODE_POOL ? pool : NULL, err);
    choice_update(c, mode, eng_now_ms() - t0, probe);
    return st;
}

const eng_graph *eng_model_graph(const eng_model *m)
{
    return m->g;
}

int eng_model_num_inputs(const eng_model *m)
{
    return m->g->n_inputs;
}

int eng_model_num_outputs(const eng_model *m)
{
    return m->g->n_outputs;
}

const eng_tensor *eng_model_input(const eng_model *m, int i)
{
    return &m->g->tensors[m->g->inputs[i]];
}

const eng_tensor *eng_model_output(const eng_model *m, int i)
{
    return &m->g->tensors[m->g->outputs[i]];
}

float *eng_model_input_data(eng_model *m, int i)
{
    return m->ptr[m->g->inputs[i]];
}

const float *eng_model_output_data(const eng_model *m, int i)
{
    return m->ptr[m->g->outputs[i]];
}

size_t eng_model_arena_bytes(const eng_model *m)
{
    return m->act_bytes;
}

void eng_model_set_profiling(eng_model *m, int on)
{
    m->profiling = on;
    for (int i = 0; i < m->prof.n_entries; i++)
        m->prof.entries[i].ms = 0.0;
    m->prof.runs = 0;
    m->prof.total_ms = 0.0;
}

void eng_model_get_profile(const eng_model *m, eng_profile *out)
{
    *out = m->prof;
}
