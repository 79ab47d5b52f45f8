#include "ref_ops.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One node's view of its tensors while it is being evaluated. */
typedef struct ref_ctx {
    const eng_graph *g;
    const eng_node *n;
    ref_tensors *r;
} ref_ctx;

static const eng_tensor *tin(const ref_ctx *c, int k)
{
    return c->n->inputs[k] >= 0 ? &c->g->tensors[c->n->inputs[k]] : NULL;
}

static const float *vin(const ref_ctx *c, int k)
{
    return c->n->inputs[k] >= 0 ? c->r->val[c->n->inputs[k]] : NULL;
}

static const double *min_(const ref_ctx *c, int k)
{
    return c->r->mag[c->n->inputs[k]];
}

static const eng_tensor *tout(const ref_ctx *c)
{
    return &c->g->tensors[c->n->output];
}

static float *vout(const ref_ctx *c)
{
    return c->r->val[c->n->output];
}

static double *mout(const ref_ctx *c)
{
    return c->r->mag[c->n->output];
}

static double act(eng_activation a, double v)
{
    switch (a) {
    case ENG_ACT_RELU: return v < 0 ? 0 : v;
    case ENG_ACT_RELU6: return v < 0 ? 0 : v > 6 ? 6 : v;
    case ENG_ACT_RELU_N1_TO_1: return v < -1 ? -1 : v > 1 ? 1 : v;
    case ENG_ACT_NONE: break;
    }
    return v;
}

static size_t at4(const int *d, int n, int y, int x, int ch)
{
    return (((size_t)n * d[1] + y) * d[2] + x) * d[3] + ch;
}

/* ---- convolutions ------------------------------------------------------- */

static void ref_conv(const ref_ctx *c)
{
    const eng_conv_params *p = &c->n->p.u.conv;
    const eng_tensor *x = tin(c, 0), *w = tin(c, 1), *y = tout(c);
    const float *xv = vin(c, 0), *wv = vin(c, 1), *bv = vin(c, 2);
    const double *xm = min_(c, 0);
    int dw = c->n->op == ENG_OP_DEPTHWISE_CONV2D;
    int kh = w->dims[1], kw = w->dims[2], cin = x->dims[3];
    int mult = dw ? y->dims[3] / cin : 1;
    for (int n = 0; n < y->dims[0]; n++)
    for (int oy = 0; oy < y->dims[1]; oy++)
    for (int ox = 0; ox < y->dims[2]; ox++)
    for (int oc = 0; oc < y->dims[3]; oc++) {
        double s = bv ? bv[oc] : 0, m = bv ? fabs(bv[oc]) : 0;
        for (int ky = 0; ky < kh; ky++) {
            int iy = oy * p->stride_h - p->pad.top + ky * p->dilation_h;
            if (iy < 0 || iy >= x->dims[1])
                continue;
            for (int kx = 0; kx < kw; kx++) {
                int ix = ox * p->stride_w - p->pad.left + kx * p->dilation_w;
                if (ix < 0 || ix >= x->dims[2])
                    continue;
                int c0 = dw ? oc / mult : 0, c1 = dw ? c0 + 1 : cin;
                for (int ic = c0; ic < c1; ic++) {
                    size_t xi = at4(x->dims, n, iy, ix, ic);
                    double wt = dw ? wv[((size_t)ky * kw + kx) * y->dims[3] +
                                        oc]
                                   : wv[(((size_t)oc * kh + ky) * kw + kx) *
                                            cin + ic];
                    s += wt * xv[xi];
                    m += fabs(wt * xv[xi]) + fabs(wt) * xm[xi];
                }
            }
        }
        size_t o = at4(y->dims, n, oy, ox, oc);
        vout(c)[o] = (float)act(p->act, s);
        mout(c)[o] = m;
    }
}

/* Transposed convolution as TFLite defines it: input pixel (iy, ix)
 * scatters w[oc, ky, kx, ic] * x to output (iy*s - pad_top + ky, ...). */
