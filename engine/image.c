#include "image.h"

#include <math.h>
#include <stddef.h>

/* Grows the ROI to the tensor's aspect ratio (MediaPipe's PadRoi) and
 * records the letterbox as fractions of the tensor. */
static void letterbox(const eng_crop_desc *d, eng_crop_map *m)
{
    m->pad_l = m->pad_t = m->pad_r = m->pad_b = 0.0f;
    if (!d->keep_aspect || m->w <= 0.0f || m->h <= 0.0f)
        return;
    float tensor_aspect = (float)d->height / (float)d->width;
    float roi_aspect = m->h / m->w;
    if (tensor_aspect > roi_aspect) {
        float h = m->w * tensor_aspect;
        m->pad_t = m->pad_b = (1.0f - m->h / h) / 2.0f;
        m->h = h;
    } else {
        float w = m->h / tensor_aspect;
        m->pad_l = m->pad_r = (1.0f - m->w / w) / 2.0f;
        m->w = w;
    }
}

static int clampi(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* One bilinear RGB sample at index-space point (x, y) (pixel centres at
 * integers). */
static void sample(const eng_image *img, eng_border border, float x, float y,
                   float rgb[3])
{
    float fx = floorf(x), fy = floorf(y);
    /* Far outside: avoid int overflow, the result is the border anyway. */
    if (!(fx > -4.0f && fy > -4.0f && fx < img->width + 4.0f &&
          fy < img->height + 4.0f)) {
        fx = fminf(fmaxf(fx, -4.0f), (float)img->width + 4.0f);
        fy = fminf(fmaxf(fy, -4.0f), (float)img->height + 4.0f);
    }
    int x0 = (int)fx, y0 = (int)fy;
    float ax = x - fx, ay = y - fy;
    if (!(ax >= 0.0f && ax <= 1.0f))
        ax = 0.0f;
    if (!(ay >= 0.0f && ay <= 1.0f))
        ay = 0.0f;
    float wts[4] = {(1 - ax) * (1 - ay), ax * (1 - ay), (1 - ax) * ay, ax * ay};
    rgb[0] = rgb[1] = rgb[2] = 0.0f;
    for (int k = 0; k < 4; k++) {
        int xi = x0 + (k & 1), yi = y0 + (k >> 1);
        if (xi < 0 || yi < 0 || xi >= img->width || yi >= img->height) {
            if (border == ENG_BORDER_ZERO)
                continue;
            xi = clampi(xi, 0, img->width - 1);
            yi = clampi(yi, 0, img->height - 1);
        }
        const uint8_t *p = img->rgb + (size_t)yi * img->stride + 3 * xi;
        rgb[0] += wts[k] * p[0];
        rgb[1] += wts[k] * p[1];
        rgb[2] += wts[k] * p[2];
    }
}

void eng_crop(const eng_image *img, const eng_roi *roi,
              const eng_crop_desc *d, float *out, eng_crop_map *m)
{
    m->cx = roi->cx * img->width;
    m->cy = roi->cy * img->height;
    m->w = m->roi_w = roi->w * img->width;
    m->h = m->roi_h = roi->h * img->height;
    m->cos_r = cosf(roi->rotation);
    m->sin_r = sinf(roi->rotation);
    letterbox(d, m);
    float scale = (d->hi - d->lo) / 255.0f;
    /* Step of one tensor pixel along a row, in frame pixels. */
    float sx = m->w / d->width;
    float row_dx = m->cos_r * sx, row_dy = m->sin_r * sx;
    for (int i = 0; i < d->height; i++) {
        float v = (i + 0.5f) / d->height - 0.5f;
        float u = 0.5f / d->width - 0.5f;
        float dx = u * m->w, dy = v * m->h;
        /* -0.5: continuous coordinates to pixel-index space. */
        float x = m->cx + m->cos_r * dx - m->sin_r * dy - 0.5f;
        float y = m->cy + m->sin_r * dx + m->cos_r * dy - 0.5f;
        float *o = out + (size_t)i * d->width * 3;
        for (int j = 0; j < d->width; j++) {
            float rgb[3];
            sample(img, d->border, x, y, rgb);
            o[0] = d->lo + rgb[0] * scale;
            o[1] = d->lo + rgb[1] * scale;
            o[2] = d->lo + rgb[2] * scale;
            o += 3;
            x += row_dx;
            y += row_dy;
        }
    }
}

void eng_crop_unletterbox(const eng_crop_map *m, float *u, float *v)
{
    float sw = 1.0f - m->pad_l - m->pad_r, sh = 1.0f - m->pad_t - m->pad_b;
    *u = (*u - m->pad_l) / (sw > 0.0f ? sw : 1.0f);
    *v = (*v - m->pad_t) / (sh > 0.0f ? sh : 1.0f);
}

void eng_crop_to_frame(const eng_crop_map *m, float u, float v, float *x,
                       float *y)
{
    eng_crop_unletterbox(m, &u, &v);
    float dx = (u - 0.5f) * m->roi_w, dy = (v - 0.5f) * m->roi_h;
    *x = m->cx + m->cos_r * dx - m->sin_r * dy;
    *y = m->cy + m->sin_r * dx + m->cos_r * dy;
}
