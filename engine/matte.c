#include "matte.h"

#include <math.h>
#include <pthreadpool.h>
#include <stdlib.h>
#include <string.h>

#include "guided.h"
#include "model.h"

/* Work items per thread of the full-resolution passes: enough for even
 * shares when a thread is slow, few enough that the per-item row scratch
 * (8 floats per frame column) stays small whatever the frame's height. */
#define BANDS_PER_THREAD 4
/* The background blur's box radius, in grid pixels (applied twice: a tent
 * of about a twentieth of the frame's long side at the default grid). */
#define BLUR_RADIUS 8

/* Buffers of one frame size: allocated on the first frame of a size. */
typedef struct frame_bufs {
    float *guide, *prev_guide;  /* grid RGB in [0,1] */
    float *p, *smooth, *tmp;    /* grid masks; smooth = the last frame's
                                   smoothed coarse mask */
    float *coef;                /* guided coefficients, 4 per grid pixel */
    float *fit;                 /* eng_guided_fit scratch */
    double *acc;                /* box filter accumulator */
    float *blur;                /* grid RGB, 0..255, for BG_BLUR */
    float *rows;                /* per band: row_cap floats */
    eng_upsample_map grid_map, raw_map;
} frame_bufs;

struct eng_matte {
    /* Set at create. */
    eng_runtime *rt;
    eng_matte_desc d;
    eng_model *model[2];        /* GENERAL, LANDSCAPE (NULL if no path) */
    uint8_t lut[256];           /* the threshold on 8-bit alpha (raw mode) */

    /* The reused coarse mask: the model's last output. */
    float coarse[256 * 256];
    int coarse_w, coarse_h;     /* 0: none yet */
    eng_matte_model coarse_model;
    long frame;                 /* frames since create or reset */

    /* Frame W x H, grid gw x gh = frame / scale (rounded up). */
    int width, height, scale, gw, gh;
    frame_bufs b;
    size_t row_cap;
    int n_bands, band_rows;     /* work items of the frame passes */
    bool have_prev;             /* prev_guide and smooth are valid */
};

static const char *const model_names[] = { "auto", "general", "landscape" };

eng_matte_desc eng_matte_defaults(void)
{
    return (eng_matte_desc){
        .model = ENG_MATTE_MODEL_AUTO,
        .matte_every = 1,
        .threshold = 0.5f,
        .smoothing = 0.7f,
        .motion_scale = 0.08f,
        .guide_size = 320,
        .radius = 1,
        .eps = 1e-4f,
    };
}

static eng_status fill_desc(const eng_matte_desc *in, eng_matte_desc *d,
                            eng_error *err)
{
    eng_matte_desc def = eng_matte_defaults();
    *d = *in;
    if (d->model < ENG_MATTE_MODEL_AUTO || d->model > ENG_MATTE_MODEL_LANDSCAPE)
        return eng_fail(err, ENG_EINVAL, "matte: bad model %d", d->model);
    if (!d->matte_every)
        d->matte_every = def.matte_every;
    if (!d->threshold)
        d->threshold = def.threshold;
    if (!d->smoothing)
        d->smoothing = def.smoothing;
    if (!d->motion_scale)
        d->motion_scale = def.motion_scale;
    if (!d->guide_size)
        d->guide_size = def.guide_size;
    if (!d->radius)
        d->radius = def.radius;
    if (!d->eps)
        d->eps = def.eps;
    if (d->matte_every < 1)
        return eng_fail(err, ENG_EINVAL, "matte: matte_every %d < 1",
                        d->matte_every);
    if (!(d->threshold > 0 && d->threshold < 1))
        return eng_fail(err, ENG_EINVAL, "matte: threshold %g not in (0,1)",
                        d->threshold);
    if (!(d->feather >= 0 && d->feather <= 1000))
        return eng_fail(err, ENG_EINVAL, "matte: feather %g not in [0,1000]",
                        d->feather);
    if (d->grow < -1000 || d->grow > 1000)
        return eng_fail(err, ENG_EINVAL, "matte: grow %d not in [-1000,1000]",
                        d->grow);
    if (!(d->smoothing > 0 && d->smoothing < 1))
        return eng_fail(err, ENG_EINVAL, "matte: smoothing %g not in (0,1)",
                        d->smoothing);
    if (!(d->motion_scale > 0 && d->motion_scale <= 1))
        return eng_fail(err, ENG_EINVAL,
                        "matte: motion_scale %g not in (0,1]",
                        d->motion_scale);
    if (d->guide_size < 16 || d->guide_size > 4096)
        return eng_fail(err, ENG_EINVAL,
                        "matte: guide_size %d not in [16,4096]",
                        d->guide_size);
    if (d->radius < 1 || d->radius > 64)
        return eng_fail(err, ENG_EINVAL, "matte: radius %d not in [1,64]",
                        d->radius);
    if (!(d->eps > 0 && d->eps <= 1))
        return eng_fail(err, ENG_EINVAL, "matte: eps %g not in (0,1]",
                        d->eps);
    return ENG_OK;
}