static void ref_deconv(const ref_ctx *c)
{
    const eng_conv_params *p = &c->n->p.u.conv;
    const eng_tensor *x = tin(c, 0), *w = tin(c, 1), *y = tout(c);
    const float *xv = vin(c, 0), *wv = vin(c, 1), *bv = vin(c, 2);
    const double *xm = min_(c, 0);
    int kh = w->dims[1], kw = w->dims[2], cin = x->dims[3], cout = y->dims[3];
    double *s = calloc(y->count, sizeof(double));
    double *m = mout(c);
    for (size_t i = 0; i < y->count; i++) {
        s[i] = bv ? bv[i % cout] : 0;
        m[i] = bv ? fabs(bv[i % cout]) : 0;
    }
    for (int n = 0; n < x->dims[0]; n++)
    for (int iy = 0; iy < x->dims[1]; iy++)
    for (int ix = 0; ix < x->dims[2]; ix++)
    for (int ky = 0; ky < kh; ky++)
    for (int kx = 0; kx < kw; kx++) {
        int oy = iy * p->stride_h - p->pad.top + ky * p->dilation_h;
        int ox = ix * p->stride_w - p->pad.left + kx * p->dilation_w;
        if (oy < 0 || oy >= y->dims[1] || ox < 0 || ox >= y->dims[2])
            continue;
        for (int oc = 0; oc < cout; oc++) {
            size_t o = at4(y->dims, n, oy, ox, oc);
            for (int ic = 0; ic < cin; ic++) {
                size_t xi = at4(x->dims, n, iy, ix, ic);
                double wt = wv[(((size_t)oc * kh + ky) * kw + kx) * cin + ic];
                s[o] += wt * xv[xi];
                m[o] += fabs(wt * xv[xi]) + fabs(wt) * xm[xi];
            }
        }
    }
    for (size_t i = 0; i < y->count; i++)
        vout(c)[i] = (float)act(p->act, s[i]);
    free(s);
}

static void ref_fc(const ref_ctx *c)
{
    const eng_tensor *w = tin(c, 1);
    const float *xv = vin(c, 0), *wv = vin(c, 1), *bv = vin(c, 2);
    const double *xm = min_(c, 0);
    int nout = w->dims[0], nin = w->dims[1];
    size_t batch = tin(c, 0)->count / (size_t)nin;
    for (size_t b = 0; b < batch; b++) {
        for (int o = 0; o < nout; o++) {
            double s = bv ? bv[o] : 0, m = bv ? fabs(bv[o]) : 0;
            for (int i = 0; i < nin; i++) {
                double wt = wv[(size_t)o * nin + i];
                size_t xi = b * nin + i;
                s += wt * xv[xi];
                m += fabs(wt * xv[xi]) + fabs(wt) * xm[xi];
            }
            vout(c)[b * nout + o] = (float)act(c->n->p.act, s);
            mout(c)[b * nout + o] = m;
        }
    }
}

/* ---- pooling and reductions --------------------------------------------- */

/* Max or average over the valid (unpadded) cells of each window. */
static void ref_pool(const ref_ctx *c)
{
    const eng_pool_params *p = &c->n->p.u.pool;
    const eng_tensor *x = tin(c, 0), *y = tout(c);
    const float *xv = vin(c, 0);
    const double *xm = min_(c, 0);
    int is_max = c->n->op == ENG_OP_MAX_POOL2D;
    for (int n = 0; n < y->dims[0]; n++)
    for (int oy = 0; oy < y->dims[1]; oy++)
    for (int ox = 0; ox < y->dims[2]; ox++)
    for (int ch = 0; ch < y->dims[3]; ch++) {
        double s = is_max ? -INFINITY : 0, m = 0;
        int cnt = 0;
        for (int ky = 0; ky < p->filter_h; ky++) {
            int iy = oy * p->stride_h - p->pad.top + ky;
            for (int kx = 0; kx < p->filter_w; kx++) {
                int ix = ox * p->stride_w - p->pad.left + kx;
                if (iy < 0 || iy >= x->dims[1] || ix < 0 || ix >= x->dims[2])
                    continue;
                size_t xi = at4(x->dims, n, iy, ix, ch);
                if (is_max && xv[xi] > s) {
                    s = xv[xi];
                    m = xm[xi];
                } else if (!is_max) {
                    s += xv[xi];
                    m += fabs(xv[xi]) + xm[xi];
                }
                cnt++;
            }
        }
        size_t o = at4(y->dims, n, oy, ox, ch);
        vout(c)[o] = (float)act(p->act, is_max ? s : s / cnt);
        mout(c)[o] = is_max ? m : m / cnt;
    }
}

