/*
 * matte_view: see matte_view.h.
 */
#include "matte_view.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "foreground.h"
#include "matte.h"
#include "recorder.h"
#include "source.h"

const char app_matte_view_usage[] =
    "  --matte                 person matte of every frame (any option "
    "below also)\n"
    "  --view V                video, alpha, composite (default) or split "
    "(M cycles)\n"
    "  --background B          #RRGGBB, black, white, green, blue, blur "
    "(default)\n"
    "                          or an image file\n"
    "  --matte-every N         run the segmentation model every N frames\n"
    "  --matte-model M         general, landscape or auto (default)\n"
    "  --matte-from F          selfie (the selfie model, default) or pose "
    "(the body\n"
    "                          model's segmentation of the first person)\n"
    "  --alpha-hint PATH       grey masks (image, folder, video) instead "
    "of the model\n"
    "  --matte-out DIR         DIR/alpha/NAME.png per frame matted "
    "(DIR/fg/ with --fg)\n"
    "  --fg                    with --matte-out: the estimated "
    "foreground too\n";

/* One alpha image and the frame it belongs to. */
typedef struct alpha_buf {
    uint8_t *p;
    size_t cap;
    int w, h;
} alpha_buf;

struct app_matte_view {
    /* set at create */
    const char *out;          /* --matte-out, or NULL */
    bool from_pose;           /* --matte-from pose */
    bool want_fg;
    eng_runtime *rt;
    eng_matte *matte;
    app_source *hint_src;
    pthread_mutex_t mutex;
    /* background: COLOR, BLUR or IMAGE (then bg_rgb, its own size) */
    eng_matte_bg bg;
    uint8_t *bg_rgb;
    int bg_w, bg_h;
    uint8_t *bg_fit;          /* bg_rgb stretched to bg_image's size, for
                                 the CPU composite */
    eng_image bg_image;
    /* engine thread */
    alpha_buf work;
    int serial;
    bool started;
    float *hint;              /* the current hint, probabilities */
    int hint_w, hint_h;
    bool hint_done;           /* the hint source ended: keep its last */
    eng_foreground *fg;       /* --fg: sized for fg_w x fg_h */
    int fg_w, fg_h;
    uint8_t *rgb;             /* grey or foreground for a PNG */
    size_t rgb_cap;
    long frames, runs;
    double ms_coarse, ms_refine;
    /* guarded by mutex */
    alpha_buf ready;
    bool fresh;               /* ready is newer than shown */
    /* display thread */
    alpha_buf shown;
    ren_matte *gl;
    ren_matte_view view;
};

void app_matte_options(app_matte_args *a, app_option *o)
{
    const app_option opts[APP_MATTE_OPTIONS] = {
        { "--matte", APP_OPT_FLAG, &a->matte, 0, 0 },
        { "--view", APP_OPT_STRING, &a->view, 0, 0 },
        { "--background", APP_OPT_STRING, &a->background, 0, 0 },
        { "--matte-every", APP_OPT_INT, &a->matte_every, 1, 1000 },
        { "--matte-model", APP_OPT_STRING, &a->model, 0, 0 },
        { "--alpha-hint", APP_OPT_STRING, &a->hint, 0, 0 },
        { "--matte-out", APP_OPT_STRING, &a->out, 0, 0 },
        { "--fg", APP_OPT_FLAG, &a->fg, 0, 0 },
        { "--matte-from", APP_OPT_STRING, &a->from, 0, 0 },
    };
    memcpy(o, opts, sizeof(opts));
}

/* The first frame of an image file as the background, kept at its own
 * size (the GPU stretches it). */
static eng_status load_background(app_matte_view *mv, const char *path,
                                  eng_error *err)
{
    app_source_desc sd = { .spec = path };
    app_source *s = NULL;
    eng_status st = app_source_open(&sd, &s, err);
    if (st != ENG_OK)
        return st;
    app_frame f;
    int got = app_source_next(s, &f, err);
    if (got == 1) {
        mv->bg_rgb = malloc((size_t)f.width * f.height * 3);
        if (mv->bg_rgb) {
            for (int y = 0; y < f.height; y++)
                memcpy(mv->bg_rgb + (size_t)y * f.width * 3,
                       f.rgb + (size_t)y * f.stride, (size_t)f.width * 3);
            mv->bg_w = f.width, mv->bg_h = f.height;
        } else {
            st = eng_fail(err, ENG_ENOMEM, "out of memory");
        }
    } else {
        st = got ? err->status
                 : eng_fail(err, ENG_EFORMAT, "%s: no image", path);
    }
    app_source_close(s);
    return st;
}