/* The model's input size: width, height. */
static void model_size(eng_matte_model which, int *w, int *h)
{
    *w = 256, *h = which == ENG_MATTE_MODEL_LANDSCAPE ? 144 : 256;
}

static eng_status load_model(eng_matte *m, eng_matte_model which,
                             const char *path, eng_error *err)
{
    eng_model **slot = &m->model[which - 1];
    eng_status st = eng_model_load(m->rt, path, slot, err);
    if (st)
        return st;
    int w, h;
    model_size(which, &w, &h);
    const eng_tensor *in = eng_model_input(*slot, 0);
    const eng_tensor *out = eng_model_output(*slot, 0);
    if (eng_model_num_inputs(*slot) != 1 || eng_model_num_outputs(*slot) < 1 ||
        in->ndim != 4 || in->dims[1] != h || in->dims[2] != w ||
        in->dims[3] != 3 || out->ndim != 4 || out->dims[1] != h ||
        out->dims[2] != w || out->dims[3] != 1)
        return eng_fail(err, ENG_EFORMAT,
                        "matte: %s is not a %s selfie segmentation model "
                        "(1x%dx%dx3 in, 1x%dx%dx1 out)",
                        path, model_names[which], h, w, h, w);
    return ENG_OK;
}

/* The threshold control: piecewise linear, 0 -> 0, t -> 0.5, 1 -> 1. */
static float remap_threshold(float v, float t)
{
    return v < t ? 0.5f * v / t : 0.5f + 0.5f * (v - t) / (1.0f - t);
}

eng_status eng_matte_create(eng_runtime *rt, const eng_matte_desc *desc,
                            eng_matte **out, eng_error *err)
{
    *out = NULL;
    if (!rt || !desc)
        return eng_fail(err, ENG_EINVAL, "matte: NULL runtime or desc");
    eng_matte *m = calloc(1, sizeof(*m));
    if (!m)
        return eng_fail(err, ENG_ENOMEM, "matte: out of memory");
    m->rt = rt;
    eng_status st = fill_desc(desc, &m->d, err);
    if (st)
        goto fail;
    for (int v = 0; v < 256; v++)
        m->lut[v] = (uint8_t)lroundf(
            255.0f * remap_threshold((float)v / 255.0f, m->d.threshold));
    const char *paths[2] = { m->d.general_path, m->d.landscape_path };
    for (int i = 0; i < 2; i++) {
        eng_matte_model which = (eng_matte_model)(i + 1);
        bool needed = m->d.model == ENG_MATTE_MODEL_AUTO || m->d.model == which;
        if (needed && paths[i] && (st = load_model(m, which, paths[i], err)))
            goto fail;
    }
    /* Borrowed for the load only: never kept. */
    m->d.general_path = m->d.landscape_path = NULL;
    *out = m;
    return ENG_OK;
fail:
    eng_matte_destroy(m);
    return st;
}

static void free_map(eng_upsample_map *map)
{
    free(map->x0);
    free(map->wx);
    free(map->y0);
    free(map->wy);
}

