#include "matte_cmd.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "foreground.h"
#include "matte.h"
#include "matte_view.h"
#include "pipeline.h"
#include "recorder.h"
#include "source.h"

const char app_matte_usage[] =
    "  --model M               general, landscape or auto (default: "
    "landscape for wide frames)\n"
    "  --alpha-hint PATH       grey masks (image, folder, video; white = "
    "person) instead of the model\n"
    "  --background B          #RRGGBB, black, white, green, blue, blur or "
    "an image file\n"
    "  --matte-every N         run the model every N frames (default 1)\n"
    "  --threshold T           probability that maps to alpha 0.5 "
    "(default 0.5)\n"
    "  --feather PX, --grow PX soften, dilate (negative: erode) the mask\n"
    "  --no-refine             the model's mask resized, no guided filter\n"
    "  --no-smoothing          no temporal smoothing\n"
    "  --fg                    estimate and write the foreground colours\n"
    "  --frames N, --threads N\n";

typedef struct matte_args {
    const char *out, *model, *hint, *background, *threshold;
    int matte_every, feather, grow, frames, threads;
    int fg, no_refine, no_smoothing;
} matte_args;

/* Everything a run owns; zeroed, then released by run_close(). */
typedef struct matte_run {
    eng_runtime *rt;
    eng_matte *matte;
    eng_foreground *fg;
    app_source *src, *hint_src;
    FILE *csv;
    int w, h;                /* frame size the buffers below are for */
    uint8_t *alpha, *grey, *fg_rgb, *comp, *bg_rgb;
    float *hint;             /* the current hint, probabilities */
    int hint_w, hint_h;
    bool hint_done;          /* a single-image hint: keep the last one */
    eng_matte_bg bg;
    eng_image bg_img;
    const char *bg_file;     /* --background FILE, resized per frame size */
} matte_run;

static void run_close(matte_run *r)
{
    eng_matte_destroy(r->matte);
    eng_foreground_destroy(r->fg);
    eng_runtime_destroy(r->rt);
    app_source_close(r->src);
    app_source_close(r->hint_src);
    if (r->csv)
        fclose(r->csv);
    free(r->alpha);
    free(r->grey);
    free(r->fg_rgb);
    free(r->comp);
    free(r->bg_rgb);
    free(r->hint);
}

/* --background: a colour, blur, or (anything else) an image file. */
static void parse_background(const char *s, matte_run *r)
{
    r->bg.kind = ENG_MATTE_BG_COLOR;
    if (!strcmp(s, "blur")) {
        r->bg.kind = ENG_MATTE_BG_BLUR;
        return;
    }
    if (app_matte_colour(s, r->bg.color))
        return;
    r->bg.kind = ENG_MATTE_BG_IMAGE;
    r->bg_file = s;
}

static eng_status parse_desc(const matte_args *a, eng_matte_desc *d,
                             eng_error *err)
{
    *d = eng_matte_defaults();
    if (!a->model || !strcmp(a->model, "auto"))
        d->model = ENG_MATTE_MODEL_AUTO;
    else if (!strcmp(a->model, "general"))
        d->model = ENG_MATTE_MODEL_GENERAL;
    else if (!strcmp(a->model, "landscape"))
        d->model = ENG_MATTE_MODEL_LANDSCAPE;
    else
        return eng_fail(err, ENG_EINVAL, "--model %s: not general, "
                        "landscape or auto", a->model);
    if (a->threshold) {
        char *end;
        d->threshold = strtof(a->threshold, &end);
        if (*end || !(d->threshold > 0 && d->threshold < 1))
            return eng_fail(err, ENG_EINVAL, "--threshold %s: not a number "
                            "in (0,1)", a->threshold);
    }
    if (a->matte_every)
        d->matte_every = a->matte_every;
    d->feather = (float)a->feather;
    d->grow = a->grow;
    d->no_refine = a->no_refine;
    d->no_smoothing = a->no_smoothing;
    return ENG_OK;
}

/* The background image, stretched (bilinear) to w x h. */
static eng_status load_background(matte_run *r, eng_error *err)
{
    app_source_desc sd = { .spec = r->bg_file };
    app_source *s = NULL;
    eng_status st = app_source_open(&sd, &s, err);
    if (st)
        return st;
    app_frame f;
    int got = app_source_next(s, &f, err);
    if (got != 1) {
        app_source_close(s);
        return got ? ENG_EIO : eng_fail(err, ENG_EFORMAT, "%s: no image",
                                        r->bg_file);
    }
    size_t n = (size_t)r->w * r->h * 3;
    float *tmp = malloc(n * sizeof(float));
    if (!tmp) {
        app_source_close(s);
        return eng_fail(err, ENG_ENOMEM, "out of memory");
    }
    eng_image src = { f.width, f.height, f.stride, f.rgb };
    const eng_roi all = { 0.5f, 0.5f, 1.0f, 1.0f, 0.0f };
    const eng_crop_desc cd = { .width = r->w, .height = r->h, .lo = 0,
                               .hi = 255, .border = ENG_BORDER_REPLICATE };
    eng_crop_map map;
    eng_crop(&src, &all, &cd, tmp, &map);
    for (size_t i = 0; i < n; i++)
        r->bg_rgb[i] = (uint8_t)(tmp[i] + 0.5f);
    free(tmp);
    app_source_close(s);
    r->bg_img = (eng_image){ r->w, r->h, r->w * 3, r->bg_rgb };
    r->bg.image = &r->bg_img;
    return ENG_OK;
}