bool app_matte_colour(const char *s, uint8_t rgb[3])
{
    static const struct {
        const char *name;
        uint8_t rgb[3];
    } colours[] = {
        { "black", { 0, 0, 0 } },   { "white", { 255, 255, 255 } },
        { "green", { 0, 255, 0 } }, { "blue", { 0, 0, 255 } },
    };
    unsigned v;
    char tail;
    if (s[0] == '#' && strlen(s) == 7 &&
        sscanf(s + 1, "%6x%c", &v, &tail) == 1) {
        rgb[0] = (uint8_t)(v >> 16);
        rgb[1] = (uint8_t)(v >> 8);
        rgb[2] = (uint8_t)v;
        return true;
    }
    for (size_t i = 0; i < sizeof(colours) / sizeof(colours[0]); i++)
        if (!strcmp(s, colours[i].name)) {
            memcpy(rgb, colours[i].rgb, 3);
            return true;
        }
    return false;
}

/* --background: a colour, blur, or (anything else) an image file. */
static eng_status parse_background(app_matte_view *mv, const char *s,
                                   eng_error *err)
{
    mv->bg.kind = ENG_MATTE_BG_BLUR;
    if (!s || !strcmp(s, "blur"))
        return ENG_OK;
    mv->bg.kind = ENG_MATTE_BG_COLOR;
    if (app_matte_colour(s, mv->bg.color))
        return ENG_OK;
    mv->bg.kind = ENG_MATTE_BG_IMAGE;
    return load_background(mv, s, err);
}

static eng_status parse_view(const char *s, ren_matte_view *out,
                             eng_error *err)
{
    *out = REN_MATTE_COMPOSITE;
    for (int i = 0; s && i < REN_MATTE_VIEW_COUNT; i++)
        if (!strcmp(s, ren_matte_view_name((ren_matte_view)i))) {
            *out = (ren_matte_view)i;
            return ENG_OK;
        }
    return s ? eng_fail(err, ENG_EINVAL, "--view %s: not video, alpha, "
                        "composite or split", s)
             : ENG_OK;
}

static eng_status parse_model(const char *s, eng_matte_model *out,
                              eng_error *err)
{
    static const char *const names[] = { "auto", "general", "landscape" };
    for (int i = 0; i < 3; i++)
        if (!s || !strcmp(s, names[i])) {
            *out = s ? (eng_matte_model)i : ENG_MATTE_MODEL_AUTO;
            return ENG_OK;
        }
    return eng_fail(err, ENG_EINVAL, "--matte-model %s: not general, "
                    "landscape or auto", s);
}

static eng_status open_outputs(const app_matte_args *a, eng_error *err)
{
    const char *subs[2] = { "alpha", a->fg ? "fg" : NULL };
    char path[PATH_MAX];
    eng_status st = ENG_OK;
    for (int i = 0; i < 2 && st == ENG_OK; i++)
        if (subs[i] &&
            (st = app_path(path, err, "%s/%s", a->out, subs[i])) == ENG_OK)
            st = app_mkdir_p(path, err);
    return st;
}

eng_status app_matte_view_create(const app_matte_args *a, int threads,
                                 eng_numerics numerics,
                                 app_matte_view **out, eng_error *err)
{
    *out = NULL;
    if (!a->matte && !a->view && !a->background && !a->matte_every &&
        !a->model && !a->hint && !a->out && !a->fg && !a->from)
        return ENG_OK;
    if (a->fg && !a->out)
        return eng_fail(err, ENG_EINVAL, "--fg needs --matte-out DIR");
    bool from_pose = a->from && !strcmp(a->from, "pose");
    if (a->from && !from_pose && strcmp(a->from, "selfie"))
        return eng_fail(err, ENG_EINVAL, "--matte-from %s: not selfie or "
                        "pose", a->from);
    if (from_pose && a->hint)
        return eng_fail(err, ENG_EINVAL, "--matte-from pose and "
                        "--alpha-hint: one coarse mask only");
    app_matte_view *mv = calloc(1, sizeof(*mv));
    if (!mv)
        return eng_fail(err, ENG_ENOMEM, "out of memory");
    if (pthread_mutex_init(&mv->mutex, NULL) != 0) {
        free(mv);
        return eng_fail(err, ENG_EBACKEND, "pthread init failed");
    }
    mv->out = a->out;
    mv->want_fg = a->fg;
    mv->from_pose = from_pose;
    eng_matte_desc d = eng_matte_defaults();
    char general[PATH_MAX], landscape[PATH_MAX];
    eng_runtime_desc rd = { .threads = threads, .numerics = numerics,
                            .adaptive = 1 };
    eng_status st = parse_view(a->view, &mv->view, err);
    if (st == ENG_OK)
        st = parse_model(a->model, &d.model, err);
    if (st == ENG_OK)
        st = parse_background(mv, a->background, err);
    if (st == ENG_OK && a->matte_every)
        d.matte_every = a->matte_every;
    if (st == ENG_OK && !a->hint && !from_pose &&
        (st = app_model_path("selfie_segmentation", general, err)) == ENG_OK &&
        (st = app_model_path("selfie_segmentation_landscape", landscape,
                         err)) == ENG_OK) {
        d.general_path = general;
        d.landscape_path = landscape;
    }
    if (st == ENG_OK && a->hint) {
        app_source_desc hd = { .spec = a->hint };
        st = app_source_open(&hd, &mv->hint_src, err);
    }
    if (st == ENG_OK && a->out)
        st = open_outputs(a, err);
    if (st == ENG_OK)
        st = eng_runtime_create(&rd, &mv->rt, err);
    if (st == ENG_OK)
        st = eng_matte_create(mv->rt, &d, &mv->matte, err);
    if (st != ENG_OK) {
        app_matte_view_destroy(mv);
        return st;
    }
    *out = mv;
    return ENG_OK;
}

