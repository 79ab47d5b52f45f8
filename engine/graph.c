#include "graph.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ELEMENTS ((size_t)1 << 31)

static const char *const op_names[ENG_OP_COUNT] = {
    [ENG_OP_CONV2D] = "CONV_2D",
    [ENG_OP_DEPTHWISE_CONV2D] = "DEPTHWISE_CONV_2D",
    [ENG_OP_TRANSPOSE_CONV2D] = "TRANSPOSE_CONV",
    [ENG_OP_FULLY_CONNECTED] = "FULLY_CONNECTED",
    [ENG_OP_MAX_POOL2D] = "MAX_POOL_2D",
    [ENG_OP_AVERAGE_POOL2D] = "AVERAGE_POOL_2D",
    [ENG_OP_MEAN] = "MEAN",
    [ENG_OP_ADD] = "ADD",
    [ENG_OP_MUL] = "MUL",
    [ENG_OP_PRELU] = "PRELU",
    [ENG_OP_RELU] = "RELU",
    [ENG_OP_RELU6] = "RELU6",
    [ENG_OP_HARD_SWISH] = "HARD_SWISH",
    [ENG_OP_LOGISTIC] = "LOGISTIC",
    [ENG_OP_PAD] = "PAD",
    [ENG_OP_RESHAPE] = "RESHAPE",
    [ENG_OP_CONCATENATION] = "CONCATENATION",
    [ENG_OP_DEPTH_TO_SPACE] = "DEPTH_TO_SPACE",
    [ENG_OP_RESIZE_BILINEAR] = "RESIZE_BILINEAR",
};

const char *eng_op_name(eng_op op)
{
    if ((unsigned)op < ENG_OP_COUNT && op_names[op])
        return op_names[op];
    return "UNKNOWN";
}

void eng_activation_range(eng_activation act, float *lo, float *hi)
{
    switch (act) {
    case ENG_ACT_RELU: *lo = 0.0f; *hi = INFINITY; return;
    case ENG_ACT_RELU6: *lo = 0.0f; *hi = 6.0f; return;
    case ENG_ACT_RELU_N1_TO_1: *lo = -1.0f; *hi = 1.0f; return;
    case ENG_ACT_NONE: break;
    }
    *lo = -INFINITY;
    *hi = INFINITY;
}

eng_graph *eng_graph_create(void)
{
    eng_graph *g = calloc(1, sizeof(*g));
    if (g)
        eng_arena_init(&g->weights, (size_t)4 << 20);
    return g;
}

void eng_graph_destroy(eng_graph *g)
{
    if (!g)
        return;
    eng_arena_destroy(&g->weights);
    free(g->tensors);
    free(g->nodes);
    free(g);
}

static int grow(void **arr, int *cap, int need, size_t elem)
{
    if (need <= *cap)
        return 0;
    int ncap = *cap ? *cap * 2 : 64;
    while (ncap < need)
        ncap *= 2;
    void *p = realloc(*arr, (size_t)ncap * elem);
    if (!p)
        return -1;
    *arr = p;
    *cap = ncap;
    return 0;
}

int eng_graph_add_tensor(eng_graph *g, const char *name, int ndim,
                         const int *dims, eng_error *err)
{
    if (ndim < 0 || ndim > ENG_MAX_DIMS) {
        eng_fail(err, ENG_EFORMAT, "tensor '%s': rank %d (at most %d)",
                 name ? name : "", ndim, ENG_MAX_DIMS);
        return -1;
    }
    size_t count = 1;
    for (int i = 0; i < ndim; i++) {
        if (dims[i] < 1 || (size_t)dims[i] > MAX_ELEMENTS / count) {
            eng_fail(err, ENG_EFORMAT, "tensor '%s': bad dimension %d = %d",
                     name ? name : "", i, dims[i]);
            return -1;
        }
        count *= (size_t)dims[i];
    }
    if (grow((void **)&g->tensors, &g->cap_tensors, g->n_tensors + 1,
             sizeof(eng_tensor))) {
        eng_fail(err, ENG_ENOMEM, "out of memory adding a tensor");
        return -1;
    }
    size_t len = name ? strlen(name) : 0;
    char *copy = eng_arena_alloc(&g->weights, len + 1);
    if (!copy) {
        eng_fail(err, ENG_ENOMEM, "out of memory adding a tensor");
        return -1;
    }
    if (len)
        memcpy(copy, name, len);
    eng_tensor *t = &g->tensors[g->n_tensors];
    memset(t, 0, sizeof(*t));
    t->name = copy;
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++)
        t->dims[i] = dims[i];
    t->count = count;
    t->producer = -1;
    return g->n_tensors++;
}