static void ref_mean(const ref_ctx *c)
{
    const eng_tensor *x = tin(c, 0), *y = tout(c);
    unsigned axes = c->n->p.u.mean.axes;
    double *s = calloc(y->count, sizeof(double));
    double *m = mout(c);
    memset(m, 0, y->count * sizeof(double));
    size_t reduced = 1;
    for (int d = 0; d < x->ndim; d++)
        if (axes & (1u << d))
            reduced *= (size_t)x->dims[d];
    for (size_t i = 0; i < x->count; i++) {
        /* Output index: the input's coordinates without the reduced ones. */
        size_t rem = i, o = 0, stride = 1;
        for (int d = x->ndim - 1; d >= 0; d--) {
            size_t coord = rem % (size_t)x->dims[d];
            rem /= (size_t)x->dims[d];
            if (axes & (1u << d))
                continue;
            o += coord * stride;
            stride *= (size_t)x->dims[d];
        }
        s[o] += vin(c, 0)[i];
        m[o] += fabs(vin(c, 0)[i]) + min_(c, 0)[i];
    }
    for (size_t o = 0; o < y->count; o++) {
        vout(c)[o] = (float)(s[o] / (double)reduced);
        m[o] /= (double)reduced;
    }
    free(s);
}

/* ---- element-wise ------------------------------------------------------- */

/* Flat index into t of output element o, numpy broadcasting (right-aligned
 * dims, size-1 dims repeat). */
static size_t bcast_index(const eng_tensor *t, const eng_tensor *y, size_t o)
{
    size_t idx = 0, stride = 1;
    for (int d = y->ndim - 1; d >= 0; d--) {
        size_t coord = o % (size_t)y->dims[d];
        o /= (size_t)y->dims[d];
        int td = d - (y->ndim - t->ndim);
        if (td < 0)
            continue;
        if (t->dims[td] > 1)
            idx += coord * stride;
        stride *= (size_t)t->dims[td];
    }
    return idx;
}

static void ref_binary(const ref_ctx *c)
{
    const eng_tensor *a = tin(c, 0), *b = tin(c, 1), *y = tout(c);
    for (size_t o = 0; o < y->count; o++) {
        size_t ia = bcast_index(a, y, o), ib = bcast_index(b, y, o);
        double va = vin(c, 0)[ia], vb = vin(c, 1)[ib];
        double ma = min_(c, 0)[ia], mb = min_(c, 1)[ib];
        double v;
        switch (c->n->op) {
        case ENG_OP_ADD:
            v = va + vb;
            mout(c)[o] = fabs(va) + fabs(vb) + ma + mb;
            break;
        case ENG_OP_MUL:
            v = va * vb;
            mout(c)[o] = fabs(v) + fabs(vb) * ma + fabs(va) * mb;
            break;
        default: /* PRELU */
            v = va >= 0 ? va : vb * va;
            mout(c)[o] = fabs(v) + fmax(1.0, fabs(vb)) * ma;
            break;
        }
        vout(c)[o] = (float)(c->n->op == ENG_OP_PRELU ? v
                                                      : act(c->n->p.act, v));
    }
}

static void ref_unary(const ref_ctx *c)
{
    for (size_t i = 0; i < tout(c)->count; i++) {
        double x = vin(c, 0)[i], xm = min_(c, 0)[i], y, m;
        switch (c->n->op) {
        case ENG_OP_RELU:
            y = act(ENG_ACT_RELU, x);
            m = xm;
            break;
        case ENG_OP_RELU6:
            y = act(ENG_ACT_RELU6, x);
            m = xm;
            break;
        case ENG_OP_HARD_SWISH:
            y = x * act(ENG_ACT_RELU6, x + 3) / 6;
            m = fabs(y) + 1.5 * xm; /* slope at most 1.5 */
            break;
        default: /* LOGISTIC */
            y = 1 / (1 + exp(-x));
            m = fabs(y) + 0.25 * xm; /* slope at most 1/4 */
            break;
        }
        vout(c)[i] = (float)y;
        mout(c)[i] = m;
    }
}

/* ---- data movement ------------------------------------------------------ */