/* Buffers for a w x h frame (on the first frame and on a size change). */
static eng_status size_buffers(matte_run *r, int w, int h, bool want_fg,
                               eng_error *err)
{
    if (w == r->w && h == r->h)
        return ENG_OK;
    size_t n = (size_t)w * h;
    r->w = w, r->h = h;
    free(r->alpha), free(r->grey), free(r->fg_rgb), free(r->comp);
    free(r->bg_rgb);
    r->alpha = malloc(n);
    r->grey = malloc(n * 3);
    r->fg_rgb = malloc(n * 3);
    r->comp = malloc(n * 3);
    r->bg_rgb = malloc(n * 3);
    if (!r->alpha || !r->grey || !r->fg_rgb || !r->comp || !r->bg_rgb)
        return eng_fail(err, ENG_ENOMEM, "out of memory for %dx%d", w, h);
    if (want_fg) {
        eng_foreground_destroy(r->fg);
        r->fg = NULL;
        eng_status st = eng_foreground_create(w, h, &r->fg, err);
        if (st)
            return st;
    }
    return r->bg_file ? load_background(r, err) : ENG_OK;
}

static eng_status next_hint(matte_run *r, eng_error *err)
{
    return app_matte_read_hint(r->hint_src, &r->hint, &r->hint_w,
                               &r->hint_h, &r->hint_done, err);
}

/* DIR/SUB/NAME.png for frame f. */
static eng_status frame_path(char *buf, const char *dir, const char *sub,
                             const app_frame *f, eng_error *err)
{
    return app_matte_out_path(buf, dir, sub, f->index, f->name, err);
}

typedef struct totals {
    long frames, runs;
    double coarse, refine, fg, comp, refine_min;
    int gw, gh;
} totals;

static eng_status do_frame(matte_run *r, const matte_args *a,
                           const app_frame *f, totals *t, eng_error *err)
{
    char path[PATH_MAX];
    eng_image img = { f->width, f->height, f->stride, f->rgb };
    eng_status st = size_buffers(r, f->width, f->height, a->fg, err);
    if (st || (r->hint_src && (st = next_hint(r, err))))
        return st;
    eng_matte_hint hint = { r->hint_w, r->hint_h, r->hint_w, r->hint, NULL };
    eng_matte_result res;
    st = eng_matte_process(r->matte, &img, r->hint_src ? &hint : NULL,
                           r->alpha, r->w, &res, err);
    if (st)
        return st;
    size_t n = (size_t)r->w * r->h;
    for (size_t i = 0; i < n; i++)
        memset(r->grey + i * 3, r->alpha[i], 3);
    if ((st = frame_path(path, a->out, "alpha", f, err)) ||
        (st = app_write_png(path, r->grey, r->w, r->h, r->w * 3, err)))
        return st;
    double ms_fg = 0, ms_comp = 0;
    eng_image src = img;
    if (a->fg) {
        double t0 = app_now();
        st = eng_foreground_estimate(r->fg, &img, r->alpha, r->w, r->fg_rgb,
                                     r->w * 3, err);
        ms_fg = (app_now() - t0) * 1e3;
        if (st || (st = frame_path(path, a->out, "fg", f, err)) ||
            (st = app_write_png(path, r->fg_rgb, r->w, r->h, r->w * 3, err)))
            return st;
        src = (eng_image){ r->w, r->h, r->w * 3, r->fg_rgb };
    }
    if (a->background) {
        double t0 = app_now();
        st = eng_matte_composite(r->matte, &src, r->alpha, r->w, &r->bg,
                                 r->comp, r->w * 3, err);
        ms_comp = (app_now() - t0) * 1e3;
        if (st || (st = frame_path(path, a->out, "composite", f, err)) ||
            (st = app_write_png(path, r->comp, r->w, r->h, r->w * 3, err)))
            return st;
    }
    fprintf(r->csv, "%lld,%d,%.3f,%.3f,%.3f,%.3f\n", (long long)f->index,
            res.coarse_ran, res.ms_coarse, res.ms_refine, ms_fg, ms_comp);
    t->frames++, t->runs += res.coarse_ran;
    t->coarse += res.ms_coarse, t->refine += res.ms_refine;
    t->fg += ms_fg, t->comp += ms_comp;
    if (t->frames == 1 || res.ms_refine < t->refine_min)
        t->refine_min = res.ms_refine;
    t->gw = res.grid_width, t->gh = res.grid_height;
    return ENG_OK;
}