eng_status app_matte_view_configure(const app_matte_view *mv,
                                   app_pipeline_desc *pd, eng_error *err)
{
    if (!mv || !mv->from_pose)
        return ENG_OK;
    if (pd->no_pose)
        return eng_fail(err, ENG_EINVAL, "--matte-from pose needs the body "
                        "task (not --no-pose)");
    pd->pose_segmentation = true;
    return ENG_OK;
}

void app_matte_view_destroy(app_matte_view *mv)
{
    if (!mv)
        return;
    eng_matte_destroy(mv->matte);
    eng_runtime_destroy(mv->rt);
    eng_foreground_destroy(mv->fg);
    app_source_close(mv->hint_src);
    pthread_mutex_destroy(&mv->mutex);
    free(mv->bg_rgb);
    free(mv->bg_fit);
    free(mv->hint);
    free(mv->rgb);
    free(mv->work.p);
    free(mv->ready.p);
    free(mv->shown.p);
    free(mv);
}

/* ---- engine thread ------------------------------------------------------ */

/* Grows *p to hold n bytes (only when a frame is larger than any before). */
static eng_status grow(uint8_t **p, size_t *cap, size_t n, eng_error *err)
{
    if (n <= *cap)
        return ENG_OK;
    free(*p);
    *p = malloc(n);
    *cap = *p ? n : 0;
    return *p ? ENG_OK : eng_fail(err, ENG_ENOMEM, "out of memory");
}

eng_status app_matte_read_hint(app_source *src, float **prob, int *w,
                               int *h, bool *done, eng_error *err)
{
    if (*done)
        return ENG_OK;
    app_frame f;
    int got = app_source_next(src, &f, err);
    if (got < 0)
        return err->status;
    if (got == 0) {
        *done = true;
        return *prob ? ENG_OK
                     : eng_fail(err, ENG_EFORMAT, "--alpha-hint: no frames");
    }
    if (f.width != *w || f.height != *h) {
        free(*prob);
        *prob = malloc((size_t)f.width * f.height * sizeof(float));
        if (!*prob)
            return eng_fail(err, ENG_ENOMEM, "out of memory");
        *w = f.width, *h = f.height;
    }
    for (int y = 0; y < f.height; y++) {
        const uint8_t *p = f.rgb + (size_t)y * f.stride;
        float *o = *prob + (size_t)y * f.width;
        for (int x = 0; x < f.width; x++)
            o[x] = (float)(p[3 * x] + p[3 * x + 1] + p[3 * x + 2]) /
                   (3.0f * 255.0f);
    }
    return ENG_OK;
}

eng_status app_matte_out_path(char *buf, const char *dir, const char *sub,
                              int64_t index, const char *name,
                              eng_error *err)
{
    if (!name)
        return app_path(buf, err, "%s/%s/%06lld.png", dir, sub,
                        (long long)index);
    const char *dot = strrchr(name, '.');
    int stem = dot ? (int)(dot - name) : (int)strlen(name);
    return app_path(buf, err, "%s/%s/%.*s.png", dir, sub, stem, name);
}