static void ref_pad(const ref_ctx *c)
{
    const eng_tensor *x = tin(c, 0), *y = tout(c);
    memset(vout(c), 0, y->count * sizeof(float));
    memset(mout(c), 0, y->count * sizeof(double));
    for (size_t i = 0; i < x->count; i++) {
        size_t rem = i, o = 0, stride = 1;
        for (int d = x->ndim - 1; d >= 0; d--) {
            size_t coord = rem % (size_t)x->dims[d];
            rem /= (size_t)x->dims[d];
            o += (coord + (size_t)c->n->p.u.pad.before[d]) * stride;
            stride *= (size_t)y->dims[d];
        }
        vout(c)[o] = vin(c, 0)[i];
        mout(c)[o] = min_(c, 0)[i];
    }
}

static void ref_copy(const ref_ctx *c)
{
    memcpy(vout(c), vin(c, 0), tout(c)->count * sizeof(float));
    memcpy(mout(c), min_(c, 0), tout(c)->count * sizeof(double));
}

static void ref_concat(const ref_ctx *c)
{
    const eng_tensor *y = tout(c);
    int axis = c->n->p.u.concat.axis;
    size_t outer = 1, inner = 1;
    for (int d = 0; d < axis; d++)
        outer *= (size_t)y->dims[d];
    for (int d = axis + 1; d < y->ndim; d++)
        inner *= (size_t)y->dims[d];
    size_t o = 0;
    for (size_t r = 0; r < outer; r++) {
        for (int k = 0; k < c->n->n_inputs; k++) {
            size_t row = (size_t)tin(c, k)->dims[axis] * inner;
            for (size_t j = 0; j < row; j++, o++) {
                vout(c)[o] = (float)act(c->n->p.act, vin(c, k)[r * row + j]);
                mout(c)[o] = min_(c, k)[r * row + j];
            }
        }
    }
}

/* TensorFlow DCR order: output (y*b + by, x*b + bx, ch) reads input
 * channel (by*b + bx)*C_out + ch. */
static void ref_d2s(const ref_ctx *c)
{
    const eng_tensor *x = tin(c, 0), *y = tout(c);
    int b = c->n->p.u.depth_to_space.block;
    for (int n = 0; n < y->dims[0]; n++)
    for (int oy = 0; oy < y->dims[1]; oy++)
    for (int ox = 0; ox < y->dims[2]; ox++)
    for (int ch = 0; ch < y->dims[3]; ch++) {
        int ic = ((oy % b) * b + ox % b) * y->dims[3] + ch;
        size_t xi = at4(x->dims, n, oy / b, ox / b, ic);
        size_t o = at4(y->dims, n, oy, ox, ch);
        vout(c)[o] = vin(c, 0)[xi];
        mout(c)[o] = min_(c, 0)[xi];
    }
}

/* Source coordinate of output index o, TensorFlow's three conventions,
 * clamped to the input as TF does (both neighbours clamp to the edge). */
static double resize_src(int o, int in, int out, int align, int half)
{
    double v;
    if (align && out > 1)
        v = (double)o * (in - 1) / (out - 1);
    else if (half)
        v = ((double)o + 0.5) * in / out - 0.5;
    else
        v = (double)o * in / out;
    return v < 0 ? 0 : v > in - 1 ? in - 1 : v;
}

static void ref_resize(const ref_ctx *c)
{
    const eng_tensor *x = tin(c, 0), *y = tout(c);
    int align = c->n->p.u.resize.align_corners;
    int half = c->n->p.u.resize.half_pixel_centers;
    for (int n = 0; n < y->dims[0]; n++)
    for (int oy = 0; oy < y->dims[1]; oy++)
    for (int ox = 0; ox < y->dims[2]; ox++) {
        double sy = resize_src(oy, x->dims[1], y->dims[1], align, half);
        double sx = resize_src(ox, x->dims[2], y->dims[2], align, half);
        int y0 = (int)floor(sy), x0 = (int)floor(sx);
        int y1 = y0 + 1 < x->dims[1] ? y0 + 1 : y0;
        int x1 = x0 + 1 < x->dims[2] ? x0 + 1 : x0;
        double fy = sy - y0, fx = sx - x0;
        const int ys[4] = {y0, y0, y1, y1}, xs[4] = {x0, x1, x0, x1};
        const double ws[4] = {(1 - fy) * (1 - fx), (1 - fy) * fx,
                              fy * (1 - fx), fy * fx};
        for (int ch = 0; ch < y->dims[3]; ch++) {
            double s = 0, m = 0;
            for (int k = 0; k < 4; k++) {
                size_t xi = at4(x->dims, n, ys[k], xs[k], ch);
                s += ws[k] * vin(c, 0)[xi];
                m += ws[k] * (fabs(vin(c, 0)[xi]) + min_(c, 0)[xi]);
            }
            size_t o = at4(y->dims, n, oy, ox, ch);
            vout(c)[o] = (float)s;
            mout(c)[o] = m;
        }
    }
}

