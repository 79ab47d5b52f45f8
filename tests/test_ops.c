/*
 * Every op and attribute variant the ten models use (and a few more),
 * each as a small graph built through the graph API, run by eng_model with
 * 1 and 2 threads on the kernels this CPU gets by default, and with 1
 * thread on XNNPACK alone, and compared with the scalar reference (ref_ops)
 * value by value: |ours - ref| <= 1e-5 * mag + 1e-6 (see ref_ops.h). Shapes
 * are odd on purpose (7, 13, 17 pixels; 1, 3, 5, 17, 33 channels) to reach
 * the kernels' remainder paths, and a few are big enough to be split
 * across the 2 threads; the convolutions of the ten models are here with
 * their own shapes too.
 *
 * The process runs in EXACT numerics (runtime.h), where posescope's
 * kernels must give the bits of the XNNPACK operator they replace: every
 * case's outputs with our kernels (1 and 2 threads) are compared bit for
 * bit with XNNPACK's, which also pins the thread count out of the results.
 *
 * Also: the memory planner (reuse, aliasing, soundness through results),
 * unsupported variants, that a run neither allocates nor moves its
 * buffers, and that the numerics mode is fixed for the process.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_count.h"
#include "graph.h"
#include "model.h"
#include "ref_ops.h"
#include "runtime.h"
#include "testlib.h"

/* ---- allocation counting ------------------------------------------------ */

/* Checked in the plain build only, as before the counter was shared. */
#ifndef __SANITIZE_ADDRESS__
#define COUNT_ALLOCS 1
#endif

/* ---- graph building ----------------------------------------------------- */

#define SHAPE(...)                                                          \
    (int)(sizeof((int[]){__VA_ARGS__}) / sizeof(int)), (int[]){__VA_ARGS__}

typedef struct tcase {
    eng_graph *g;
    uint64_t rng;
    eng_error err;
    int bad; /* a graph call failed: the case is reported and skipped */
} tcase;

static int add_tensor(tcase *t, int ndim, const int *dims)
{
    int i = eng_graph_add_tensor(t->g, NULL, ndim, dims, &t->err);
    t->bad |= i < 0;
    return i;
}

static int add_input(tcase *t, int ndim, const int *dims)
{
    int i = add_tensor(t, ndim, dims);
    if (i >= 0)
        t->g->inputs[t->g->n_inputs++] = i;
    return i;
}

/* A constant of uniform random values in [lo, hi]. */
static int add_const_range(tcase *t, int ndim, const int *dims, float lo,
                           float hi)
{
    int i = add_tensor(t, ndim, dims);
    if (i < 0)
        return -1;
    float *d = eng_graph_alloc_const(t->g, i, &t->err);
    if (!d) {
        t->bad = 1;
        return -1;
    }
    for (size_t k = 0; k < t->g->tensors[i].count; k++)
        d[k] = test_rand_uniform(&t->rng, lo, hi);
    return i;
}

static int add_const(tcase *t, int ndim, const int *dims)
{
    return add_const_range(t, ndim, dims, -1.0f, 1.0f);
}

/* Adds a node whose output has the declared shape (ndim, dims). */
static int add_op_shaped(tcase *t, eng_op op, const int *ins, int n_in,
                         const eng_node_params *p, int ndim, const int *dims)
{
    int out = add_tensor(t, ndim, dims);
    if (out < 0)
        return -1;
    if (eng_graph_add_node(t->g, op, ins, n_in, out, p, t->g->n_nodes,
                           &t->err) < 0) {
        t->bad = 1;
        return -1;
    }
    return out;
}

/* Adds a node whose output shape is what the op computes. */
static int add_op(tcase *t, eng_op op, const int *ins, int n_in,
                  const eng_node_params *p)
{
    if (t->bad)
        return -1;
    eng_node tmp = {.op = op, .n_inputs = n_in};
    memcpy(tmp.inputs, ins, (size_t)n_in * sizeof(int));
    if (p)
        tmp.p = *p;
    int ndim, dims[ENG_MAX_DIMS];
    if (eng_graph_infer_shape(t->g, &tmp, &ndim, dims, &t->err)) {
        t->bad = 1;
        return -1;
    }
    return add_op_shaped(t, op, ins, n_in, p, ndim, dims);
}

static void add_output(tcase *t, int tensor)
{
    if (tensor >= 0)
        t->g->outputs[t->g->n_outputs++] = tensor;
}

static const int *dims_of(tcase *t, int tensor)
{
    return t->g->tensors[tensor].dims;
}

/* ---- running and comparing ---------------------------------------------- */

/* Every case runs on each: our kernels where they beat XNNPACK on this CPU
 * with 1 and 2 threads, then XNNPACK alone (the last: the bits to match).
 * All EXACT, the default. */
#define N_RUNTIMES 3
#define XNN_RUNTIME (N_RUNTIMES - 1)
static const eng_runtime_desc runtime_descs[N_RUNTIMES] = {
    {.threads = 1}, {.threads = 2}, {.threads = 1, .xnnpack_only = 1}};
static eng_runtime *runtimes[N_RUNTIMES];

typedef void (*build_fn)(tcase *t, const void *arg);

typedef struct case_opts {
    float in_lo, in_hi; /* input range; both 0: [-2, 2] */
    int nodes;          /* nodes left after optimisation; 0: unchecked */
    eng_status expect;  /* what eng_model_create returns */
} case_opts;

static uint64_t seed_of(const char *name)
{
    uint64_t h = 1469598103934665603u;
    for (; *name; name++)
        h = (h ^ (unsigned char)*name) * 1099511628211u;
    return h | 1;
}

/* Worst |ours - ref| / tolerance over the tensor (<= 1 passes). */
static double worst_ratio(const float *ours, const float *ref,
                          const double *mag, size_t n, size_t *where)
{
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)ours[i] - (double)ref[i]);
        double r = isnan(d) ? INFINITY : d / ref_tolerance(mag[i]);
        if (r > worst) {
            worst = r;
            *where = i;
        }
    }
    return worst;
}

static float **make_inputs(const eng_graph *g, uint64_t *rng, case_opts o)
{
    float lo = o.in_lo, hi = o.in_hi;
    if (lo == 0 && hi == 0) {
        lo = -2.0f;
        hi = 2.0f;
    }
    float **in = calloc((size_t)g->n_inputs, sizeof(*in));
    for (int i = 0; i < g->n_inputs; i++) {
        size_t n = g->tensors[g->inputs[i]].count;
        in[i] = malloc(n * sizeof(float));
        for (size_t k = 0; k < n; k++)
            in[i][k] = test_rand_uniform(rng, lo, hi);
    }
    return in;
}

/* Runs the model twice and compares both runs with the reference; the
 * second run must give the same bits at the same addresses. Copies of the
 * outputs go to keep[i] (the caller frees them). */
static double check_model(const char *name, int ri, eng_model *m,
                          float **in, const ref_tensors *ref,
                          const int *outs, float **keep)
{
    int threads = runtime_descs[ri].threads;
    const char *kind = runtime_descs[ri].xnnpack_only ? "xnnpack" : "best";
    eng_error err = {0};
    for (int i = 0; i < eng_model_num_inputs(m); i++)
        memcpy(eng_model_input_data(m, i), in[i],
               eng_model_input(m, i)->count * sizeof(float));
    CHECK(eng_model_run(m, &err) == ENG_OK, "%s: run: %s", name, err.msg);
    double worst = 0;
    for (int i = 0; i < eng_model_num_outputs(m); i++) {
        const eng_tensor *t = eng_model_output(m, i);
        const float *ours = eng_model_output_data(m, i);
        size_t n = t->count, at = 0;
        double r = worst_ratio(ours, ref->val[outs[i]], ref->mag[outs[i]], n,
                               &at);
        CHECK(r <= 1.0, "%s (%d thr, %s) output %d [%zu]: ours %.9g ref "
              "%.9g tol %.3g", name, threads, kind, i, at, ours[at],
              ref->val[outs[i]][at], ref_tolerance(ref->mag[outs[i]][at]));
        worst = fmax(worst, r);
        keep[i] = malloc(n * sizeof(float));
        memcpy(keep[i], ours, n * sizeof(float));
    }
    CHECK(eng_model_run(m, &err) == ENG_OK, "%s: rerun: %s", name, err.msg);
    for (int i = 0; i < eng_model_num_outputs(m); i++)
        CHECK(!memcmp(keep[i], eng_model_output_data(m, i),
                      eng_model_output(m, i)->count * sizeof(float)),
              "%s (%d thr, %s): output %d moved or changed on a rerun", name,
              threads, kind, i);
    return worst;
}