static eng_status write_outputs(app_matte_view *mv, const eng_image *img,
                                int64_t index, const char *name,
                                eng_error *err)
{
    int w = img->width, h = img->height;
    char path[PATH_MAX];
    eng_status st = grow(&mv->rgb, &mv->rgb_cap, (size_t)w * h * 3, err);
    if (st != ENG_OK)
        return st;
    for (size_t i = 0; i < (size_t)w * h; i++)
        memset(mv->rgb + 3 * i, mv->work.p[i], 3);
    if ((st = app_matte_out_path(path, mv->out, "alpha", index, name,
                                 err)) ||
        (st = app_write_png(path, mv->rgb, w, h, w * 3, err)))
        return st;
    if (!mv->want_fg)
        return ENG_OK;
    if (w > mv->fg_w || h > mv->fg_h) {
        eng_foreground_destroy(mv->fg);
        mv->fg = NULL;
        mv->fg_w = mv->fg_h = 0;
        if ((st = eng_foreground_create(w, h, &mv->fg, err)) != ENG_OK)
            return st;
        mv->fg_w = w, mv->fg_h = h;
    }
    if ((st = eng_foreground_estimate(mv->fg, img, mv->work.p, w, mv->rgb,
                                      w * 3, err)) ||
        (st = app_matte_out_path(path, mv->out, "fg", index, name,
                                 err)))
        return st;
    return app_write_png(path, mv->rgb, w, h, w * 3, err);
}

/* The coarse mask of this frame: the first person's segmentation from
 * the body task, or nothing (alpha 0) when nobody was found. */
static eng_matte_hint pose_hint(const eng_pose *pose)
{
    static const float nobody = 0;
    const eng_crop_map *map;
    int size;
    const float *seg = pose ? eng_pose_segmentation(pose, 0, &map, &size)
                            : NULL;
    if (!seg)
        return (eng_matte_hint){ 1, 1, 1, &nobody, NULL };
    return (eng_matte_hint){ size, size, size, seg, map };
}

eng_status app_matte_view_process(app_matte_view *mv, const eng_image *img,
                                  const eng_pose *pose, int64_t index,
                                  const char *name, int serial,
                                  eng_error *err)
{
    if (mv->started && serial != mv->serial)
        eng_matte_reset(mv->matte);
    mv->started = true;
    mv->serial = serial;
    int w = img->width, h = img->height;
    eng_status st = grow(&mv->work.p, &mv->work.cap, (size_t)w * h, err);
    if (st == ENG_OK && mv->hint_src)
        st = app_matte_read_hint(mv->hint_src, &mv->hint, &mv->hint_w,
                                 &mv->hint_h, &mv->hint_done, err);
    if (st != ENG_OK)
        return st;
    mv->work.w = w, mv->work.h = h;
    eng_matte_hint hint = { mv->hint_w, mv->hint_h, mv->hint_w, mv->hint,
                            NULL };
    if (mv->from_pose)
        hint = pose_hint(pose);
    eng_matte_result res;
    st = eng_matte_process(mv->matte, img,
                           mv->hint_src || mv->from_pose ? &hint : NULL,
                           mv->work.p, w, &res, err);
    if (st == ENG_OK && mv->out)
        st = write_outputs(mv, img, index, name, err);
    if (st != ENG_OK)
        return st;
    mv->frames++;
    mv->runs += res.coarse_ran;
    mv->ms_coarse += res.ms_coarse;
    mv->ms_refine += res.ms_refine;
    pthread_mutex_lock(&mv->mutex);
    alpha_buf t = mv->ready;
    mv->ready = mv->work;
    mv->work = t;
    mv->fresh = true;
    pthread_mutex_unlock(&mv->mutex);
    return ENG_OK;
}

/* ---- display thread ----------------------------------------------------- */

eng_status app_matte_view_gl_init(app_matte_view *mv, eng_error *err)
{
    if (!mv)
        return ENG_OK;
    eng_status st = ren_matte_create(&mv->gl, err);
    if (st != ENG_OK)
        return st;
    if (mv->bg.kind == ENG_MATTE_BG_COLOR)
        ren_matte_bg_color(mv->gl, mv->bg.color);
    else if (mv->bg.kind == ENG_MATTE_BG_BLUR)
        ren_matte_bg_blur(mv->gl);
    else
        ren_matte_bg_image(mv->gl, mv->bg_rgb, mv->bg_w, mv->bg_h,
                           mv->bg_w * 3);
    return ENG_OK;
}

void app_matte_view_gl_free(app_matte_view *mv)
{
    if (!mv)
        return;
    ren_matte_destroy(mv->gl);
    mv->gl = NULL;
}