float *eng_graph_alloc_const(eng_graph *g, int t, eng_error *err)
{
    if (t < 0 || t >= g->n_tensors) {
        eng_fail(err, ENG_EINVAL, "constant for tensor %d out of range", t);
        return NULL;
    }
    eng_tensor *ts = &g->tensors[t];
    if (ts->data || ts->producer >= 0) {
        eng_fail(err, ENG_EFORMAT, "tensor '%s' is both data and constant",
                 ts->name);
        return NULL;
    }
    ts->data = eng_arena_alloc(&g->weights, ts->count * sizeof(float));
    if (!ts->data)
        eng_fail(err, ENG_ENOMEM, "out of memory for constant '%s'",
                 ts->name);
    return ts->data;
}

int eng_graph_add_node(eng_graph *g, eng_op op, const int *inputs,
                       int n_inputs, int output, const eng_node_params *p,
                       int source_index, eng_error *err)
{
    if ((unsigned)op >= ENG_OP_COUNT || n_inputs < 1 ||
        n_inputs > ENG_MAX_NODE_INPUTS) {
        eng_fail(err, ENG_EFORMAT, "op %d: bad op or %d inputs", source_index,
                 n_inputs);
        return -1;
    }
    for (int i = 0; i < n_inputs; i++) {
        if (inputs[i] < -1 || inputs[i] >= g->n_tensors) {
            eng_fail(err, ENG_EFORMAT, "op %d (%s): input %d is tensor %d of %d",
                     source_index, eng_op_name(op), i, inputs[i],
                     g->n_tensors);
            return -1;
        }
    }
    if (output < 0 || output >= g->n_tensors) {
        eng_fail(err, ENG_EFORMAT, "op %d (%s): output is tensor %d of %d",
                 source_index, eng_op_name(op), output, g->n_tensors);
        return -1;
    }
    eng_tensor *out = &g->tensors[output];
    if (out->producer >= 0 || out->data) {
        eng_fail(err, ENG_EFORMAT, "op %d (%s): tensor '%s' written twice",
                 source_index, eng_op_name(op), out->name);
        return -1;
    }
    if (grow((void **)&g->nodes, &g->cap_nodes, g->n_nodes + 1,
             sizeof(eng_node))) {
        eng_fail(err, ENG_ENOMEM, "out of memory adding a node");
        return -1;
    }
    eng_node *n = &g->nodes[g->n_nodes];
    memset(n, 0, sizeof(*n));
    n->op = op;
    n->n_inputs = n_inputs;
    memcpy(n->inputs, inputs, (size_t)n_inputs * sizeof(int));
    n->output = output;
    if (p)
        n->p = *p;
    n->source_index = source_index;
    out->producer = g->n_nodes;
    return g->n_nodes++;
}

void eng_graph_count_source_op(eng_graph *g, const char *name)
{
    for (int i = 0; i < g->n_source_ops; i++) {
        if (!strcmp(g->source_ops[i].name, name)) {
            g->source_ops[i].count++;
            return;
        }
    }
    if (g->n_source_ops == ENG_MAX_SOURCE_OPS)
        return;
    eng_source_op_count *c = &g->source_ops[g->n_source_ops++];
    snprintf(c->name, sizeof(c->name), "%s", name);
    c->count = 1;
}

int eng_graph_consumers(const eng_graph *g, int t)
{
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++)
        for (int j = 0; j < g->nodes[i].n_inputs; j++)
            n += g->nodes[i].inputs[j] == t;
    for (int i = 0; i < g->n_outputs; i++)
        n += g->outputs[i] == t;
    return n;
}

/* ---- shape inference ---------------------------------------------------- */

typedef struct shape {
    int ndim;
    int dims[ENG_MAX_DIMS];
} shape;

static const eng_tensor *input_tensor(const eng_graph *g, const eng_node *n,
                                      int i)
{
    if (i >= n->n_inputs || n->inputs[i] < 0)
        return NULL;
    return &g->tensors[n->inputs[i]];
}

#define NODE_FAIL(err, st, n, ...)                                          \
    node_fail(err, st, n, __VA_ARGS__)