static void free_frame_buffers(eng_matte *m)
{
    frame_bufs *b = &m->b;
    free(b->guide);
    free(b->prev_guide);
    free(b->p);
    free(b->smooth);
    free(b->tmp);
    free(b->coef);
    free(b->fit);
    free(b->acc);
    free(b->blur);
    free(b->rows);
    free_map(&b->grid_map);
    free_map(&b->raw_map);
    memset(b, 0, sizeof(*b));
    m->row_cap = 0;
    m->width = m->height = 0;
    m->have_prev = false;
}

void eng_matte_destroy(eng_matte *m)
{
    if (!m)
        return;
    eng_model_destroy(m->model[0]);
    eng_model_destroy(m->model[1]);
    free_frame_buffers(m);
    free(m);
}

void eng_matte_reset(eng_matte *m)
{
    if (!m)
        return;
    m->coarse_w = m->coarse_h = 0;
    m->have_prev = false;
    m->frame = 0;
}

/* Row scratch of at least `floats` per band. */
static eng_status ensure_rows(eng_matte *m, size_t floats, eng_error *err)
{
    if (floats <= m->row_cap)
        return ENG_OK;
    float *r = realloc(m->b.rows, floats * m->n_bands * sizeof(float));
    if (!r)
        return eng_fail(err, ENG_ENOMEM, "matte: out of memory");
    m->b.rows = r, m->row_cap = floats;
    return ENG_OK;
}

static bool alloc_map(eng_upsample_map *map, int w, int h)
{
    map->x0 = malloc((size_t)w * sizeof(int32_t));
    map->wx = malloc((size_t)w * sizeof(float));
    map->y0 = malloc((size_t)h * sizeof(int32_t));
    map->wy = malloc((size_t)h * sizeof(float));
    return map->x0 && map->wx && map->y0 && map->wy;
}

static eng_status ensure_size(eng_matte *m, int W, int H, eng_error *err)
{
    if (W == m->width && H == m->height)
        return ENG_OK;
    free_frame_buffers(m);
    int longest = W > H ? W : H;
    m->scale = (longest + m->d.guide_size - 1) / m->d.guide_size;
    m->gw = (W + m->scale - 1) / m->scale;
    m->gh = (H + m->scale - 1) / m->scale;
    size_t n = (size_t)m->gw * m->gh;
    frame_bufs *b = &m->b;
    b->guide = malloc(n * 3 * sizeof(float));
    b->prev_guide = malloc(n * 3 * sizeof(float));
    b->p = malloc(n * sizeof(float));
    b->smooth = malloc(n * sizeof(float));
    b->tmp = malloc(n * 3 * sizeof(float));
    b->coef = malloc(n * 4 * sizeof(float));
    b->fit = malloc(eng_guided_fit_floats(m->gw, m->gh) * sizeof(float));
    b->acc = malloc(eng_box_acc_doubles(m->gw, m->gh, 4) * sizeof(double));
    b->blur = malloc(n * 3 * sizeof(float));
    int bands = BANDS_PER_THREAD * eng_runtime_threads(m->rt);
    m->band_rows = (H + bands - 1) / bands;
    m->n_bands = (H + m->band_rows - 1) / m->band_rows;
    bool ok = b->guide && b->prev_guide && b->p && b->smooth && b->tmp &&
              b->coef && b->fit && b->acc && b->blur &&
              alloc_map(&b->grid_map, W, H) && alloc_map(&b->raw_map, W, H);
    if (!ok || ensure_rows(m, eng_guided_apply_floats(W), err)) {
        free_frame_buffers(m);
        return eng_fail(err, ENG_ENOMEM, "matte: out of memory for %dx%d",
                        W, H);
    }
    /* Grid pixel j averages frame columns [j s, j s + s): its centre is at
     * j s + s/2, so frame pixel x sits at (x + 0.5) / s - 0.5. */
    float inv = 1.0f / (float)m->scale;
    eng_upsample_map_init(&b->grid_map, m->gw, m->gh, m->gw * 4, W, H, inv,
                          inv);
    m->width = W, m->height = H;
    return ENG_OK;
}