/* Makes the newest published alpha the one shown. */
static void take_newest(app_matte_view *mv)
{
    pthread_mutex_lock(&mv->mutex);
    if (mv->fresh) {
        alpha_buf t = mv->shown;
        mv->shown = mv->ready;
        mv->ready = t;
        mv->fresh = false;
    }
    pthread_mutex_unlock(&mv->mutex);
}

void app_matte_view_draw(app_matte_view *mv, ren_renderer *r)
{
    if (!mv || !mv->gl)
        return;
    take_newest(mv);
    if (!mv->shown.p || !mv->shown.w)
        return;
    ren_matte_draw(mv->gl, r, mv->view, mv->shown.p, mv->shown.w,
                   mv->shown.h, mv->shown.w);
    if (mv->view == REN_MATTE_SPLIT) {
        ren_image_info im;
        ren_image_info_get(r, &im);
        float x = 0.5f * (im.x0 + im.x1);
        ren_line(r, x, im.y0, x, im.y1, 2, (app_rgb){ 255, 255, 255 }, 0.8f);
    }
}

/* The background image stretched (bilinear) to w x h, once per size. */
static eng_status fit_background(app_matte_view *mv, int w, int h,
                                 eng_error *err)
{
    if (mv->bg_image.width == w && mv->bg_image.height == h)
        return ENG_OK;
    size_t n = (size_t)w * h * 3;
    float *tmp = malloc(n * sizeof(float));
    free(mv->bg_fit);
    mv->bg_fit = malloc(n);
    mv->bg_image = (eng_image){ 0 };
    if (!tmp || !mv->bg_fit) {
        free(tmp);
        return eng_fail(err, ENG_ENOMEM, "out of memory");
    }
    eng_image src = { mv->bg_w, mv->bg_h, mv->bg_w * 3, mv->bg_rgb };
    const eng_roi all = { 0.5f, 0.5f, 1.0f, 1.0f, 0.0f };
    const eng_crop_desc cd = { .width = w, .height = h, .lo = 0, .hi = 255,
                               .border = ENG_BORDER_REPLICATE };
    eng_crop_map map;
    eng_crop(&src, &all, &cd, tmp, &map);
    for (size_t i = 0; i < n; i++)
        mv->bg_fit[i] = (uint8_t)(tmp[i] + 0.5f);
    free(tmp);
    mv->bg_image = (eng_image){ w, h, w * 3, mv->bg_fit };
    mv->bg.image = &mv->bg_image;
    return ENG_OK;
}

eng_status app_matte_view_draw_cpu(app_matte_view *mv, const eng_image *frame,
                                   uint8_t *rgb, int stride, eng_error *err)
{
    if (!mv)
        return ENG_OK;
    take_newest(mv);
    const alpha_buf *a = &mv->shown;
    int w = frame->width, h = frame->height;
    if (!a->p || a->w != w || a->h != h || mv->view == REN_MATTE_VIDEO)
        return ENG_OK;
    if (mv->view == REN_MATTE_ALPHA) {
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                memset(rgb + (size_t)y * stride + 3 * x,
                       a->p[(size_t)y * w + x], 3);
        return ENG_OK;
    }
    eng_status st = mv->bg.kind == ENG_MATTE_BG_IMAGE
                        ? fit_background(mv, w, h, err)
                        : ENG_OK;
    if (st == ENG_OK)
        st = eng_matte_composite(mv->matte, frame, a->p, w, &mv->bg, rgb,
                                 stride, err);
    /* the split: the frame's own left half back */
    for (int y = 0; st == ENG_OK && mv->view == REN_MATTE_SPLIT && y < h;
         y++)
        memcpy(rgb + (size_t)y * stride, frame->rgb + (size_t)y * frame->stride,
               (size_t)(w / 2) * 3);
    return st;
}

void app_matte_view_cycle(app_matte_view *mv)
{
    if (mv)
        mv->view = (ren_matte_view)((mv->view + 1) % REN_MATTE_VIEW_COUNT);
}

const char *app_matte_view_name(const app_matte_view *mv)
{
    return ren_matte_view_name(mv->view);
}

void app_matte_view_report(const app_matte_view *mv, FILE *f)
{
    if (!mv || !mv->frames)
        return;
    double k = 1.0 / (double)mv->frames;
    fprintf(f, "posescope: matte: %ld frames, model ran %ld times; ms per "
            "frame on the engine thread: coarse %.2f, refine %.2f\n",
            mv->frames, mv->runs, mv->ms_coarse * k, mv->ms_refine * k);
}