/* Convolution nodes of m that run on posescope's kernels. */
static int own_conv_nodes(const eng_model *m)
{
    eng_profile p;
    eng_model_get_profile(m, &p);
    int n = 0;
    for (int i = 0; i < p.n_entries; i++) {
        eng_op op = p.entries[i].op;
        if (!strcmp(p.entries[i].backend, "posescope") &&
            (op == ENG_OP_CONV2D || op == ENG_OP_DEPTHWISE_CONV2D ||
             op == ENG_OP_TRANSPOSE_CONV2D))
            n += p.entries[i].nodes;
    }
    return n;
}

/* Output `out` of runtime ri against XNNPACK's, bit for bit (so -0.0 is
 * not 0.0). Returns 1 when equal. */
static int same_bits(const char *name, int ri, int out, const float *ours,
                     const float *xnn, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (memcmp(&ours[i], &xnn[i], sizeof(float))) {
            CHECK(0, "%s (%d thr): output %d [%zu] is %a, XNNPACK's %a", name,
                  runtime_descs[ri].threads, out, i, ours[i], xnn[i]);
            return 0;
        }
    }
    return 1;
}

static void run_case(const char *name, build_fn build, const void *arg,
                     case_opts o)
{
    double worst = 0;
    float *bits[N_RUNTIMES][ENG_MAX_GRAPH_IO] = {{0}};
    size_t counts[ENG_MAX_GRAPH_IO] = {0};
    int n_out = 0, own = 0;
    for (int ri = 0; ri < N_RUNTIMES; ri++) {
        tcase t = {eng_graph_create(), seed_of(name), {0}, 0};
        build(&t, arg);
        CHECK(!t.bad, "%s: building the graph: %s", name, t.err.msg);
        eng_error err = {0};
        if (!t.bad && eng_graph_check(t.g, &err)) {
            CHECK(0, "%s: graph check: %s", name, err.msg);
            t.bad = 1;
        }
        if (t.bad) {
            eng_graph_destroy(t.g);
            return;
        }
        float **in = make_inputs(t.g, &t.rng, o);
        ref_tensors ref = {0};
        int n_in = t.g->n_inputs, outs[ENG_MAX_GRAPH_IO];
        memcpy(outs, t.g->outputs, sizeof(outs));
        CHECK(!ref_run(t.g, (const float *const *)in, &ref),
              "%s: reference failed", name);
        eng_model *m = NULL;
        eng_status st = eng_model_create(runtimes[ri], t.g, &m, &err);
        CHECK(st == o.expect, "%s: create gave %s (%s), expected %s", name,
              eng_status_name(st), err.msg, eng_status_name(o.expect));
        if (st == ENG_OK && o.nodes)
            CHECK(eng_model_graph(m)->n_nodes == o.nodes,
                  "%s: %d nodes after optimisation, expected %d", name,
                  eng_model_graph(m)->n_nodes, o.nodes);
        if (st == ENG_OK && ref.val) {
            worst = fmax(worst, check_model(name, ri, m, in, &ref, outs,
                                            bits[ri]));
            n_out = eng_model_num_outputs(m);
            for (int i = 0; i < n_out; i++)
                counts[i] = eng_model_output(m, i)->count;
            if (ri == 0)
                own = own_conv_nodes(m);
        }
        eng_model_destroy(m);
        ref_free(&ref);
        for (int i = 0; i < n_in; i++)
            free(in[i]);
        free(in);
    }
    int same = 1;
    for (int ri = 0; ri < XNN_RUNTIME; ri++)
        for (int i = 0; i < n_out; i++)
            if (bits[ri][i] && bits[XNN_RUNTIME][i])
                same &= same_bits(name, ri, i, bits[ri][i],
                                  bits[XNN_RUNTIME][i], counts[i]);
    for (int ri = 0; ri < N_RUNTIMES; ri++)
        for (int i = 0; i < n_out; i++)
            free(bits[ri][i]);
    if (o.expect != ENG_OK)
        printf("%-44s refused as expected\n", name);
    else if (own)
        printf("%-44s worst err/tol %.3f, %d own conv%s: %s\n", name,
               worst, own, own > 1 ? "s" : "",
               same ? "XNNPACK's bits" : "BITS DIFFER");
    else
        printf("%-44s worst err/tol %.3f\n", name, worst);
}

static const case_opts OK = {0, 0, 0, ENG_OK};

/* ---- convolutions ------------------------------------------------------- */

typedef struct conv_case {
    eng_op op;
    int h, w, cin, cout, kh, kw, stride, dilation;
    eng_padding pad;
    eng_activation act;
    int no_bias;
    int neg_zero_bias;   /* a bias of -0.0: shows the sign of the zero an
                          * all-padding window sums to */
    eng_padding pre_pad; /* an explicit PAD op before the convolution */
    int relu_after;      /* a standalone RELU6 after it (fusion) */
    int oh, ow;          /* expected output size; 0: unchecked */
} conv_case;

static void build_conv(tcase *t, const void *arg)
{
    const conv_case *c = arg;
    int x = add_input(t, SHAPE(1, c->h, c->w, c->cin));
    const eng_padding *pp = &c->pre_pad;
    if (pp->top || pp->bottom || pp->left || pp->right) {
        eng_node_params p = {0};
        p.u.pad.before[1] = pp->top;
        p.u.pad.after[1] = pp->bottom;
        p.u.pad.before[2] = pp->left;
        p.u.pad.after[2] = pp->right;
        x = add_op(t, ENG_OP_PAD, &x, 1, &p);
    }
    int w;
    if (c->op == ENG_OP_DEPTHWISE_CONV2D)
        w = add_const(t, SHAPE(1, c->kh, c->kw, c->cout));
    else
        w = add_const(t, SHAPE(c->cout, c->kh, c->kw, c->cin));
    int b = c->no_bias ? -1 : add_const(t, SHAPE(c->cout));
    if (b >= 0 && c->neg_zero_bias)
        for (int i = 0; i < c->cout; i++)
            t->g->tensors[b].data[i] = -0.0f;
    eng_node_params p = {0};
    p.u.conv = (eng_conv_params){c->stride, c->stride,
                                 c->dilation ? c->dilation : 1,
                                 c->dilation ? c->dilation : 1, c->pad,
                                 c->act};
    int y = add_op(t, c->op, (int[]){x, w, b}, 3, &p);
    if (y >= 0 && c->oh)
        CHECK(dims_of(t, y)[1] == c->oh && dims_of(t, y)[2] == c->ow,
              "conv output %dx%d, expected %dx%d", dims_of(t, y)[1],
              dims_of(t, y)[2], c->oh, c->ow);
    if (c->relu_after)
        y = add_op(t, ENG_OP_RELU6, &y, 1, NULL);
    add_output(t, y);
}

#define PADS(t, b, l, r) ((eng_padding){t, b, l, r})

/* The fields every convolution case sets; the rest default to 0. */
#define CONV(o, H, W, CI, CO, K, S, P, A)                                   \
    .op = (o), .h = (H), .w = (W), .cin = (CI), .cout = (CO), .kh = (K),    \
    .kw = (K), .stride = (S), .pad = (P), .act = (A)