/* ---- The grid guide: area average of s x s blocks (parallel by grid
 * row). ---- */

typedef struct guide_task {
    eng_matte *m;
    const eng_image *img;
    size_t tile;              /* grid rows per work item */
} guide_task;

/* Grid rows [gy0, gy0 + rows): the frame rows of each summed column by
 * column first (contiguous bytes: the compiler vectorises it), then s
 * columns per grid pixel. */
static void guide_rows(void *ctx, size_t gy0, size_t rows)
{
    const guide_task *t = ctx;
    const eng_matte *m = t->m;
    const eng_image *img = t->img;
    int s = m->scale, w3 = img->width * 3;
    /* Per work item, the band scratch: tiles <= bands by construction. */
    uint32_t *col = (uint32_t *)(void *)(m->b.rows +
                                         (gy0 / t->tile) * m->row_cap);
    for (size_t gy = gy0; gy < gy0 + rows; gy++) {
        int y0 = (int)gy * s;
        int y1 = y0 + s < img->height ? y0 + s : img->height;
        memset(col, 0, (size_t)w3 * sizeof(uint32_t));
        for (int y = y0; y < y1; y++) {
            const uint8_t *px = img->rgb + (size_t)y * img->stride;
            for (int k = 0; k < w3; k++)
                col[k] += px[k];
        }
        for (int gx = 0; gx < m->gw; gx++) {
            int x0 = gx * s, x1 = x0 + s < img->width ? x0 + s : img->width;
            uint32_t sum[3] = { 0, 0, 0 };
            for (int x = x0; x < x1; x++)
                for (int c = 0; c < 3; c++)
                    sum[c] += col[x * 3 + c];
            float inv = 1.0f / (255.0f * (float)((y1 - y0) * (x1 - x0)));
            float *g = m->b.guide + (gy * m->gw + gx) * 3;
            for (int c = 0; c < 3; c++)
                g[c] = (float)sum[c] * inv;
        }
    }
}

/* ---- Coarse mask ---- */

static eng_status run_model(eng_matte *m, const eng_image *img,
                            eng_matte_model which, eng_error *err)
{
    eng_model *model = m->model[which - 1];
    if (!model)
        return eng_fail(err, ENG_EINVAL, "matte: no %s model was loaded",
                        model_names[which]);
    int w, h;
    model_size(which, &w, &h);
    /* MediaPipe stretches the whole frame onto the input (no letterbox). */
    const eng_roi roi = { 0.5f, 0.5f, 1.0f, 1.0f, 0.0f };
    const eng_crop_desc cd = { .width = w, .height = h, .lo = 0.0f,
                               .hi = 1.0f, .border = ENG_BORDER_ZERO };
    eng_crop_map map;
    eng_crop(img, &roi, &cd, eng_model_input_data(model, 0), &map);
    eng_status st = eng_model_run(model, err);
    if (st)
        return st;
    memcpy(m->coarse, eng_model_output_data(model, 0),
           (size_t)w * h * sizeof(float));
    m->coarse_w = w, m->coarse_h = h, m->coarse_model = which;
    return ENG_OK;
}

/* Bilinear sample of a w x h grid (stride floats per row) at grid
 * coordinates (fx, fy), clamped to the edges. */
static float sample(const float *g, int w, int h, int stride, float fx,
                    float fy)
{
    fx = fx < 0 ? 0 : fx > (float)(w - 1) ? (float)(w - 1) : fx;
    fy = fy < 0 ? 0 : fy > (float)(h - 1) ? (float)(h - 1) : fy;
    int x0 = (int)fx, y0 = (int)fy;
    int x1 = x0 + 1 < w ? x0 + 1 : x0, y1 = y0 + 1 < h ? y0 + 1 : y0;
    float wx = fx - (float)x0, wy = fy - (float)y0;
    const float *r0 = g + (size_t)y0 * stride, *r1 = g + (size_t)y1 * stride;
    float top = r0[x0] + (r0[x1] - r0[x0]) * wx;
    float bot = r1[x0] + (r1[x1] - r1[x0]) * wx;
    return top + (bot - top) * wy;
}