static eng_status open_all(matte_run *r, const matte_args *a,
                           const char *spec, eng_error *err)
{
    eng_matte_desc d;
    char general[PATH_MAX], landscape[PATH_MAX];
    eng_status st = parse_desc(a, &d, err);
    if (st)
        return st;
    if (!a->hint) {
        if ((st = app_model_path("selfie_segmentation", general, err)) ||
            (st = app_model_path("selfie_segmentation_landscape", landscape,
                             err)))
            return st;
        d.general_path = general, d.landscape_path = landscape;
    }
    if (a->background)
        parse_background(a->background, r);
    eng_runtime_desc rd = { .threads = a->threads, .adaptive = 1 };
    if ((st = eng_runtime_create(&rd, &r->rt, err)) ||
        (st = eng_matte_create(r->rt, &d, &r->matte, err)))
        return st;
    app_source_desc sd = { .spec = spec };
    if ((st = app_source_open(&sd, &r->src, err)))
        return st;
    if (a->hint) {
        app_source_desc hd = { .spec = a->hint };
        if ((st = app_source_open(&hd, &r->hint_src, err)))
            return st;
    }
    const char *subs[] = { "alpha", a->fg ? "fg" : NULL,
                           a->background ? "composite" : NULL };
    char path[PATH_MAX];
    for (int i = 0; i < 3; i++)
        if (subs[i] &&
            ((st = app_path(path, err, "%s/%s", a->out, subs[i])) ||
             (st = app_mkdir_p(path, err))))
            return st;
    if ((st = app_path(path, err, "%s/matte.csv", a->out)))
        return st;
    r->csv = fopen(path, "w");
    if (!r->csv)
        return eng_fail(err, ENG_EIO, "%s: cannot create", path);
    fprintf(r->csv, "frame,coarse_ran,coarse_ms,refine_ms,fg_ms,"
                    "composite_ms\n");
    return ENG_OK;
}

app_status app_matte_cmd(int argc, char **argv, eng_error *err)
{
    matte_args a = { 0 };
    const app_option opts[] = {
        { "--out", APP_OPT_STRING, &a.out, 0, 0 },
        { "--model", APP_OPT_STRING, &a.model, 0, 0 },
        { "--alpha-hint", APP_OPT_STRING, &a.hint, 0, 0 },
        { "--background", APP_OPT_STRING, &a.background, 0, 0 },
        { "--threshold", APP_OPT_STRING, &a.threshold, 0, 0 },
        { "--matte-every", APP_OPT_INT, &a.matte_every, 1, 1000 },
        { "--feather", APP_OPT_INT, &a.feather, 0, 1000 },
        { "--grow", APP_OPT_INT, &a.grow, -1000, 1000 },
        { "--frames", APP_OPT_INT, &a.frames, 1, INT_MAX },
        { "--threads", APP_OPT_INT, &a.threads, 0, 256 },
        { "--fg", APP_OPT_FLAG, &a.fg, 0, 0 },
        { "--no-refine", APP_OPT_FLAG, &a.no_refine, 0, 0 },
        { "--no-smoothing", APP_OPT_FLAG, &a.no_smoothing, 0, 0 },
    };
    char *pos[1];
    int n_pos = 0;
    app_status as = app_parse_options(argc, argv, opts,
                                      sizeof(opts) / sizeof(opts[0]), pos, 1,
                                      &n_pos, err);
    if (as != APP_OK)
        return as;
    if (n_pos != 1 || !a.out) {
        eng_fail(err, ENG_EINVAL, "matte needs a SOURCE and --out DIR");
        return APP_USAGE;
    }
    matte_run r = { 0 };
    totals t = { 0 };
    eng_status st = open_all(&r, &a, pos[0], err);
    if (st) {
        run_close(&r);
        return st == ENG_EINVAL ? APP_BAD_INPUT : APP_FAILED;
    }
    app_frame f;
    int got = 0;
    while ((!a.frames || t.frames < a.frames) &&
           (got = app_source_next(r.src, &f, err)) == 1)
        if ((st = do_frame(&r, &a, &f, &t, err)))
            break;
    if (!st && got < 0 && (!a.frames || t.frames < a.frames))
        st = err->status ? err->status : ENG_EIO;
    run_close(&r);
    if (st)
        return st == ENG_EINVAL ? APP_BAD_INPUT : APP_FAILED;
    double k = t.frames ? 1.0 / t.frames : 0;
    printf("matte: %ld frames, grid %dx%d, model ran %ld times; ms per "
           "frame: coarse %.2f (%.2f per run), refine %.2f (min %.2f), "
           "foreground %.2f, composite %.2f\n",
           t.frames, t.gw, t.gh, t.runs, t.coarse * k,
           t.runs ? t.coarse / t.runs : 0, t.refine * k, t.refine_min,
           t.fg * k, t.comp * k);
    return APP_OK;
}