static void test_conv(void)
{
    const eng_op C = ENG_OP_CONV2D, D = ENG_OP_DEPTHWISE_CONV2D;
    const eng_activation N = ENG_ACT_NONE, R6 = ENG_ACT_RELU6;
    const eng_padding P0 = PADS(0, 0, 0, 0), P1 = PADS(1, 1, 1, 1);
    const eng_padding P01 = PADS(0, 1, 0, 1), P12 = PADS(1, 2, 1, 2);
    const eng_padding P2 = PADS(2, 2, 2, 2);
    const struct {
        const char *name;
        conv_case c;
    } cases[] = {
        {"conv 1x1 s1 SAME none 7x7 5->17",
         {CONV(C, 7, 7, 5, 17, 1, 1, P0, N)}},
        {"conv 1x1 s1 VALID relu6 13x13 33->16",
         {CONV(C, 13, 13, 33, 16, 1, 1, P0, R6)}},
        {"conv 1x1 no bias 17x17 3->33",
         {CONV(C, 17, 17, 3, 33, 1, 1, P0, N), .no_bias = 1}},
        {"conv 1x1 relu_n1_to_1 7x13 17->5",
         {CONV(C, 7, 13, 17, 5, 1, 1, P0, ENG_ACT_RELU_N1_TO_1)}},
        {"conv 3x3 s2 SAME pads (0,1) relu6 16x16 3->8",
         {CONV(C, 16, 16, 3, 8, 3, 2, P01, R6), .oh = 8, .ow = 8}},
        {"conv PAD(1,1) + 3x3 s2 VALID relu6 (fused)",
         {CONV(C, 16, 16, 3, 8, 3, 2, P0, R6), .pre_pad = P1, .oh = 8,
          .ow = 8}},
        {"conv 5x5 s2 SAME pads (1,2) 12x12 3->8",
         {CONV(C, 12, 12, 3, 8, 5, 2, P12, N), .oh = 6, .ow = 6}},
        {"conv 2x2 VALID on 2x2 17->5",
         {CONV(C, 2, 2, 17, 5, 2, 1, P0, N), .oh = 1, .ow = 1}},
        {"conv 3x3 s1 SAME Cout=1 13x13x7",
         {CONV(C, 13, 13, 7, 1, 3, 1, P1, N)}},
        {"conv 3x3 s1 SAME 7x7 1->3", {CONV(C, 7, 7, 1, 3, 3, 1, P1, R6)}},
        {"conv 3x3 s1 SAME 17x17 17->5",
         {CONV(C, 17, 17, 17, 5, 3, 1, P1, N)}},
        {"conv 3x3 s2 VALID 13x17 5->3",
         {CONV(C, 13, 17, 5, 3, 3, 2, P0, N), .oh = 6, .ow = 8}},
        {"conv 3x3 dilation 2 13x13 5->3",
         {CONV(C, 13, 13, 5, 3, 3, 1, P2, N), .dilation = 2}},
        {"conv 1x1 + RELU6 op (fused)",
         {CONV(C, 7, 7, 5, 17, 1, 1, P0, N), .relu_after = 1}},
        {"dw 3x3 s1 SAME relu6 7x7x17",
         {CONV(D, 7, 7, 17, 17, 3, 1, P1, R6)}},
        {"dw 3x3 s1 SAME none 13x13x33",
         {CONV(D, 13, 13, 33, 33, 3, 1, P1, N)}},
        {"dw 3x3 s2 SAME pads (0,1) 8x8x5",
         {CONV(D, 8, 8, 5, 5, 3, 2, P01, N), .oh = 4, .ow = 4}},
        {"dw PAD(1,1) + 3x3 s2 VALID relu6 9x9x33",
         {CONV(D, 9, 9, 33, 33, 3, 2, P0, R6), .pre_pad = P1, .oh = 5,
          .ow = 5}},
        {"dw 3x3 s2 VALID none 13x13x3",
         {CONV(D, 13, 13, 3, 3, 3, 2, P0, N), .oh = 6, .ow = 6}},
        {"dw 5x5 s1 SAME relu6 13x13x3",
         {CONV(D, 13, 13, 3, 3, 5, 1, P2, R6)}},
        {"dw 5x5 s1 SAME none 17x17x17",
         {CONV(D, 17, 17, 17, 17, 5, 1, P2, N)}},
        {"dw PAD(2,2) + 5x5 s2 VALID relu6 12x12x17",
         {CONV(D, 12, 12, 17, 17, 5, 2, P0, R6), .pre_pad = P2, .oh = 6,
          .ow = 6}},
        {"dw 5x5 s2 SAME pads (1,2) 12x12x5",
         {CONV(D, 12, 12, 5, 5, 5, 2, P12, N), .oh = 6, .ow = 6}},
        {"dw 3x3 no bias C=1 7x7",
         {CONV(D, 7, 7, 1, 1, 3, 1, P1, N), .no_bias = 1}},
        {"dw 3x3 + RELU6 op (fused) 7x7x17",
         {CONV(D, 7, 7, 17, 17, 3, 1, P1, N), .relu_after = 1}},
        {"dw 3x3 s1 SAME relu6 19x23x24 (16+8 tiles)",
         {CONV(D, 19, 23, 24, 24, 3, 1, P1, R6)}},
        {"dw 5x5 s1 SAME 16x21x8 (8-pixel tiles)",
         {CONV(D, 16, 21, 8, 8, 5, 1, P2, N)}},
        {"dw 3x3 s2 SAME pads (0,1) 20x20x40",
         {CONV(D, 20, 20, 40, 40, 3, 2, P01, R6), .oh = 10, .ow = 10}},
        {"dw 5x5 s2 VALID 21x21x20 (channel tail)",
         {CONV(D, 21, 21, 20, 20, 5, 2, P0, N), .oh = 9, .ow = 9}},
        {"dw 3x3 s1 SAME 11x11x144",
         {CONV(D, 11, 11, 144, 144, 3, 1, P1, R6)}},
        {"dw 5x5 s1 SAME 9x13x136", {CONV(D, 9, 13, 136, 136, 5, 1, P2, N)}},
        {"conv 1x1 4x5 300->130 (panel groups)",
         {CONV(C, 4, 5, 300, 130, 1, 1, P0, R6)}},
        {"conv 1x1 1x1 64->1152 (one pixel)",
         {CONV(C, 1, 1, 64, 1152, 1, 1, P0, N)}},
        {"conv 1x1 37x41 24->40", {CONV(C, 37, 41, 24, 40, 1, 1, P0, N)}},
        {"conv 3x3 s2 SAME (0,1) 16x15x8 -> 1",
         {CONV(C, 16, 15, 8, 1, 3, 2, PADS(0, 1, 0, 0), N), .oh = 8,
          .ow = 7}},
        {"conv 5x5 VALID 9x9x3 -> 1 relu6",
         {CONV(C, 9, 9, 3, 1, 5, 1, P0, R6), .oh = 5, .ow = 5}},
        {"conv 3x3 s1 SAME 33x31x16 -> 1 no bias",
         {CONV(C, 33, 31, 16, 1, 3, 1, P1, N), .no_bias = 1}},
        /* Big enough (> 0.5 MFLOP) that 2 threads really split them. */
        {"conv 3x3 s1 SAME 64x48x16 -> 1 (split)",
         {CONV(C, 64, 48, 16, 1, 3, 1, P1, R6)}},
        {"conv 3x3 s2 SAME (0,1) stem 64x64x3 -> 24 (split)",
         {CONV(C, 64, 64, 3, 24, 3, 2, P01, R6), .oh = 32, .ow = 32}},
        {"dw 5x5 s1 SAME 40x36x32 (split)",
         {CONV(D, 40, 36, 32, 32, 5, 1, P2, R6)}},
        {"dw 3x3 s2 SAME 64x64x24 (split)",
         {CONV(D, 64, 64, 24, 24, 3, 2, P01, N), .oh = 32, .ow = 32}},
        /* 7 rows do not share out over 2 threads: channel blocks too. */
        {"dw 5x5 s1 SAME 7x9x204 (split by rows and channels)",
         {CONV(D, 7, 9, 204, 204, 5, 1, P2, R6)}},
        {"conv 1x1 7x7 192->1152 (split along n)",
         {CONV(C, 7, 7, 192, 1152, 1, 1, P0, R6)}},
    };
    /* Every case optimises to the one convolution. */
    case_opts o = OK;
    o.nodes = 1;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(cases[i].name, build_conv, &cases[i].c, o);
}

/* The convolutions of the ten models with their shapes (and activations
 * of either kind), where our kernels must give XNNPACK's bits; plus
 * padding wider than the kernel, whose all-padding windows sum zeros. */