static eng_status node_fail(eng_error *err, eng_status st, const eng_node *n,
                            const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static eng_status node_fail(eng_error *err, eng_status st, const eng_node *n,
                            const char *fmt, ...)
{
    char msg[ENG_ERROR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return eng_fail(err, st, "op %d (%s): %s", n->source_index,
                    eng_op_name(n->op), msg);
}

/* Output extent of a sliding window; -1 when empty. 64-bit so that no
 * combination of int extents, pads and dilations can overflow. */
static int window_out(int in, int pad_sum, int k, int stride, int dilation)
{
    int64_t eff = (int64_t)(k - 1) * dilation + 1;
    int64_t span = (int64_t)in + pad_sum - eff;
    if (span < 0 || stride < 1)
        return -1;
    return (int)(span / stride + 1);
}

/* Adds to a dimension, failing instead of overflowing. */
static int grow_dim(int *dim, int64_t add)
{
    int64_t v = (int64_t)*dim + add;
    if (v < 1 || v > INT32_MAX)
        return -1;
    *dim = (int)v;
    return 0;
}

static int bad_padding(const eng_padding *p)
{
    return p->top < 0 || p->bottom < 0 || p->left < 0 || p->right < 0 ||
           p->top > 1024 || p->bottom > 1024 || p->left > 1024 ||
           p->right > 1024;
}

static eng_status infer_conv(const eng_graph *g, const eng_node *n, shape *s,
                             eng_error *err)
{
    const eng_tensor *x = input_tensor(g, n, 0), *w = input_tensor(g, n, 1);
    const eng_tensor *b = input_tensor(g, n, 2);
    const eng_conv_params *c = &n->p.u.conv;
    if (!x || !w || n->n_inputs > 3)
        return NODE_FAIL(err, ENG_EFORMAT, n, "needs input, weights, bias");
    if (x->ndim != 4 || w->ndim != 4)
        return NODE_FAIL(err, ENG_EFORMAT, n, "input and weights need rank 4");
    if (!w->data || (b && !b->data))
        return NODE_FAIL(err, ENG_EUNSUPPORTED, n, "weights must be constant");
    if (c->stride_h < 1 || c->stride_w < 1 || c->dilation_h < 1 ||
        c->dilation_w < 1 || c->stride_h > 64 || c->stride_w > 64 ||
        c->dilation_h > 64 || c->dilation_w > 64 || bad_padding(&c->pad))
        return NODE_FAIL(err, ENG_EFORMAT, n, "bad stride, dilation or pad");
    int cout = n->op == ENG_OP_DEPTHWISE_CONV2D ? w->dims[3] : w->dims[0];
    if (b && (b->count != (size_t)cout))
        return NODE_FAIL(err, ENG_EFORMAT, n, "bias has %zu values, not %d",
                         b->count, cout);
    int kh = w->dims[1], kw = w->dims[2];
    s->ndim = 4;
    s->dims[0] = x->dims[0];
    s->dims[3] = cout;
    if (n->op == ENG_OP_TRANSPOSE_CONV2D) {
        if (w->dims[3] != x->dims[3])
            return NODE_FAIL(err, ENG_EFORMAT, n, "weights take %d channels, "
                             "input has %d", w->dims[3], x->dims[3]);
        long oh = (long)(x->dims[1] - 1) * c->stride_h + kh - c->pad.top -
                  c->pad.bottom;
        long ow = (long)(x->dims[2] - 1) * c->stride_w + kw - c->pad.left -
                  c->pad.right;
        if (oh < 1 || ow < 1 || oh > (1 << 20) || ow > (1 << 20))
            return NODE_FAIL(err, ENG_EFORMAT, n, "empty output");
        s->dims[1] = (int)oh;
        s->dims[2] = (int)ow;
        return ENG_OK;
    }
    if (n->op == ENG_OP_DEPTHWISE_CONV2D) {
        if (w->dims[0] != 1 || w->dims[3] != x->dims[3])
            return NODE_FAIL(err, ENG_EUNSUPPORTED, n, "depthwise weights "
                             "[%d,..,%d] for %d channels (multiplier 1 only)",
                             w->dims[0], w->dims[3], x->dims[3]);
    } else if (w->dims[3] != x->dims[3]) {
        return NODE_FAIL(err, ENG_EFORMAT, n, "weights take %d channels, "
                         "input has %d", w->dims[3], x->dims[3]);
    }
    s->dims[1] = window_out(x->dims[1], c->pad.top + c->pad.bottom, kh,
                            c->stride_h, c->dilation_h);
    s->dims[2] = window_out(x->dims[2], c->pad.left + c->pad.right, kw,
                            c->stride_w, c->dilation_w);
    if (s->dims[1] < 1 || s->dims[2] < 1)
        return NODE_FAIL(err, ENG_EFORMAT, n, "kernel larger than input");
    return ENG_OK;
}

static eng_status infer_fc(const eng_graph *g, const eng_node *n, shape *s,
                           eng_error *err)
{
    const eng_tensor *x = input_tensor(g, n, 0), *w = input_tensor(g, n, 1);
    const eng_tensor *b = input_tensor(g, n, 2);
    if (!x || !w || n->n_inputs > 3 || w->ndim != 2)
        return NODE_FAIL(err, ENG_EFORMAT, n, "needs input, [out,in] weights");
    if (!w->data || (b && !b->data))
        return NODE_FAIL(err, ENG_EUNSUPPORTED, n, "weights must be constant");
    if (x->count % (size_t)w->dims[1])
        return NODE_FAIL(err, ENG_EFORMAT, n, "%zu inputs not a multiple of %d",
                         x->count, w->dims[1]);
    if (b && b->count != (size_t)w->dims[0])
        return NODE_FAIL(err, ENG_EFORMAT, n, "bias size %zu, not %d",
                         b->count, w->dims[0]);
    s->ndim = 2;
    s->dims[0] = (int)(x->count / (size_t)w->dims[1]);
    s->dims[1] = w->dims[0];
    return ENG_OK;
}

static eng_status infer_pool(const eng_graph *g, const eng_node *n, shape *s,
                             eng_error *err)
{
    const eng_tensor *x = input_tensor(g, n, 0);
    const eng_pool_params *p = &n->p.u.pool;
    if (!x || n->n_inputs != 1 || x->ndim != 4)
        return NODE_FAIL(err, ENG_EFORMAT, n, "needs one rank-4 input");
    if (p->filter_h < 1 || p->filter_w < 1 || p->stride_h < 1 ||
        p->stride_w < 1 || bad_padding(&p->pad) || p->filter_h > 4096 ||
        p->filter_w > 4096 || p->stride_h > 4096 || p->stride_w > 4096)
        return NODE_FAIL(err, ENG_EFORMAT, n, "bad filter, stride or pad");
    *s = (shape){4, {x->dims[0], 0, 0, x->dims[3]}};
    s->dims[1] = window_out(x->dims[1], p->pad.top + p->pad.bottom,
                            p->filter_h, p->stride_h, 1);
    s->dims[2] = window_out(x->dims[2], p->pad.left + p->pad.right,
                            p->filter_w, p->stride_w, 1);
    if (s->dims[1] < 1 || s->dims[2] < 1)
        return NODE_FAIL(err, ENG_EFORMAT, n, "window larger than input");
    return ENG_OK;
}

static eng_status infer_broadcast(const eng_graph *g, const eng_node *n,
                                  shape *s, eng_error *err)
{
    const eng_tensor *a = input_tensor(g, n, 0), *b = input_tensor(g, n, 1);
    if (!a || !b || n->n_inputs != 2)
        return NODE_FAIL(err, ENG_EFORMAT, n, "needs two inputs");
    s->ndim = a->ndim > b->ndim ? a->ndim : b->ndim;
    for (int i = 0; i < s->ndim; i++) {
        int ia = a->ndim - s->ndim + i, ib = b->ndim - s->ndim + i;
        int da = ia >= 0 ? a->dims[ia] : 1, db = ib >= 0 ? b->dims[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return NODE_FAIL(err, ENG_EFORMAT, n, "shapes do not broadcast "
                             "(dim %d: %d vs %d)", i, da, db);
        s->dims[i] = da > db ? da : db;
    }
    if (n->op == ENG_OP_PRELU) {
        if (!b->data)
            return NODE_FAIL(err, ENG_EUNSUPPORTED, n, "alpha not constant");
        if (s->ndim != a->ndim)
            return NODE_FAIL(err, ENG_EFORMAT, n, "alpha of higher rank");
        for (int i = 0; i < s->ndim; i++)
            if (s->dims[i] != a->dims[i])
                return NODE_FAIL(err, ENG_EFORMAT, n, "alpha widens input");
    }
    return ENG_OK;
}

static eng_status infer_same(const eng_graph *g, const eng_node *n, shape *s,
                             eng_error *err)
{
    const eng_tensor *x = input_tensor(g, n, 0);
    if (!x || n->n_inputs != 1)
        return NODE_FAIL(err, ENG_EFORMAT, n, "needs one input");
    s->ndim = x->ndim;
    memcpy(s->dims, x->dims, sizeof(s->dims));
    return ENG_OK;
}

static eng_status infer_mean(const eng_graph *g, const eng_node *n, shape *s,
                             eng_error *err)
{
    const eng_tensor *x = input_tensor(g, n, 0);
    unsigned axes = n->p.u.mean.axes;
    if (!x || n->n_inputs != 1)
        return NODE_FAIL(err, ENG_EFORMAT, n, "needs one input");
    if (!axes || axes >> x->ndim)
        return NODE_FAIL(err, ENG_EFORMAT, n, "axes 0x%x for rank %d", axes,
                         x->ndim);
    s->ndim = 0;
    for (int i = 0; i < x->ndim; i++) {
        if (!(axes & (1u << i)))
            s->dims[s->ndim++] = x->dims[i];
        else if (n->p.u.mean.keep_dims)
            s->dims[s->ndim++] = 1;
    }
    return ENG_OK;
}

static eng_status infer_pad(const eng_graph *g, const eng_node *n, shape *s,
                            eng_error *err)
{
    eng_status st = infer_same(g, n, s, err);
    if (st)
        return st;
    for (int i = 0; i < s->ndim; i++) {
        int b = n->p.u.pad.before[i], a = n->p.u.pad.after[i];
        if (b < 0 || a < 0 || b > 4096 || a > 4096)
            return NODE_FAIL(err, ENG_EFORMAT, n, "pad %d,%d on dim %d", b, a,
                             i);
        if (grow_dim(&s->dims[i], (int64_t)b + a))
            return NODE_FAIL(err, ENG_EFORMAT, n, "padded dim %d too large",
                             i);
    }
    return ENG_OK;
}

static eng_status infer_concat(const eng_graph *g, const eng_node *n, shape *s,
                               eng_error *err)
{
    const eng_tensor *x = input_tensor(g, n, 0);
    int axis = n->p.u.concat.axis;
    if (!x)
        return NODE_FAIL(err, ENG_EFORMAT, n, "missing input");
    if (axis < 0 || axis >= x->ndim)
        return NODE_FAIL(err, ENG_EFORMAT, n, "axis %d for rank %d", axis,
                         x->ndim);
    *s = (shape){x->ndim, {0}};
    memcpy(s->dims, x->dims, sizeof(s->dims));
    for (int i = 1; i < n->n_inputs; i++) {
        const eng_tensor *y = input_tensor(g, n, i);
        if (!y || y->ndim != x->ndim)
            return NODE_FAIL(err, ENG_EFORMAT, n, "input %d rank differs", i);
        for (int d = 0; d < x->ndim; d++)
            if (d != axis && y->dims[d] != x->dims[d])
                return NODE_FAIL(err, ENG_EFORMAT, n, "input %d dim %d differs",
                                 i, d);
        if (grow_dim(&s->dims[axis], y->dims[axis]))
            return NODE_FAIL(err, ENG_EFORMAT, n, "concatenation too large");
    }
    return ENG_OK;
}

static eng_status infer_d2s(const eng_graph *g, const eng_node *n, shape *s,
                            eng_error *err)
{
    const eng_tensor *x = input_tensor(g, n, 0);
    int b = n->p.u.depth_to_space.block;
    if (!x || n->n_inputs != 1 || x->ndim != 4)
        return NODE_FAIL(err, ENG_EFORMAT, n, "needs one rank-4 input");
    if (b < 1 || b > 64 || x->dims[3] % (b * b))
        return NODE_FAIL(err, ENG_EFORMAT, n, "block %d for %d channels", b,
                         x->dims[3]);
    *s = (shape){4, {x->dims[0], x->dims[1] * b, x->dims[2] * b,
                     x->dims[3] / (b * b)}};
    return ENG_OK;
}

/* RESHAPE and RESIZE_BILINEAR take their output size from the declared
 * output tensor (the importer resolved the constant operands into it). */
static eng_status infer_declared(const eng_graph *g, const eng_node *n,
                                 shape *s, eng_error *err)
{
    const eng_tensor *x = input_tensor(g, n, 0);
    const eng_tensor *y = &g->tensors[n->output];
    if (!x || n->n_inputs != 1)
        return NODE_FAIL(err, ENG_EFORMAT, n, "needs one input");
    s->ndim = y->ndim;
    memcpy(s->dims, y->dims, sizeof(s->dims));
    if (n->op == ENG_OP_RESHAPE) {
        if (x->count != y->count)
            return NODE_FAIL(err, ENG_EFORMAT, n, "%zu elements reshaped to "
                             "%zu", x->count, y->count);
        return ENG_OK;
    }
    if (x->ndim != 4 || y->ndim != 4 || y->dims[0] != x->dims[0] ||
        y->dims[3] != x->dims[3])
        return NODE_FAIL(err, ENG_EFORMAT, n, "resize needs rank-4 tensors "
                         "of equal batch and channels");
    if (n->p.u.resize.align_corners && n->p.u.resize.half_pixel_centers)
        return NODE_FAIL(err, ENG_EFORMAT, n, "align_corners and "
                         "half_pixel_centers both set");
    return ENG_OK;
}

eng_status eng_graph_infer_shape(const eng_graph *g, const eng_node *n,
                                 int *ndim, int dims[ENG_MAX_DIMS],
                                 eng_error *err)
{
    shape s = {0, {0}};
    eng_status st;
    switch (n->op) {
    case ENG_OP_CONV2D:
    case ENG_OP_DEPTHWISE_CONV2D:
    case ENG_OP_TRANSPOSE_CONV2D: st = infer_conv(g, n, &s, err); break;
    case ENG_OP_FULLY_CONNECTED: st = infer_fc(g, n, &s, err); break;
    case ENG_OP_MAX_POOL2D:
    case ENG_OP_AVERAGE_POOL2D: st = infer_pool(g, n, &s, err); break;
    case ENG_OP_MEAN: st = infer_mean(g, n, &s, err); break;
    case ENG_OP_ADD:
    case ENG_OP_MUL:
    case ENG_OP_PRELU: st = infer_broadcast(g, n, &s, err); break;
    case ENG_OP_RELU:
    case ENG_OP_RELU6:
    case ENG_OP_HARD_SWISH:
    case ENG_OP_LOGISTIC: st = infer_same(g, n, &s, err); break;
    case ENG_OP_PAD: st = infer_pad(g, n, &s, err); break;
    case ENG_OP_CONCATENATION: st = infer_concat(g, n, &s, err); break;
    case ENG_OP_DEPTH_TO_SPACE: st = infer_d2s(g, n, &s, err); break;
    case ENG_OP_RESHAPE:
    case ENG_OP_RESIZE_BILINEAR: st = infer_declared(g, n, &s, err); break;
    default:
        return NODE_FAIL(err, ENG_EUNSUPPORTED, n, "unknown op");
    }
    if (st)
        return st;
    *ndim = s.ndim;
    memcpy(dims, s.dims, sizeof(s.dims));
    return ENG_OK;
}

/* ---- check -------------------------------------------------------------- */

static int is_graph_input(const eng_graph *g, int t)
{
    for (int i = 0; i < g->n_inputs; i++)
        if (g->inputs[i] == t)
            return 1;
    return 0;
}

static int optional_input(const eng_node *n, int i)
{
    switch (n->op) {
    case ENG_OP_CONV2D:
    case ENG_OP_DEPTHWISE_CONV2D:
    case ENG_OP_TRANSPOSE_CONV2D:
    case ENG_OP_FULLY_CONNECTED: return i == 2;
    default: return 0;
    }
}

static eng_status check_io(const eng_graph *g, eng_error *err)
{
    if (g->n_inputs < 1 || g->n_outputs < 1 || g->n_inputs > ENG_MAX_GRAPH_IO ||
        g->n_outputs > ENG_MAX_GRAPH_IO)
        return eng_fail(err, ENG_EFORMAT, "graph has %d inputs, %d outputs",
                        g->n_inputs, g->n_outputs);
    for (int i = 0; i < g->n_inputs; i++) {
        int t = g->inputs[i];
        if (t < 0 || t >= g->n_tensors)
            return eng_fail(err, ENG_EFORMAT, "graph input %d is tensor %d", i,
                            t);
        if (g->tensors[t].data || g->tensors[t].producer >= 0)
            return eng_fail(err, ENG_EFORMAT, "graph input '%s' is computed "
                            "or constant", g->tensors[t].name);
    }
    for (int i = 0; i < g->n_outputs; i++) {
        int t = g->outputs[i];
        if (t < 0 || t >= g->n_tensors)
            return eng_fail(err, ENG_EFORMAT, "graph output %d is tensor %d",
                            i, t);
        if (g->tensors[t].producer < 0)
            return eng_fail(err, ENG_EUNSUPPORTED, "graph output '%s' is not "
                            "computed by any op", g->tensors[t].name);
    }
    return ENG_OK;
}

static eng_status check_node(const eng_graph *g, int idx, eng_error *err)
{
    const eng_node *n = &g->nodes[idx];
    for (int i = 0; i < n->n_inputs; i++) {
        int t = n->inputs[i];
        if (t < -1 || t >= g->n_tensors)
            return NODE_FAIL(err, ENG_EFORMAT, n, "input %d out of range", i);
        if (t < 0) {
            if (!optional_input(n, i))
                return NODE_FAIL(err, ENG_EFORMAT, n, "input %d missing", i);
            continue;
        }
        const eng_tensor *ts = &g->tensors[t];
        int ready = ts->data || is_graph_input(g, t) ||
                    (ts->producer >= 0 && ts->producer < idx);
        if (!ready)
            return NODE_FAIL(err, ENG_EFORMAT, n, "input '%s' is not computed "
                             "before it is used", ts->name);
    }
    const eng_tensor *out = &g->tensors[n->output];
    if (out->producer != idx || out->data)
        return NODE_FAIL(err, ENG_EFORMAT, n, "output '%s' not owned",
                         out->name);
    int ndim, dims[ENG_MAX_DIMS];
    eng_status st = eng_graph_infer_shape(g, n, &ndim, dims, err);
    if (st)
        return st;
    int same = ndim == out->ndim;
    for (int i = 0; same && i < ndim; i++)
        same = dims[i] == out->dims[i];
    if (!same) {
        char want[64] = "", have[64] = "";
        for (int i = 0; i < ndim; i++)
            snprintf(want + strlen(want), sizeof(want) - strlen(want), "%s%d",
                     i ? "," : "", dims[i]);
        for (int i = 0; i < out->ndim; i++)
            snprintf(have + strlen(have), sizeof(have) - strlen(have), "%s%d",
                     i ? "," : "", out->dims[i]);
        return NODE_FAIL(err, ENG_EFORMAT, n, "output '%s' declared [%s], "
                         "op computes [%s]", out->name, have, want);
    }
    return ENG_OK;
}

eng_status eng_graph_check(const eng_graph *g, eng_error *err)
{
    eng_status st = check_io(g, err);
    for (int i = 0; !st && i < g->n_nodes; i++)
        st = check_node(g, i, err);
    return st;
}

/* ---- optimize ----------------------------------------------------------- */

static void remove_node(eng_graph *g, int idx)
{
    memmove(&g->nodes[idx], &g->nodes[idx + 1],
            (size_t)(g->n_nodes - idx - 1) * sizeof(eng_node));
    g->n_nodes--;
    for (int t = 0; t < g->n_tensors; t++) {
        if (g->tensors[t].producer == idx)
            g->tensors[t].producer = -1;
        else if (g->tensors[t].producer > idx)
            g->tensors[t].producer--;
    }
}

static int is_graph_output(const eng_graph *g, int t)
{
    for (int i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] == t)
            return 1;
    return 0;
}

/* A zero PAD of H and W only, whose result feeds just this convolution's
 * data input, becomes the convolution's own padding: one pass instead of
 * two, and no padded copy in memory. */
static int fuse_pad(eng_graph *g, int idx)
{
    eng_node *n = &g->nodes[idx];
    if (n->op != ENG_OP_CONV2D && n->op != ENG_OP_DEPTHWISE_CONV2D)
        return 0;
    int t = n->inputs[0];
    int pi = g->tensors[t].producer;
    if (pi < 0 || g->nodes[pi].op != ENG_OP_PAD ||
        eng_graph_consumers(g, t) != 1)
        return 0;
    const eng_node *pad = &g->nodes[pi];
    const eng_tensor *src = &g->tensors[pad->inputs[0]];
    if (src->ndim != 4 || pad->p.u.pad.before[0] || pad->p.u.pad.after[0] ||
        pad->p.u.pad.before[3] || pad->p.u.pad.after[3])
        return 0;
    eng_padding *cp = &n->p.u.conv.pad;
    cp->top += pad->p.u.pad.before[1];
    cp->bottom += pad->p.u.pad.after[1];
    cp->left += pad->p.u.pad.before[2];
    cp->right += pad->p.u.pad.after[2];
    n->inputs[0] = pad->inputs[0];
    remove_node(g, pi);
    return 1;
}

static eng_activation *fusable_act(eng_node *n)
{
    switch (n->op) {
    case ENG_OP_CONV2D:
    case ENG_OP_DEPTHWISE_CONV2D:
    case ENG_OP_TRANSPOSE_CONV2D: return &n->p.u.conv.act;
    case ENG_OP_FULLY_CONNECTED:
    case ENG_OP_ADD:
    case ENG_OP_MUL: return &n->p.act;
    default: return NULL;
    }
}

/* A standalone RELU/RELU6 whose input only it reads becomes its producer's
 * output clamp. */
static int fuse_relu(eng_graph *g, int idx)
{
    eng_node *n = &g->nodes[idx];
    if (n->op != ENG_OP_RELU && n->op != ENG_OP_RELU6)
        return 0;
    int t = n->inputs[0];
    int pi = g->tensors[t].producer;
    if (pi < 0 || eng_graph_consumers(g, t) != 1 || is_graph_output(g, t))
        return 0;
    eng_activation *act = fusable_act(&g->nodes[pi]);
    if (!act || *act != ENG_ACT_NONE)
        return 0;
    *act = n->op == ENG_OP_RELU ? ENG_ACT_RELU : ENG_ACT_RELU6;
    int out = n->output;
    g->nodes[pi].output = out;
    g->tensors[t].producer = -1;
    remove_node(g, idx);
    g->tensors[out].producer = pi;
    return 1;
}

eng_status eng_graph_optimize(eng_graph *g, eng_error *err)
{
    eng_status st = eng_graph_check(g, err);
    if (st)
        return st;
    for (int i = 0; i < g->n_nodes; i++) {
        if (fuse_pad(g, i) || fuse_relu(g, i))
            i = -1; /* indices shifted: rescan (graphs are small) */
    }
    return eng_graph_check(g, err);
}

/* Marks in `live` every node some graph output depends on. Producers come
 * before their consumers, so one backward sweep suffices. */
static void mark_live(const eng_graph *g, unsigned char *live)
{
    for (int i = 0; i < g->n_outputs; i++) {
        int pr = g->tensors[g->outputs[i]].producer;
        if (pr >= 0)
            live[pr] = 1;
    }
    for (int n = g->n_nodes - 1; n >= 0; n--) {
        for (int j = 0; live[n] && j < g->nodes[n].n_inputs; j++) {
            int t = g->nodes[n].inputs[j];
            if (t >= 0 && g->tensors[t].producer >= 0)
                live[g->tensors[t].producer] = 1;
        }
    }
}

eng_status eng_graph_drop_output(eng_graph *g, int i, eng_error *err)
{
    if (i < 0 || i >= g->n_outputs || g->n_outputs < 2)
        return eng_fail(err, ENG_EINVAL,
                        "drop output %d: the graph has %d outputs and keeps "
                        "at least one", i, g->n_outputs);
    memmove(&g->outputs[i], &g->outputs[i + 1],
            (size_t)(g->n_outputs - i - 1) * sizeof(g->outputs[0]));
    g->n_outputs--;
    unsigned char *live = calloc((size_t)g->n_nodes + 1, 1);
    if (!live)
        return eng_fail(err, ENG_ENOMEM, "drop output: out of memory");
    mark_live(g, live);
    for (int n = g->n_nodes - 1; n >= 0; n--) {
        if (!live[n])
            remove_node(g, n);
    }
    free(live);
    return eng_graph_check(g, err);
}

/* ---- statistics --------------------------------------------------------- */

int64_t eng_node_flops(const eng_graph *g, const eng_node *n)
{
    const eng_tensor *out = &g->tensors[n->output];
    const eng_tensor *x = input_tensor(g, n, 0);
    const eng_tensor *w = input_tensor(g, n, 1);
    int64_t o = (int64_t)out->count;
    switch (n->op) {
    case ENG_OP_CONV2D:
        return 2 * o * w->dims[1] * w->dims[2] * w->dims[3];
    case ENG_OP_DEPTHWISE_CONV2D:
        return 2 * o * w->dims[1] * w->dims[2];
    case ENG_OP_TRANSPOSE_CONV2D:
        return 2 * (int64_t)x->count * w->dims[0] * w->dims[1] * w->dims[2];
    case ENG_OP_FULLY_CONNECTED:
        return 2 * o * w->dims[1];
    case ENG_OP_MAX_POOL2D:
    case ENG_OP_AVERAGE_POOL2D:
        return o * n->p.u.pool.filter_h * n->p.u.pool.filter_w;
    case ENG_OP_MEAN:
        return (int64_t)x->count;
    case ENG_OP_RESIZE_BILINEAR:
        return 8 * o;
    case ENG_OP_RESHAPE:
        return 0;
    default:
        return o;
    }
}

int64_t eng_graph_params(const eng_graph *g)
{
    int64_t n = 0;
    for (int i = 0; i < g->n_tensors; i++)
        if (g->tensors[i].data)
            n += (int64_t)g->tensors[i].count;
    return n;
}