/* Where frame point (x, y) (pixels, centres at k + 0.5) falls in the
 * tensor map cropped: tensor-normalised (u, v), the inverse of
 * eng_crop_to_frame(). */
static void frame_to_crop(const eng_crop_map *map, float x, float y,
                          float *u, float *v)
{
    float dx = x - map->cx, dy = y - map->cy;
    float rx = map->cos_r * dx + map->sin_r * dy;
    float ry = -map->sin_r * dx + map->cos_r * dy;
    float ur = rx / map->roi_w + 0.5f, vr = ry / map->roi_h + 0.5f;
    *u = map->pad_l + ur * (1.0f - map->pad_l - map->pad_r);
    *v = map->pad_t + vr * (1.0f - map->pad_t - map->pad_b);
}

/* The coarse mask (cw x ch, stretched over the frame, or the tensor `map`
 * cropped) onto the grid: grid pixel j's centre is frame point
 * j s + s/2. */
static void coarse_to_grid(eng_matte *m, const float *c, int cw, int ch,
                           int stride, const eng_crop_map *map)
{
    float s = (float)m->scale;
    float kx = (float)cw / (float)m->width, ky = (float)ch / (float)m->height;
    for (int j = 0; j < m->gh; j++) {
        float y = (float)j * s + 0.5f * s;
        for (int i = 0; i < m->gw; i++) {
            float x = (float)i * s + 0.5f * s, u = x * kx, v = y * ky;
            float p = 0;
            if (map)
                frame_to_crop(map, x, y, &u, &v), u *= (float)cw,
                    v *= (float)ch;
            if (!map || (u >= 0 && u <= (float)cw && v >= 0 &&
                         v <= (float)ch))
                p = sample(c, cw, ch, stride, u - 0.5f, v - 0.5f);
            m->b.p[(size_t)j * m->gw + i] = p < 0 ? 0 : p > 1 ? 1 : p;
        }
    }
}

/* ---- Grid controls ---- */

/* Motion-aware EMA of p against the previous output (see matte.h). */
static void smooth_temporal(eng_matte *m)
{
    size_t n = (size_t)m->gw * m->gh;
    float k0 = m->d.smoothing, inv = 1.0f / (3.0f * m->d.motion_scale);
    for (size_t i = 0; i < n; i++) {
        const float *g = m->b.guide + i * 3, *q = m->b.prev_guide + i * 3;
        float d = (fabsf(g[0] - q[0]) + fabsf(g[1] - q[1]) +
                   fabsf(g[2] - q[2])) * inv;
        float k = d >= 1 ? 0 : k0 * (1 - d);
        m->b.p[i] += (m->b.smooth[i] - m->b.p[i]) * k;
    }
}

/* Grey-level dilation (max) or erosion (min) with a square of radius r,
 * separable, p in place through tmp. */
static void morph(eng_matte *m, int r, bool dilate)
{
    int w = m->gw, h = m->gh;
    float *p = m->b.p, *t = m->b.tmp;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int lo = x - r < 0 ? 0 : x - r, hi = x + r >= w ? w - 1 : x + r;
            float v = p[(size_t)y * w + lo];
            for (int k = lo + 1; k <= hi; k++) {
                float u = p[(size_t)y * w + k];
                v = dilate ? (u > v ? u : v) : (u < v ? u : v);
            }
            t[(size_t)y * w + x] = v;
        }
    for (int y = 0; y < h; y++) {
        int lo = y - r < 0 ? 0 : y - r, hi = y + r >= h ? h - 1 : y + r;
        for (int x = 0; x < w; x++) {
            float v = t[(size_t)lo * w + x];
            for (int k = lo + 1; k <= hi; k++) {
                float u = t[(size_t)k * w + x];
                v = dilate ? (u > v ? u : v) : (u < v ? u : v);
            }
            p[(size_t)y * w + x] = v;
        }
    }
}