static void test_model_convs(void)
{
    const eng_op C = ENG_OP_CONV2D, D = ENG_OP_DEPTHWISE_CONV2D;
    const eng_activation N = ENG_ACT_NONE, R6 = ENG_ACT_RELU6;
    const eng_activation R = ENG_ACT_RELU;
    const eng_padding P0 = PADS(0, 0, 0, 0), P1 = PADS(1, 1, 1, 1);
    const eng_padding P01 = PADS(0, 1, 0, 1), P12 = PADS(1, 2, 1, 2);
    const eng_padding P2 = PADS(2, 2, 2, 2), P3 = PADS(3, 3, 3, 3);
    const struct {
        const char *name;
        conv_case c;
    } cases[] = {
        {"model dw 3x3 s1 128x128x8", {CONV(D, 128, 128, 8, 8, 3, 1, P1, N)}},
        {"model dw 3x3 s1 112x112x24 relu",
         {CONV(D, 112, 112, 24, 24, 3, 1, P1, R)}},
        {"model dw 3x3 s1 32x32x56", {CONV(D, 32, 32, 56, 56, 3, 1, P1, N)}},
        {"model dw 3x3 s2 (0,1) 112x112x64",
         {CONV(D, 112, 112, 64, 64, 3, 2, P01, N)}},
        {"model dw 3x3 s2 SAME 128x128x96",
         {CONV(D, 128, 128, 96, 96, 3, 2, P1, R6)}},
        {"model dw 3x3 s2 VALID 58x58x24",
         {CONV(D, 58, 58, 24, 24, 3, 2, P0, N)}},
        {"model dw 3x3 s1 4x4x192", {CONV(D, 4, 4, 192, 192, 3, 1, P1, N)}},
        {"model dw 3x3 s1 16x16x672",
         {CONV(D, 16, 16, 672, 672, 3, 1, P1, N)}},
        {"dw 3x3 s1 2x2x96 (all border)",
         {CONV(D, 2, 2, 96, 96, 3, 1, P1, N)}},
        {"model dw 5x5 s1 96x96x32", {CONV(D, 96, 96, 32, 32, 5, 1, P2, N)}},
        {"model dw 5x5 s2 (1,2) 96x96x32",
         {CONV(D, 96, 96, 32, 32, 5, 2, P12, N)}},
        {"model dw 5x5 s1 8x8x1632",
         {CONV(D, 8, 8, 1632, 1632, 5, 1, P2, N)}},
        {"model dw 5x5 s1 7x7x1152 relu6",
         {CONV(D, 7, 7, 1152, 1152, 5, 1, P2, R6)}},
        {"model dw 5x5 s2 SAME 14x14x672",
         {CONV(D, 14, 14, 672, 672, 5, 2, P2, N)}},
        {"model dw 5x5 s1 9x16x96", {CONV(D, 9, 16, 96, 96, 5, 1, P2, N)}},
        {"model stem 3x3 s2 SAME 256x256x3 -> 24",
         {CONV(C, 256, 256, 3, 24, 3, 2, P1, R6)}},
        {"model stem 3x3 s2 (0,1) 224x224x3 -> 24",
         {CONV(C, 224, 224, 3, 24, 3, 2, P01, N)}},
        {"model stem 3x3 s2 (0,1) 144x256x3 -> 16",
         {CONV(C, 144, 256, 3, 16, 3, 2, P01, R)}},
        {"model stem 5x5 s2 (1,2) 192x192x3 -> 32",
         {CONV(C, 192, 192, 3, 32, 5, 2, P12, R)}},
        {"model seg head 3x3 s1 256x256x8 -> 1",
         {CONV(C, 256, 256, 8, 1, 3, 1, P1, N)}},
        {"model head 2x2 VALID 2x2x288 -> 1",
         {CONV(C, 2, 2, 288, 1, 2, 1, P0, N)}},
        {"model head 2x2 VALID 2x2x192 -> 117",
         {CONV(C, 2, 2, 192, 117, 2, 1, P0, N)}},
        {"model 1x1 8x8x272 -> 1632", {CONV(C, 8, 8, 272, 1632, 1, 1, P0, N)}},
        {"model 1x1 7x7x1152 -> 192", {CONV(C, 7, 7, 1152, 192, 1, 1, P0, N)}},
        {"model 1x1 56x56x24 -> 144 relu6",
         {CONV(C, 56, 56, 24, 144, 1, 1, P0, R6)}},
        {"model 1x1 128x128x8 -> 8", {CONV(C, 128, 128, 8, 8, 1, 1, P0, N)}},
        {"model 1x1 1x1x96 -> 24 relu", {CONV(C, 1, 1, 96, 24, 1, 1, P0, R)}},
        {"dw 3x3 pad 3 4x4x17, bias -0.0",
         {CONV(D, 4, 4, 17, 17, 3, 1, P3, N), .neg_zero_bias = 1}},
        {"dw 5x5 pad 3 6x7x40 relu6, bias -0.0",
         {CONV(D, 6, 7, 40, 40, 5, 1, P3, R6), .neg_zero_bias = 1}},
        {"conv 3x3 pad 3 4x4x3 -> 8, bias -0.0",
         {CONV(C, 4, 4, 3, 8, 3, 1, P3, N), .neg_zero_bias = 1}},
        {"conv 3x3 pad 3 5x4x8 -> 1, bias -0.0",
         {CONV(C, 5, 4, 8, 1, 3, 1, P3, N), .neg_zero_bias = 1}},
    };
    case_opts o = OK;
    o.nodes = 1;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(cases[i].name, build_conv, &cases[i].c, o);
}

/* RELU then a depthwise convolution with a bias of -0.0: inputs of +0.0
 * times negative weights sum to -0.0 in some outputs whose windows lose
 * rows to padding, where XNNPACK's padded 0 * w turn them into +0.0. */
static void build_relu_dw(tcase *t, const void *arg)
{
    const conv_case *c = arg;
    int x = add_input(t, SHAPE(1, c->h, c->w, c->cin));
    x = add_op(t, ENG_OP_RELU, &x, 1, NULL);
    int w = add_const(t, SHAPE(1, c->kh, c->kw, c->cout));
    int b = add_const(t, SHAPE(c->cout));
    for (int i = 0; b >= 0 && i < c->cout; i++)
        t->g->tensors[b].data[i] = -0.0f;
    eng_node_params p = {0};
    p.u.conv = (eng_conv_params){c->stride, c->stride, 1, 1, c->pad, c->act};
    add_output(t, add_op(t, ENG_OP_DEPTHWISE_CONV2D, (int[]){x, w, b}, 3,
                         &p));
}

static void test_signed_zeros(void)
{
    const eng_op D = ENG_OP_DEPTHWISE_CONV2D;
    const eng_activation N = ENG_ACT_NONE;
    static const conv_case rows = {CONV(D, 5, 14, 32, 32, 3, 1,
                                        PADS(2, 2, 0, 0), N)};
    static const conv_case corners = {CONV(D, 6, 6, 40, 40, 3, 1,
                                           PADS(2, 2, 2, 2), N)};
    run_case("relu + dw 3x3 pad rows 2 5x14x32, -0.0 sums", build_relu_dw,
             &rows, OK);
    run_case("relu + dw 3x3 pad 2 6x6x40, -0.0 sums", build_relu_dw,
             &corners, OK);
}

typedef struct deconv_case {
    int h, w, cin, cout, k, stride;
    eng_padding crop;
    eng_activation act;
    int no_bias;
    int oh, ow;
} deconv_case;

static void build_deconv(tcase *t, const void *arg)
{
    const deconv_case *c = arg;
    int x = add_input(t, SHAPE(1, c->h, c->w, c->cin));
    int w = add_const(t, SHAPE(c->cout, c->k, c->k, c->cin));
    int b = c->no_bias ? -1 : add_const(t, SHAPE(c->cout));
    eng_node_params p = {0};
    p.u.conv = (eng_conv_params){c->stride, c->stride, 1, 1, c->crop, c->act};
    int y = add_op(t, ENG_OP_TRANSPOSE_CONV2D, (int[]){x, w, b}, 3, &p);
    if (y >= 0)
        CHECK(dims_of(t, y)[1] == c->oh && dims_of(t, y)[2] == c->ow,
              "deconv output %dx%d, expected %dx%d", dims_of(t, y)[1],
              dims_of(t, y)[2], c->oh, c->ow);
    add_output(t, y);
}

