#include "detect.h"

#include <math.h>
#include <string.h>

int eng_ssd_anchor_count(const eng_ssd_desc *d)
{
    if (d->num_layers < 1 || d->num_layers > ENG_SSD_MAX_LAYERS ||
        d->input_size < 1 || d->num_keypoints < 0 ||
        d->num_keypoints > ENG_DETECT_MAX_KEYPOINTS)
        return -1;
    int n = 0;
    for (int l = 0; l < d->num_layers;) {
        int s = d->strides[l], same = 0;
        if (s < 1)
            return -1;
        while (l < d->num_layers && d->strides[l] == s) {
            same++;
            l++;
        }
        int fm = (d->input_size + s - 1) / s;
        n += fm * fm * 2 * same;
    }
    return n;
}

void eng_ssd_anchors(const eng_ssd_desc *d, float *xy)
{
    for (int l = 0; l < d->num_layers;) {
        int s = d->strides[l], same = 0;
        while (l < d->num_layers && d->strides[l] == s) {
            same++;
            l++;
        }
        /* Each layer adds one anchor for aspect ratio 1.0 and one for the
         * interpolated scale; with a fixed anchor size they coincide. */
        int fm = (d->input_size + s - 1) / s, per_cell = 2 * same;
        for (int y = 0; y < fm; y++)
            for (int x = 0; x < fm; x++)
                for (int a = 0; a < per_cell; a++) {
                    *xy++ = (x + 0.5f) / fm;
                    *xy++ = (y + 0.5f) / fm;
                }
    }
}

float eng_detection_iou(const eng_detection *a, const eng_detection *b)
{
    float ix = fminf(a->xmax, b->xmax) - fmaxf(a->xmin, b->xmin);
    float iy = fminf(a->ymax, b->ymax) - fmaxf(a->ymin, b->ymin);
    if (ix <= 0.0f || iy <= 0.0f)
        return 0.0f;
    float inter = ix * iy;
    float uni = (a->xmax - a->xmin) * (a->ymax - a->ymin) +
                (b->xmax - b->xmin) * (b->ymax - b->ymin) - inter;
    return uni > 0.0f ? inter / uni : 0.0f;
}

static int decode(const eng_ssd_desc *d, const float *anchors,
                  const float *boxes, const float *scores, eng_detection *det)
{
    int n = eng_ssd_anchor_count(d), kept = 0;
    int stride = 4 + 2 * d->num_keypoints;
    float scale = (float)d->input_size;
    for (int i = 0; i < n; i++) {
        float logit = fminf(fmaxf(scores[i], -100.0f), 100.0f);
        float score = 1.0f / (1.0f + expf(-logit));
        if (!(score >= d->min_score))
            continue;
        const float *r = boxes + (size_t)i * stride;
        float ax = anchors[2 * i], ay = anchors[2 * i + 1];
        float cx = r[0] / scale + ax, cy = r[1] / scale + ay;
        float w = r[2] / scale, h = r[3] / scale;
        if (!(w >= 0.0f && h >= 0.0f))
            continue; /* negative or NaN size */
        eng_detection *o = &det[kept++];
        memset(o, 0, sizeof(*o));
        o->score = score;
        o->xmin = cx - w / 2;
        o->ymin = cy - h / 2;
        o->xmax = cx + w / 2;
        o->ymax = cy + h / 2;
        for (int k = 0; k < d->num_keypoints; k++) {
            o->kp[k][0] = r[4 + 2 * k] / scale + ax;
            o->kp[k][1] = r[5 + 2 * k] / scale + ay;
        }
    }
    return kept;
}

/* Best score first; stable, so equal scores keep anchor order. */
static void sort_by_score(const eng_detection *det, int *order, int n)
{
    for (int i = 0; i < n; i++)
        order[i] = i;
    for (int i = 1; i < n; i++) {
        int v = order[i], j = i;
        while (j > 0 && det[order[j - 1]].score < det[v].score) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = v;
    }
}

/* Accumulates the score-weighted mean of a cluster's boxes and keypoints;
 * the result keeps the best member's score (MediaPipe's WEIGHTED NMS). */
typedef struct cluster {
    double total, box[4], kp[ENG_DETECT_MAX_KEYPOINTS][2];
} cluster;

static void cluster_add(cluster *c, const eng_detection *e, int nkp)
{
    double s = e->score;
    c->total += s;
    c->box[0] += e->xmin * s;
    c->box[1] += e->ymin * s;
    c->box[2] += e->xmax * s;
    c->box[3] += e->ymax * s;
    for (int k = 0; k < nkp; k++) {
        c->kp[k][0] += e->kp[k][0] * s;
        c->kp[k][1] += e->kp[k][1] * s;
    }
}

static eng_detection cluster_mean(const cluster *c, const eng_detection *top,
                                  int nkp)
{
    eng_detection o = *top;
    o.xmin = (float)(c->box[0] / c->total);
    o.ymin = (float)(c->box[1] / c->total);
    o.xmax = (float)(c->box[2] / c->total);
    o.ymax = (float)(c->box[3] / c->total);
    for (int k = 0; k < nkp; k++) {
        o.kp[k][0] = (float)(c->kp[k][0] / c->total);
        o.kp[k][1] = (float)(c->kp[k][1] / c->total);
    }
    return o;
}

int eng_ssd_detect(const eng_ssd_desc *d, const float *anchors,
                   const float *boxes, const float *scores,
                   eng_detection *scratch, int *order, eng_detection *out,
                   int cap)
{
    int remain = decode(d, anchors, boxes, scores, scratch), n_out = 0;
    sort_by_score(scratch, order, remain);
    /* order[0..remain) is unclaimed, best first; each round the best takes
     * every detection overlapping it (itself included) and the rest is
     * compacted in place. */
    while (remain > 0 && n_out < cap) {
        const eng_detection *top = &scratch[order[0]];
        cluster c;
        memset(&c, 0, sizeof(c));
        int nr = 0;
        for (int i = 0; i < remain; i++) {
            const eng_detection *e = &scratch[order[i]];
            if (i == 0 || eng_detection_iou(top, e) > d->iou_threshold)
                cluster_add(&c, e, d->num_keypoints);
            else
                order[nr++] = order[i];
        }
        out[n_out++] = cluster_mean(&c, top, d->num_keypoints);
        remain = nr;
    }
    return n_out;
}