static void grid_controls(eng_matte *m)
{
    size_t n = (size_t)m->gw * m->gh;
    for (size_t i = 0; i < n; i++)
        m->b.p[i] = remap_threshold(m->b.p[i], m->d.threshold);
    int g = (int)lroundf((float)abs(m->d.grow) / (float)m->scale);
    if (g > 0)
        morph(m, g, m->d.grow > 0);
    /* Two box passes of half the width: a tent, smoother than one box. */
    int f = (int)lroundf(m->d.feather / (2.0f * (float)m->scale));
    for (int pass = 0; f > 0 && pass < 2; pass++) {
        eng_box_mean(m->b.p, m->b.coef, m->gw, m->gh, 1, f, m->b.tmp,
                     m->b.acc, eng_runtime_pool(m->rt));
        memcpy(m->b.p, m->b.coef, n * sizeof(float));
    }
}

/* ---- Full-resolution pass (parallel by bands of frame rows) ---- */

typedef struct upsample_task {
    eng_matte *m;
    const float *grid;          /* raw: the coarse mask; else NULL */
    const eng_image *img;
    uint8_t *out;
    int out_stride;
} upsample_task;

static void upsample_band(void *ctx, size_t y0, size_t rows)
{
    const upsample_task *t = ctx;
    eng_matte *m = t->m;
    float *scratch = m->b.rows + (y0 / m->band_rows) * m->row_cap;
    if (t->grid)
        eng_upsample_rows(&m->b.raw_map, t->grid, (int)y0, (int)(y0 + rows),
                          t->out, t->out_stride, scratch, m->lut);
    else
        eng_guided_apply(&m->b.grid_map, m->b.coef, t->img, (int)y0,
                         (int)(y0 + rows), t->out, t->out_stride, scratch);
}

static void run_bands(eng_matte *m, upsample_task *t)
{
    pthreadpool_parallelize_1d_tile_1d(
        (pthreadpool_t)eng_runtime_pool(m->rt), upsample_band, t,
        (size_t)m->height, (size_t)m->band_rows, 0);
}

static eng_status check_hint(const eng_matte_hint *h, eng_error *err)
{
    if (!h->p || h->width < 1 || h->height < 1 || h->stride < h->width)
        return eng_fail(err, ENG_EINVAL,
                        "matte: bad hint (%dx%d, stride %d%s)", h->width,
                        h->height, h->stride, h->p ? "" : ", no data");
    return ENG_OK;
}

/* The model to run on a frame of this size. */
static eng_matte_model pick_model(const eng_matte *m, int W, int H)
{
    if (m->d.model != ENG_MATTE_MODEL_AUTO)
        return m->d.model;
    return W > H ? ENG_MATTE_MODEL_LANDSCAPE : ENG_MATTE_MODEL_GENERAL;
}

/* The coarse mask resized straight to the frame, thresholded (MediaPipe's
 * output, for comparisons and the cheapest mode). ENOMEM only for the
 * first hint of a new, larger width. */
static eng_status raw_output(eng_matte *m, const float *c, int cw, int ch,
                             int stride, uint8_t *alpha, int alpha_stride,
                             eng_error *err)
{
    eng_status st = ensure_rows(m, (size_t)cw, err);
    if (st)
        return st;
    eng_upsample_map_init(&m->b.raw_map, cw, ch, stride, m->width,
                          m->height, (float)cw / (float)m->width,
                          (float)ch / (float)m->height);
    upsample_task t = { m, c, NULL, alpha, alpha_stride };
    run_bands(m, &t);
    return ENG_OK;
}