static void test_deconv(void)
{
    static const deconv_case selfie = {8, 8, 16, 1, 2, 2, {0}, 0, 0, 16, 16};
    static const deconv_case wide = {5, 7, 3, 17, 2, 2, {0}, ENG_ACT_RELU,
                                     1, 10, 14};
    static const deconv_case panels = {6, 5, 7, 13, 2, 2, {0}, ENG_ACT_RELU6,
                                       0, 12, 10};
    static const deconv_case big = {64, 80, 16, 1, 2, 2, {0}, 0, 0, 128,
                                    160};
    static const deconv_case cropped = {5, 5, 5, 3, 3, 2, PADS(0, 1, 0, 1),
                                        0, 0, 10, 10};
    static const deconv_case s1 = {7, 7, 4, 5, 3, 1, PADS(1, 1, 1, 1),
                                   ENG_ACT_RELU6, 0, 7, 7};
    run_case("transpose conv 2x2 s2 8x8 16->1 (selfie)", build_deconv,
             &selfie, OK);
    run_case("transpose conv 2x2 s2 5x7 3->17 no bias relu", build_deconv,
             &wide, OK);
    run_case("transpose conv 2x2 s2 6x5 7->13 relu6 (52 columns)",
             build_deconv, &panels, OK);
    run_case("transpose conv 2x2 s2 64x80 16->1 (split)", build_deconv,
             &big, OK);
    run_case("transpose conv 3x3 s2 crop (0,1) 5x5 5->3", build_deconv,
             &cropped, OK);
    run_case("transpose conv 3x3 s1 crop (1,1) relu6", build_deconv, &s1, OK);
    static const deconv_case selfie_model = {128, 128, 16, 1, 2, 2, {0}, 0,
                                             0, 256, 256};
    static const deconv_case landscape = {72, 128, 16, 1, 2, 2, {0}, 0, 0,
                                          144, 256};
    static const deconv_case tail = {9, 7, 18, 3, 2, 2, {0}, ENG_ACT_RELU,
                                     0, 18, 14};
    static const deconv_case full = {6, 5, 9, 16, 2, 2, {0}, 0, 0, 12, 10};
    run_case("model selfie deconv 2x2 s2 128x128x16 -> 1", build_deconv,
             &selfie_model, OK);
    run_case("model selfie deconv 2x2 s2 72x128x16 -> 1", build_deconv,
             &landscape, OK);
    run_case("transpose conv 2x2 s2 9x7 18->3 (channel tail)", build_deconv,
             &tail, OK);
    run_case("transpose conv 2x2 s2 6x5 9->16 (XNNPACK's 16 wide)",
             build_deconv, &full, OK);
    static const deconv_case odd = {5, 4, 6, 1, 3, 3, {0}, 0, 0, 15, 12};
    static const deconv_case pairs = {4, 3, 5, 2, 3, 3, {0}, ENG_ACT_RELU6,
                                      0, 12, 9};
    run_case("transpose conv 3x3 s3 5x4 6->1 (9 columns)", build_deconv,
             &odd, OK);
    run_case("transpose conv 3x3 s3 4x3 5->2 relu6 (18 columns)",
             build_deconv, &pairs, OK);
}

/* ---- fully connected ---------------------------------------------------- */

typedef struct fc_case {
    int in_ndim, in_dims[4];
    int nin, nout;
    int no_bias;
    eng_activation act;
} fc_case;

static void build_fc(tcase *t, const void *arg)
{
    const fc_case *c = arg;
    int x = add_input(t, c->in_ndim, c->in_dims);
    int w = add_const(t, SHAPE(c->nout, c->nin));
    int b = c->no_bias ? -1 : add_const(t, SHAPE(c->nout));
    eng_node_params p = {.act = c->act};
    add_output(t, add_op(t, ENG_OP_FULLY_CONNECTED, (int[]){x, w, b}, 3, &p));
}

static void test_fc(void)
{
    static const fc_case hand = {2, {1, 1152}, 1152, 63, 0, ENG_ACT_NONE};
    static const fc_case one = {2, {1, 33}, 33, 1, 1, ENG_ACT_NONE};
    static const fc_case batch = {2, {3, 17}, 17, 5, 0, ENG_ACT_RELU6};
    static const fc_case flat = {4, {1, 2, 2, 8}, 32, 7, 0, ENG_ACT_NONE};
    run_case("fc [1,1152] -> 63 with bias", build_fc, &hand, OK);
    run_case("fc [1,33] -> 1 no bias", build_fc, &one, OK);
    run_case("fc batch 3 [3,17] -> 5 relu6", build_fc, &batch, OK);
    run_case("fc [1,2,2,8] flattened -> 7", build_fc, &flat, OK);
}

/* ---- pooling and mean --------------------------------------------------- */

typedef struct pool_case {
    eng_op op;
    int h, w, c, f, stride;
    eng_padding pad;
    eng_activation act;
    int oh, ow;
} pool_case;

static void build_pool(tcase *t, const void *arg)
{
    const pool_case *c = arg;
    int x = add_input(t, SHAPE(1, c->h, c->w, c->c));
    eng_node_params p = {0};
    p.u.pool = (eng_pool_params){c->f, c->f, c->stride, c->stride, c->pad,
                                 c->act};
    int y = add_op(t, c->op, &x, 1, &p);
    if (y >= 0)
        CHECK(dims_of(t, y)[1] == c->oh && dims_of(t, y)[2] == c->ow,
              "pool output %dx%d, expected %dx%d", dims_of(t, y)[1],
              dims_of(t, y)[2], c->oh, c->ow);
    add_output(t, y);
}