/* ---- driver ------------------------------------------------------------- */

static int ref_node(const ref_ctx *c)
{
    switch (c->n->op) {
    case ENG_OP_CONV2D:
    case ENG_OP_DEPTHWISE_CONV2D: ref_conv(c); return 0;
    case ENG_OP_TRANSPOSE_CONV2D: ref_deconv(c); return 0;
    case ENG_OP_FULLY_CONNECTED: ref_fc(c); return 0;
    case ENG_OP_MAX_POOL2D:
    case ENG_OP_AVERAGE_POOL2D: ref_pool(c); return 0;
    case ENG_OP_MEAN: ref_mean(c); return 0;
    case ENG_OP_ADD:
    case ENG_OP_MUL:
    case ENG_OP_PRELU: ref_binary(c); return 0;
    case ENG_OP_RELU:
    case ENG_OP_RELU6:
    case ENG_OP_HARD_SWISH:
    case ENG_OP_LOGISTIC: ref_unary(c); return 0;
    case ENG_OP_PAD: ref_pad(c); return 0;
    case ENG_OP_RESHAPE: ref_copy(c); return 0;
    case ENG_OP_CONCATENATION: ref_concat(c); return 0;
    case ENG_OP_DEPTH_TO_SPACE: ref_d2s(c); return 0;
    case ENG_OP_RESIZE_BILINEAR: ref_resize(c); return 0;
    default: return -1;
    }
}

static int alloc_tensor(ref_tensors *r, int t, size_t count)
{
    r->val[t] = calloc(count ? count : 1, sizeof(float));
    r->mag[t] = calloc(count ? count : 1, sizeof(double));
    return r->val[t] && r->mag[t] ? 0 : -1;
}

int ref_run(const eng_graph *g, const float *const *inputs, ref_tensors *out)
{
    ref_tensors *r = out;
    r->n = g->n_tensors;
    r->val = calloc((size_t)r->n + 1, sizeof(*r->val));
    r->mag = calloc((size_t)r->n + 1, sizeof(*r->mag));
    if (!r->val || !r->mag)
        goto fail;
    for (int t = 0; t < g->n_tensors; t++) {
        const eng_tensor *ts = &g->tensors[t];
        if (!ts->data)
            continue;
        if (alloc_tensor(r, t, ts->count))
            goto fail;
        memcpy(r->val[t], ts->data, ts->count * sizeof(float));
    }
    for (int i = 0; i < g->n_inputs; i++) {
        const eng_tensor *ts = &g->tensors[g->inputs[i]];
        if (alloc_tensor(r, g->inputs[i], ts->count))
            goto fail;
        memcpy(r->val[g->inputs[i]], inputs[i], ts->count * sizeof(float));
    }
    for (int i = 0; i < g->n_nodes; i++) {
        ref_ctx c = {g, &g->nodes[i], r};
        if (alloc_tensor(r, c.n->output, tout(&c)->count))
            goto fail;
        if (ref_node(&c)) {
            fprintf(stderr, "ref_ops: no reference for %s\n",
                    eng_op_name(c.n->op));
            goto fail;
        }
    }
    return 0;
fail:
    ref_free(r);
    return -1;
}

void ref_free(ref_tensors *r)
{
    for (int t = 0; r->val && r->mag && t < r->n; t++) {
        free(r->val[t]);
        free(r->mag[t]);
    }
    free(r->val);
    free(r->mag);
    memset(r, 0, sizeof(*r));
}

double ref_tolerance(double mag)
{
    return 1e-5 * mag + 1e-6;
}