eng_status eng_matte_process(eng_matte *m, const eng_image *img,
                             const eng_matte_hint *hint, uint8_t *alpha,
                             int alpha_stride, eng_matte_result *res,
                             eng_error *err)
{
    eng_matte_result dummy;
    if (!res)
        res = &dummy;
    memset(res, 0, sizeof(*res));
    if (!m || !img || !img->rgb || !alpha)
        return eng_fail(err, ENG_EINVAL, "matte: NULL argument");
    if (img->width < 1 || img->height < 1 || img->stride < 3 * img->width)
        return eng_fail(err, ENG_EINVAL, "matte: bad image %dx%d stride %d",
                        img->width, img->height, img->stride);
    if (alpha_stride < img->width)
        return eng_fail(err, ENG_EINVAL, "matte: alpha stride %d < width %d",
                        alpha_stride, img->width);
    eng_status st = hint ? check_hint(hint, err) : ENG_OK;
    if (!st && hint && hint->map && m->d.no_refine)
        st = eng_fail(err, ENG_EUNSUPPORTED,
                      "matte: no_refine takes only frame-stretched hints");
    if (st || (st = ensure_size(m, img->width, img->height, err)))
        return st;
    const eng_crop_map *map = hint ? hint->map : NULL;

    /* Coarse mask: the hint, or the model when it is due. */
    const float *c;
    int cw, ch, cstride;
    if (hint) {
        c = hint->p, cw = hint->width, ch = hint->height;
        cstride = hint->stride;
    } else {
        eng_matte_model which = pick_model(m, img->width, img->height);
        if (!m->coarse_w || which != m->coarse_model ||
            m->frame % m->d.matte_every == 0) {
            double t0 = eng_now_ms();
            if ((st = run_model(m, img, which, err)))
                return st;
            res->coarse_ran = true;
            res->model = which;
            res->ms_coarse = eng_now_ms() - t0;
        }
        c = m->coarse, cw = m->coarse_w, ch = m->coarse_h, cstride = cw;
    }
    m->frame++;
    double t0 = eng_now_ms();
    res->grid_width = m->gw, res->grid_height = m->gh;
    if (m->d.no_refine) {
        st = raw_output(m, c, cw, ch, cstride, alpha, alpha_stride, err);
        res->ms_refine = eng_now_ms() - t0;
        return st;
    }

    /* Grid rows in as many items as there are row scratches (bands). */
    guide_task gt = { m, img,
                      ((size_t)m->gh + m->n_bands - 1) / m->n_bands };
    pthreadpool_parallelize_1d_tile_1d(
        (pthreadpool_t)eng_runtime_pool(m->rt), guide_rows, &gt,
        (size_t)m->gh, gt.tile, 0);
    coarse_to_grid(m, c, cw, ch, cstride, map);
    size_t n = (size_t)m->gw * m->gh;
    if (!m->d.no_smoothing) {
        if (m->have_prev)
            smooth_temporal(m);
        memcpy(m->b.smooth, m->b.p, n * sizeof(float));
        memcpy(m->b.prev_guide, m->b.guide, n * 3 * sizeof(float));
        m->have_prev = true;
    }
    grid_controls(m);
    eng_guided_fit(m->b.guide, m->b.p, m->gw, m->gh, m->d.radius, m->d.eps,
                   m->b.coef, m->b.fit, eng_runtime_pool(m->rt));
    upsample_task t = { m, NULL, img, alpha, alpha_stride };
    run_bands(m, &t);
    res->ms_refine = eng_now_ms() - t0;
    return ENG_OK;
}

/* ---- Compositing ---- */

typedef struct composite_task {
    eng_matte *m;
    const eng_image *fg;
    const uint8_t *alpha;
    int alpha_stride;
    const eng_matte_bg *bg;
    uint8_t *out;
    int out_stride;
} composite_task;