static void test_pool(void)
{
    const eng_op M = ENG_OP_MAX_POOL2D, A = ENG_OP_AVERAGE_POOL2D;
    const struct {
        const char *name;
        pool_case c;
    } cases[] = {
        {"max pool 2x2 s2 VALID 8x8x5", {M, 8, 8, 5, 2, 2, {0}, 0, 4, 4}},
        {"max pool 2x2 s2 VALID 13x13x17 (odd)",
         {M, 13, 13, 17, 2, 2, {0}, 0, 6, 6}},
        {"max pool 2x2 s2 SAME 7x7x3 pads (0,1)",
         {M, 7, 7, 3, 2, 2, PADS(0, 1, 0, 1), 0, 4, 4}},
        {"max pool 3x3 s1 SAME relu6 5x5x17",
         {M, 5, 5, 17, 3, 1, PADS(1, 1, 1, 1), ENG_ACT_RELU6, 5, 5}},
        {"avg pool global 8x8x17", {A, 8, 8, 17, 8, 8, {0}, 0, 1, 1}},
        {"avg pool global 16x16x33", {A, 16, 16, 33, 16, 16, {0}, 0, 1, 1}},
        {"avg pool 2x2 s2 VALID 8x8x5", {A, 8, 8, 5, 2, 2, {0}, 0, 4, 4}},
        {"avg pool 3x3 s1 SAME 5x5x3 (valid cells only)",
         {A, 5, 5, 3, 3, 1, PADS(1, 1, 1, 1), 0, 5, 5}},
        {"avg pool 2x2 s2 SAME 7x7x17 pads (0,1)",
         {A, 7, 7, 17, 2, 2, PADS(0, 1, 0, 1), 0, 4, 4}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(cases[i].name, build_pool, &cases[i].c, OK);
}

typedef struct mean_case {
    int ndim, dims[4];
    unsigned axes;
    bool keep;
} mean_case;

static void build_mean(tcase *t, const void *arg)
{
    const mean_case *c = arg;
    int x = add_input(t, c->ndim, c->dims);
    eng_node_params p = {0};
    p.u.mean.axes = c->axes;
    p.u.mean.keep_dims = c->keep;
    add_output(t, add_op(t, ENG_OP_MEAN, &x, 1, &p));
}

static void test_mean(void)
{
    static const mean_case hand = {4, {1, 7, 7, 33}, 0x6, false};
    static const mean_case keep = {4, {1, 9, 16, 17}, 0x6, true};
    static const mean_case rows = {4, {1, 5, 7, 3}, 0x2, false};
    static const mean_case last = {4, {1, 5, 7, 3}, 0x8, false};
    static const mean_case split = {4, {2, 5, 7, 3}, 0x5, false};
    run_case("mean axes {1,2} keep_dims 0 7x7x33", build_mean, &hand, OK);
    run_case("mean axes {1,2} keep_dims 1 9x16x17", build_mean, &keep, OK);
    run_case("mean axis {1} 5x7x3", build_mean, &rows, OK);
    case_opts refuse = {0, 0, 0, ENG_EUNSUPPORTED};
    run_case("mean axis {3} (unsupported)", build_mean, &last, refuse);
    run_case("mean axes {0,2} (unsupported)", build_mean, &split, refuse);
}

/* ---- element-wise ------------------------------------------------------- */

typedef struct binary_case {
    eng_op op;
    int a_ndim, a[4], b_ndim, b[4];
    eng_activation act;
    int b_const; /* b is a constant instead of a graph input */
} binary_case;

static void build_binary(tcase *t, const void *arg)
{
    const binary_case *c = arg;
    int a = add_input(t, c->a_ndim, c->a);
    int b = c->b_const ? add_const_range(t, c->b_ndim, c->b, -2.0f, 2.0f)
                       : add_input(t, c->b_ndim, c->b);
    eng_node_params p = {.act = c->act};
    add_output(t, add_op(t, c->op, (int[]){a, b}, 2, &p));
}

static void test_binary(void)
{
    const eng_op A = ENG_OP_ADD, M = ENG_OP_MUL, P = ENG_OP_PRELU;
    const struct {
        const char *name;
        binary_case c;
        eng_status expect;
    } cases[] = {
        {"add same shape none 13x13x17",
         {A, 4, {1, 13, 13, 17}, 4, {1, 13, 13, 17}, ENG_ACT_NONE, 0}, ENG_OK},
        {"add same shape relu6 7x7x33",
         {A, 4, {1, 7, 7, 33}, 4, {1, 7, 7, 33}, ENG_ACT_RELU6, 0}, ENG_OK},
        {"add broadcast [1,7,7,17]+[1,1,1,17]",
         {A, 4, {1, 7, 7, 17}, 4, {1, 1, 1, 17}, ENG_ACT_NONE, 0}, ENG_OK},
        {"add broadcast [1,1,1,5]+[1,7,7,5] relu",
         {A, 4, {1, 1, 1, 5}, 4, {1, 7, 7, 5}, ENG_ACT_RELU, 0}, ENG_OK},
        {"add constant [17] to [1,5,5,17]",
         {A, 4, {1, 5, 5, 17}, 1, {17}, ENG_ACT_NONE, 1}, ENG_OK},
        {"mul broadcast [1,13,13,17]*[1,1,1,17]",
         {M, 4, {1, 13, 13, 17}, 4, {1, 1, 1, 17}, ENG_ACT_NONE, 0}, ENG_OK},
        {"mul same shape relu6 7x7x5",
         {M, 4, {1, 7, 7, 5}, 4, {1, 7, 7, 5}, ENG_ACT_RELU6, 0}, ENG_OK},
        {"mul [2,3] * [3]", {M, 2, {2, 3}, 1, {3}, ENG_ACT_NONE, 0}, ENG_OK},
        {"prelu alpha [1,1,17] on 7x7x17",
         {P, 4, {1, 7, 7, 17}, 3, {1, 1, 17}, ENG_ACT_NONE, 1}, ENG_OK},
        {"prelu alpha [33] on 13x13x33",
         {P, 4, {1, 13, 13, 33}, 1, {33}, ENG_ACT_NONE, 1}, ENG_OK},
        {"prelu alpha [1,7,1,5] (unsupported)",
         {P, 4, {1, 7, 7, 5}, 4, {1, 7, 1, 5}, ENG_ACT_NONE, 1},
         ENG_EUNSUPPORTED},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        case_opts o = OK;
        o.expect = cases[i].expect;
        run_case(cases[i].name, build_binary, &cases[i].c, o);
    }
}

typedef struct unary_case {
    eng_op op;
    int ndim, dims[4];
} unary_case;

static void build_unary(tcase *t, const void *arg)
{
    const unary_case *c = arg;
    int x = add_input(t, c->ndim, c->dims);
    add_output(t, add_op(t, c->op, &x, 1, NULL));
}

static void test_unary(void)
{
    const struct {
        const char *name;
        unary_case c;
        float lo, hi;
    } cases[] = {
        {"relu 13x13x17", {ENG_OP_RELU, 4, {1, 13, 13, 17}}, 0, 0},
        {"relu6 7x7x33 in [-8,8]", {ENG_OP_RELU6, 4, {1, 7, 7, 33}}, -8, 8},
        {"hard swish 13x13x17 in [-6,6]",
         {ENG_OP_HARD_SWISH, 4, {1, 13, 13, 17}}, -6, 6},
        {"hard swish 1001 values", {ENG_OP_HARD_SWISH, 1, {1001}}, -5, 5},
        {"logistic [1,1,1,17] in [-12,12]",
         {ENG_OP_LOGISTIC, 4, {1, 1, 1, 17}}, -12, 12},
        {"logistic 256x256x1-ish in [-8,8]",
         {ENG_OP_LOGISTIC, 4, {1, 64, 67, 1}}, -8, 8},
        {"logistic large |x| in [-100,100]",
         {ENG_OP_LOGISTIC, 2, {1, 1003}}, -100, 100},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        case_opts o = {cases[i].lo, cases[i].hi, 0, ENG_OK};
        run_case(cases[i].name, build_unary, &cases[i].c, o);
    }
}

/* ---- data movement ------------------------------------------------------ */

typedef struct pad_case {
    int dims[4];
    int before[4], after[4];
} pad_case;

static void build_pad(tcase *t, const void *arg)
{
    const pad_case *c = arg;
    int x = add_input(t, 4, c->dims);
    eng_node_params p = {0};
    memcpy(p.u.pad.before, c->before, sizeof(c->before));
    memcpy(p.u.pad.after, c->after, sizeof(c->after));
    add_output(t, add_op(t, ENG_OP_PAD, &x, 1, &p));
}

/* A PAD whose consumer is not a convolution stays a PAD. */
static void build_pad_pool(tcase *t, const void *arg)
{
    (void)arg;
    int x = add_input(t, SHAPE(1, 7, 7, 5));
    eng_node_params p = {0};
    p.u.pad.before[1] = p.u.pad.before[2] = 1;
    p.u.pad.after[1] = p.u.pad.after[2] = 1;
    int y = add_op(t, ENG_OP_PAD, &x, 1, &p);
    eng_node_params q = {0};
    q.u.pool = (eng_pool_params){3, 3, 2, 2, {0}, ENG_ACT_NONE};
    add_output(t, add_op(t, ENG_OP_MAX_POOL2D, &y, 1, &q));
}

static void test_pad(void)
{
    static const pad_case spatial = {{1, 7, 9, 5}, {0, 1, 2, 0},
                                     {0, 2, 1, 0}};
    static const pad_case channel = {{1, 12, 12, 17}, {0, 0, 0, 0},
                                     {0, 0, 0, 17}};
    static const pad_case all = {{1, 3, 5, 3}, {0, 1, 0, 2}, {0, 0, 3, 1}};
    run_case("pad spatial (1,2)x(2,1) 7x9x5", build_pad, &spatial, OK);
    run_case("pad channel 17->34 12x12 (palm)", build_pad, &channel, OK);
    run_case("pad mixed H, W, C", build_pad, &all, OK);
    case_opts two = OK;
    two.nodes = 2;
    run_case("pad (1,1) then max pool 3x3 s2 (not fused)", build_pad_pool,
             NULL, two);
}

/* input -> reshape -> reshape -> logistic -> reshape -> output, plus
 * an output that is a reshape of the graph input itself. */
static void build_reshape_chain(tcase *t, const void *arg)
{
    (void)arg;
    int x = add_input(t, SHAPE(1, 6, 5, 4));
    int r1 = add_op_shaped(t, ENG_OP_RESHAPE, &x, 1, NULL, SHAPE(1, 30, 4));
    int r2 = add_op_shaped(t, ENG_OP_RESHAPE, &r1, 1, NULL, SHAPE(120));
    int s = add_op(t, ENG_OP_LOGISTIC, &r2, 1, NULL);
    int r3 = add_op_shaped(t, ENG_OP_RESHAPE, &s, 1, NULL, SHAPE(1, 2, 60));
    add_output(t, r3);
    add_output(t, add_op_shaped(t, ENG_OP_RESHAPE, &x, 1, NULL,
                                SHAPE(2, 60)));
}

/* A reshape whose input and output are both graph outputs (aliased). */
static void build_reshape_both_out(tcase *t, const void *arg)
{
    (void)arg;
    int x = add_input(t, SHAPE(1, 3, 3, 7));
    int y = add_op(t, ENG_OP_HARD_SWISH, &x, 1, NULL);
    add_output(t, y);
    add_output(t, add_op_shaped(t, ENG_OP_RESHAPE, &y, 1, NULL, SHAPE(1, 63)));
}

/* A reshape of a constant feeding an ADD. */
static void build_reshape_const(tcase *t, const void *arg)
{
    (void)arg;
    int x = add_input(t, SHAPE(1, 4, 4, 6));
    int k = add_const(t, SHAPE(2, 3));
    int r = add_op_shaped(t, ENG_OP_RESHAPE, &k, 1, NULL, SHAPE(1, 1, 1, 6));
    add_output(t, add_op(t, ENG_OP_ADD, (int[]){x, r}, 2, NULL));
}

typedef struct concat_case {
    int n, ndim, axis;
    int dims[3][4]; /* per input */
    int const_input; /* input index that is a constant, or -1 */
} concat_case;

static void build_concat(tcase *t, const void *arg)
{
    const concat_case *c = arg;
    int ins[3];
    for (int i = 0; i < c->n; i++)
        ins[i] = i == c->const_input ? add_const(t, c->ndim, c->dims[i])
                                     : add_input(t, c->ndim, c->dims[i]);
    eng_node_params p = {0};
    p.u.concat.axis = c->axis;
    add_output(t, add_op(t, ENG_OP_CONCATENATION, ins, c->n, &p));
}

static void test_movement(void)
{
    static const concat_case heads2 = {
        2, 3, 1, {{1, 1152, 18}, {1, 864, 18}}, -1};
    static const concat_case heads3 = {
        3, 3, 1, {{1, 1568, 1}, {1, 392, 1}, {1, 294, 1}}, -1};
    static const concat_case last2 = {
        2, 4, 3, {{1, 7, 7, 3}, {1, 7, 7, 5}}, -1};
    static const concat_case last3 = {
        3, 4, 3, {{1, 5, 3, 17}, {1, 5, 3, 1}, {1, 5, 3, 5}}, 1};
    static const concat_case mid = {
        2, 4, 2, {{1, 3, 4, 5}, {1, 3, 2, 5}}, -1};
    run_case("reshape chain incl. of input, to output", build_reshape_chain,
             NULL, OK);
    run_case("reshape of a graph output to an output",
             build_reshape_both_out, NULL, OK);
    run_case("reshape of a constant", build_reshape_const, NULL, OK);
    run_case("concat axis 1, 2 inputs (palm heads)", build_concat, &heads2,
             OK);
    run_case("concat axis 1, 3 inputs (pose heads)", build_concat, &heads3,
             OK);
    run_case("concat last axis, 2 inputs", build_concat, &last2, OK);
    run_case("concat last axis, 3 inputs, one constant", build_concat,
             &last3, OK);
    run_case("concat axis 2", build_concat, &mid, OK);
}

typedef struct d2s_case {
    int h, w, c, block;
} d2s_case;

static void build_d2s(tcase *t, const void *arg)
{
    const d2s_case *c = arg;
    int x = add_input(t, SHAPE(1, c->h, c->w, c->c));
    eng_node_params p = {0};
    p.u.depth_to_space.block = c->block;
    add_output(t, add_op(t, ENG_OP_DEPTH_TO_SPACE, &x, 1, &p));
}

typedef struct resize_case {
    int h, w, c, oh, ow;
    bool align, half;
} resize_case;

static void build_resize(tcase *t, const void *arg)
{
    const resize_case *c = arg;
    int x = add_input(t, SHAPE(1, c->h, c->w, c->c));
    eng_node_params p = {0};
    p.u.resize.align_corners = c->align;
    p.u.resize.half_pixel_centers = c->half;
    add_output(t, add_op_shaped(t, ENG_OP_RESIZE_BILINEAR, &x, 1, &p,
                                SHAPE(1, c->oh, c->ow, c->c)));
}

static void test_spatial(void)
{
    static const d2s_case d1 = {4, 4, 8, 2}, d2 = {3, 5, 12, 2},
                          d3 = {7, 7, 68, 2}, d4 = {2, 3, 18, 3};
    run_case("depth to space block 2 4x4x8", build_d2s, &d1, OK);
    run_case("depth to space block 2 3x5x12", build_d2s, &d2, OK);
    run_case("depth to space block 2 7x7x68", build_d2s, &d3, OK);
    run_case("depth to space block 3 2x3x18", build_d2s, &d4, OK);
    const struct {
        const char *name;
        resize_case c;
    } cases[] = {
        {"resize x2 half-pixel 5x7x3", {5, 7, 3, 10, 14, false, true}},
        {"resize x2 half-pixel 8x8x17", {8, 8, 17, 16, 16, false, true}},
        {"resize 5x7 -> 8x11 half-pixel", {5, 7, 5, 8, 11, false, true}},
        {"resize x2 align_corners 5x7x3", {5, 7, 3, 10, 14, true, false}},
        {"resize 5x7 -> 9x13 align_corners", {5, 7, 3, 9, 13, true, false}},
        {"resize x2 legacy 5x7x3", {5, 7, 3, 10, 14, false, false}},
        {"resize 5x7 -> 8x11 legacy", {5, 7, 17, 8, 11, false, false}},
        {"resize 9x9 -> 4x4 half-pixel (down)", {9, 9, 3, 4, 4, false, true}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(cases[i].name, build_resize, &cases[i].c, OK);
}

/* ---- memory planner and whole blocks ------------------------------------ */

/* A chain of same-size element-wise ops: every intermediate dies at the
 * next node, so two buffers (plus the output) are enough for all. */
static void build_chain(tcase *t, const void *arg)
{
    int len = *(const int *)arg;
    int x = add_input(t, SHAPE(1, 16, 16, 17));
    for (int i = 0; i < len; i++) {
        eng_op op = i % 2 ? ENG_OP_HARD_SWISH : ENG_OP_LOGISTIC;
        x = add_op(t, op, &x, 1, NULL);
    }
    add_output(t, x);
}

/* MobileNet-style residual blocks with a skip connection that must stay
 * alive across the block, PAD fusion, RELU fusion, a reshape, a concat
 * and two outputs. */
static void build_block(tcase *t, const void *arg)
{
    (void)arg;
    int x = add_input(t, SHAPE(1, 14, 14, 8));
    eng_node_params pad = {0};
    pad.u.pad.before[1] = pad.u.pad.before[2] = 1;
    pad.u.pad.after[1] = pad.u.pad.after[2] = 1;
    int xp = add_op(t, ENG_OP_PAD, &x, 1, &pad);
    eng_node_params conv = {0};
    conv.u.conv = (eng_conv_params){2, 2, 1, 1, {0}, ENG_ACT_RELU6};
    int w0 = add_const(t, SHAPE(16, 3, 3, 8)), b0 = add_const(t, SHAPE(16));
    int s = add_op(t, ENG_OP_CONV2D, (int[]){xp, w0, b0}, 3, &conv);
    for (int blk = 0; blk < 3; blk++) {
        eng_node_params dw = {0};
        dw.u.conv = (eng_conv_params){1, 1, 1, 1, {1, 1, 1, 1}, ENG_ACT_NONE};
        int wd = add_const(t, SHAPE(1, 3, 3, 16));
        int bd = add_const(t, SHAPE(16));
        int d = add_op(t, ENG_OP_DEPTHWISE_CONV2D, (int[]){s, wd, bd}, 3, &dw);
        int dr = add_op(t, ENG_OP_RELU, &d, 1, NULL);
        eng_node_params pw = {0};
        pw.u.conv = (eng_conv_params){1, 1, 1, 1, {0}, ENG_ACT_NONE};
        int wp = add_const_range(t, SHAPE(16, 1, 1, 16), -0.3f, 0.3f);
        int e = add_op(t, ENG_OP_CONV2D, (int[]){dr, wp, -1}, 3, &pw);
        eng_node_params add = {.act = ENG_ACT_RELU6};
        s = add_op(t, ENG_OP_ADD, (int[]){e, s}, 2, &add);
    }
    eng_node_params mean = {0};
    mean.u.mean.axes = 0x6;
    int g = add_op(t, ENG_OP_MEAN, &s, 1, &mean);
    int r = add_op_shaped(t, ENG_OP_RESHAPE, &s, 1, NULL, SHAPE(1, 49, 16));
    int k = add_op_shaped(t, ENG_OP_RESHAPE, &x, 1, NULL, SHAPE(1, 196, 8));
    eng_node_params cat = {0};
    cat.u.concat.axis = 2;
    int r2 = add_op_shaped(t, ENG_OP_RESHAPE, &r, 1, NULL, SHAPE(1, 196, 4));
    add_output(t, add_op(t, ENG_OP_CONCATENATION, (int[]){k, r2}, 2, &cat));
    add_output(t, g);
}

static size_t tensor_bytes(const eng_graph *g)
{
    size_t sum = 0;
    for (int i = 0; i < g->n_tensors; i++)
        if (!g->tensors[i].data)
            sum += g->tensors[i].count * sizeof(float);
    return sum;
}

static eng_model *make_model(build_fn build, const void *arg, int ti,
                             size_t *all_bytes)
{
    tcase t = {eng_graph_create(), seed_of("planner"), {0}, 0};
    build(&t, arg);
    CHECK(!t.bad, "planner graph: %s", t.err.msg);
    *all_bytes = tensor_bytes(t.g);
    eng_model *m = NULL;
    eng_error err = {0};
    CHECK(eng_model_create(runtimes[ti], t.g, &m, &err) == ENG_OK,
          "planner model: %s", err.msg);
    return m;
}

static void test_planner(void)
{
    static const int len = 8;
    run_case("planner: chain of 8 element-wise ops", build_chain, &len, OK);
    case_opts fused = OK;
    fused.nodes = 15; /* PAD and three RELUs fused away */
    run_case("planner: residual blocks, reshapes, concat", build_block, NULL,
             fused);

    size_t all, one = 16 * 16 * 17 * sizeof(float);
    eng_model *m = make_model(build_chain, &len, 0, &all);
    if (m) {
        size_t arena = eng_model_arena_bytes(m);
        printf("chain: arena %zu bytes, tensors %zu bytes\n", arena, all);
        CHECK(arena < all, "arena %zu not below the tensors' %zu", arena,
              all);
        /* Input, output and one ping-pong buffer, each padded to 64. */
        CHECK(arena <= 3 * (one + 64), "chain arena %zu > 3 buffers", arena);
        CHECK(eng_model_input_data(m, 0) != eng_model_output_data(m, 0),
              "input and output share memory");
    }
    eng_model_destroy(m);
    m = make_model(build_block, NULL, 0, &all);
    if (m) {
        size_t arena = eng_model_arena_bytes(m);
        printf("block: arena %zu bytes, tensors %zu bytes\n", arena, all);
        CHECK(arena < all / 2, "block arena %zu, tensors %zu", arena, all);
    }
    eng_model_destroy(m);
}

/* A run allocates nothing: counted over many runs of a model that has
 * every kind of kernel (XNNPACK, our concat, aliases), with 2 threads. */
static void test_no_allocation(void)
{
    size_t all;
#ifdef COUNT_ALLOCS
    long at_start = test_alloc_count();
#endif
    eng_model *m = make_model(build_block, NULL, 1, &all);
    if (!m)
        return;
    eng_error err = {0};
    CHECK(eng_model_run(m, &err) == ENG_OK, "warm-up: %s", err.msg);
#ifdef COUNT_ALLOCS
    /* Creating the model allocates; if nothing was counted, another
     * allocator (valgrind's) took over and the count means nothing. */
    if (test_alloc_count() > at_start) {
        long before = test_alloc_count();
        for (int i = 0; i < 20; i++)
            eng_model_run(m, &err);
        long during = test_alloc_count() - before;
        CHECK(during == 0, "%ld allocations in 20 runs", during);
        printf("allocations in 20 runs: %ld\n", during);
    } else {
        printf("allocation counting inactive (valgrind?)\n");
    }
#endif
    eng_model_set_profiling(m, 1);
    for (int i = 0; i < 3; i++)
        eng_model_run(m, &err);
    eng_profile p;
    eng_model_get_profile(m, &p);
    int nodes = 0;
    int64_t flops = 0;
    for (int i = 0; i < p.n_entries; i++) {
        nodes += p.entries[i].nodes;
        flops += p.entries[i].flops;
        CHECK(p.entries[i].ms >= 0, "negative time");
    }
    CHECK(p.runs == 3 && p.total_ms > 0, "profile: %d runs, %.3f ms", p.runs,
          p.total_ms);
    CHECK(nodes == eng_model_graph(m)->n_nodes, "profile covers %d nodes of "
          "%d", nodes, eng_model_graph(m)->n_nodes);
    CHECK(flops > 0, "profile has no flops");
    eng_model_destroy(m);
}

/* The first runtime fixed EXACT numerics for the process: FAST is refused,
 * EXACT (also from a NULL desc) still works. */
static void test_numerics_fixed(void)
{
    CHECK(eng_runtime_numerics(runtimes[0]) == ENG_NUMERICS_EXACT &&
              !strcmp(eng_numerics_name(ENG_NUMERICS_EXACT), "exact"),
          "default numerics");
    eng_runtime *rt = NULL;
    eng_error err = {0};
    eng_runtime_desc fast = {.threads = 1, .numerics = ENG_NUMERICS_FAST};
    eng_status st = eng_runtime_create(&fast, &rt, &err);
    CHECK(st == ENG_EINVAL && !rt && strstr(err.msg, "'fast'") &&
              strstr(err.msg, "'exact'"),
          "FAST after EXACT gave %s: %s", eng_status_name(st), err.msg);
    printf("numerics fixed to exact; FAST refused: %s\n", err.msg);
    eng_runtime_destroy(rt);
    eng_runtime_desc bad = {.numerics = (eng_numerics)7};
    CHECK(eng_runtime_create(&bad, &rt, &err) == ENG_EINVAL,
          "unknown numerics accepted");
    st = eng_runtime_create(NULL, &rt, &err);
    CHECK(st == ENG_OK && eng_runtime_numerics(rt) == ENG_NUMERICS_EXACT,
          "NULL desc: %s", err.msg);
    eng_runtime_destroy(rt);
}

int main(void)
{
    test_alloc_count_start();
    eng_error err = {0};
    for (int i = 0; i < N_RUNTIMES; i++) {
        if (eng_runtime_create(&runtime_descs[i], &runtimes[i], &err)) {
            CHECK(0, "runtime: %s", err.msg);
            return test_finish();
        }
        CHECK(eng_runtime_threads(runtimes[i]) == runtime_descs[i].threads,
              "threads");
        CHECK(eng_runtime_own_kernels(runtimes[i]) ==
                  !runtime_descs[i].xnnpack_only,
              "own kernels");
    }
    CHECK(eng_runtime_pool(runtimes[0]) == NULL, "1 thread must have no pool");
    CHECK(eng_runtime_pool(runtimes[1]) != NULL, "2 threads need a pool");
    test_numerics_fixed();

    test_conv();
    test_model_convs();
    test_signed_zeros();
    test_deconv();
    test_fc();
    test_pool();
    test_mean();
    test_binary();
    test_unary();
    test_pad();
    test_movement();
    test_spatial();
    test_planner();
    test_no_allocation();

    for (int i = 0; i < N_RUNTIMES; i++)
        eng_runtime_destroy(runtimes[i]);
    return test_finish();
}