static void composite_band(void *ctx, size_t y0, size_t rows)
{
    const composite_task *t = ctx;
    const eng_matte *m = t->m;
    const eng_upsample_map *map = &m->b.grid_map;
    float *row = m->b.rows + (y0 / m->band_rows) * m->row_cap;
    for (int y = (int)y0; y < (int)(y0 + rows); y++) {
        const uint8_t *f = t->fg->rgb + (size_t)y * t->fg->stride;
        const uint8_t *a = t->alpha + (size_t)y * t->alpha_stride;
        uint8_t *o = t->out + (size_t)y * t->out_stride;
        const uint8_t *bgi = t->bg->kind == ENG_MATTE_BG_IMAGE
            ? t->bg->image->rgb + (size_t)y * t->bg->image->stride
            : NULL;
        if (t->bg->kind == ENG_MATTE_BG_BLUR) {
            /* The blurred grid row for this frame row (see upsample). */
            int i0 = map->y0[y], i1 = i0 + 1 < m->gh ? i0 + 1 : i0;
            const float *r0 = m->b.blur + (size_t)i0 * m->gw * 3;
            const float *r1 = m->b.blur + (size_t)i1 * m->gw * 3;
            for (int i = 0; i < m->gw * 3; i++)
                row[i] = r0[i] + (r1[i] - r0[i]) * map->wy[y];
        }
        for (int x = 0; x < m->width; x++) {
            int av = a[x];
            float b[3];
            if (t->bg->kind == ENG_MATTE_BG_COLOR) {
                for (int k = 0; k < 3; k++)
                    b[k] = t->bg->color[k];
            } else if (bgi) {
                for (int k = 0; k < 3; k++)
                    b[k] = bgi[(size_t)x * 3 + k];
            } else {
                int j = map->x0[x], j1 = j + 1 < m->gw ? j + 1 : j;
                for (int k = 0; k < 3; k++)
                    b[k] = row[j * 3 + k] +
                           (row[j1 * 3 + k] - row[j * 3 + k]) * map->wx[x];
            }
            for (int k = 0; k < 3; k++) {
                float v = (f[(size_t)x * 3 + k] * av + b[k] * (255 - av)) *
                          (1.0f / 255.0f);
                o[(size_t)x * 3 + k] = (uint8_t)(v + 0.5f);
            }
        }
    }
}

eng_status eng_matte_composite(eng_matte *m, const eng_image *fg,
                               const uint8_t *alpha, int alpha_stride,
                               const eng_matte_bg *bg, uint8_t *out,
                               int out_stride, eng_error *err)
{
    if (!m || !fg || !fg->rgb || !alpha || !bg || !out)
        return eng_fail(err, ENG_EINVAL, "matte: NULL argument");
    if (!m->width || fg->width != m->width || fg->height != m->height)
        return eng_fail(err, ENG_EINVAL,
                        "matte: composite of %dx%d, last frame %dx%d",
                        fg->width, fg->height, m->width, m->height);
    if (alpha_stride < fg->width || out_stride < 3 * fg->width)
        return eng_fail(err, ENG_EINVAL, "matte: composite strides too small");
    switch (bg->kind) {
    case ENG_MATTE_BG_COLOR:
        break;
    case ENG_MATTE_BG_IMAGE:
        if (!bg->image || !bg->image->rgb ||
            bg->image->width != fg->width || bg->image->height != fg->height)
            return eng_fail(err, ENG_EINVAL,
                            "matte: background image is not %dx%d",
                            fg->width, fg->height);
        break;
    case ENG_MATTE_BG_BLUR: {
        if (m->d.no_refine)
            return eng_fail(err, ENG_EINVAL,
                            "matte: blur needs the refined mode's grid");
        size_t n = (size_t)m->gw * m->gh * 3;
        eng_box_mean(m->b.guide, m->b.coef, m->gw, m->gh, 3, BLUR_RADIUS,
                     m->b.tmp, m->b.acc, eng_runtime_pool(m->rt));
        eng_box_mean(m->b.coef, m->b.blur, m->gw, m->gh, 3, BLUR_RADIUS,
                     m->b.tmp, m->b.acc, eng_runtime_pool(m->rt));
        for (size_t i = 0; i < n; i++)
            m->b.blur[i] *= 255.0f;
        break;
    }
    default:
        return eng_fail(err, ENG_EINVAL, "matte: bad background kind %d",
                        bg->kind);
    }
    composite_task t = { m, fg, alpha, alpha_stride, bg, out, out_stride };
    pthreadpool_parallelize_1d_tile_1d(
        (pthreadpool_t)eng_runtime_pool(m->rt), composite_band, &t,
        (size_t)m->height, (size_t)m->band_rows, 0);
    return ENG_OK;
}
