/*
 * headless: see headless.h.
 */
#include "headless.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "annotate.h"
#include "mesh_view.h"
#include "matte_view.h"
#include "pipeline.h"
#include "plot.h"
#include "recorder.h"
#include "render.h"
#include "results_io.h"
#include "source.h"
#include "window.h"

const char app_headless_usage[] =
    "  --out DIR               where the results go (required)\n"
    "  --sequence              a folder's images are video frames, not "
    "independent\n"
    "  --detector-stride N|auto  detector every Nth frame, or only when "
    "tracking\n"
    "                          is lost (default auto)\n"
    "  --no-smoothing          raw landmarks (no One-Euro filter)\n"
    "  --frames N              stop after N frames (the window: N frames "
    "shown)\n"
    "  --mesh-vertices         each fitted hand's mesh vertices in "
    "results.jsonl\n"
    "  --export-obj            each fitted hand's mesh as "
    "DIR/meshes/NAME_hand<id>.obj\n";

/* Set by SIGINT/SIGTERM; the loop stops after the frame in hand. */
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* SA_RESETHAND: a second Ctrl-C kills at once, for a stuck run. */
static void catch_signals(struct sigaction old[2])
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    stop_requested = 0;
    sigaction(SIGINT, &sa, &old[0]);
    sigaction(SIGTERM, &sa, &old[1]);
}

static void restore_signals(const struct sigaction old[2])
{
    sigaction(SIGINT, &old[0], NULL);
    sigaction(SIGTERM, &old[1], NULL);
}

/* Everything a run writes, and the buffers it reuses every frame. */
typedef struct run {
    const char *dir;
    bool images;              /* annotated PNGs instead of an MP4 */
    double fps;
    FILE *jsonl, *csv;
    app_recorder *rec;        /* opened at the first frame */
    app_latency_log *log;     /* ~115 KB: on the heap */
    uint8_t *canvas;          /* the frame copy the overlays go on */
    size_t canvas_cap;
    /* the window's renderer on a hidden window, when there is a display
     * with OpenGL 3.3: the same pixels as the window; else NULL and the
     * software annotator draws */
    ren_window *win;
    ren_renderer *ren;
    app_mesh_view *mesh_view; /* with ren and mesh: the window's meshes */
    app_frame_result res;
    app_matte_view *matte;    /* NULL without --matte */
    bool static_images;       /* each image mattes afresh */
    const eng_handmesh *mesh; /* NULL without hand meshes */
    bool mesh_vertices, export_obj;
    int max_frames;           /* 0: all */
    float *verts;             /* one skinned mesh, for both outputs */
    /* progress bar */
    bool tty;
    double started, last_draw;
} run;

static FILE *open_out(const char *dir, const char *name, eng_error *err)
{
    char path[PATH_MAX];
    if (app_path(path, err, "%s/%s", dir, name) != ENG_OK)
        return NULL;
    FILE *f = fopen(path, "w");
    if (!f)
        eng_fail(err, ENG_EIO, "%s: %s", path, strerror(errno));
    return f;
}

static eng_status open_run(run *r, eng_error *err)
{
    eng_status st = app_mkdir_p(r->dir, err);
    if (st != ENG_OK)
        return st;
    if (r->images) {
        char path[PATH_MAX];
        st = app_path(path, err, "%s/annotated", r->dir);
        if (st == ENG_OK)
            st = app_mkdir_p(path, err);
        if (st != ENG_OK)
            return st;
    }
    if (r->mesh && r->export_obj) {
        char path[PATH_MAX];
        st = app_path(path, err, "%s/meshes", r->dir);
        if (st == ENG_OK)
            st = app_mkdir_p(path, err);
        if (st != ENG_OK)
            return st;
    }
    r->log = calloc(1, sizeof(*r->log));
    if (r->mesh && (r->mesh_vertices || r->export_obj))
        r->verts = malloc((size_t)eng_handmesh_max_verts(r->mesh) * 3 *
                          sizeof(float));
    if (!r->log || (r->mesh && (r->mesh_vertices || r->export_obj) &&
                    !r->verts))
        return eng_fail(err, ENG_ENOMEM, "out of memory");
    if (!(r->jsonl = open_out(r->dir, "results.jsonl", err)) ||
        !(r->csv = open_out(r->dir, "latency.csv", err)))
        return ENG_EIO;
    if (app_latency_csv_header(r->csv) != 0 || fflush(r->csv) != 0)
        return eng_fail(err, ENG_EIO, "%s/latency.csv: %s", r->dir,
                        strerror(errno));
    /* no display or no OpenGL 3.3 is not an error: software overlays */
    eng_error gl_err;
    ren_window_desc wd = { .hidden = true, .width = 64, .height = 64 };
    if (ren_window_create(&wd, &r->win, &gl_err) == ENG_OK &&
        (ren_create(NULL, &r->ren, &gl_err) != ENG_OK ||
         app_matte_view_gl_init(r->matte, &gl_err) != ENG_OK)) {
        ren_destroy(r->ren);
        r->ren = NULL;
        ren_window_destroy(r->win);
        r->win = NULL;
    }
    if (r->ren && r->mesh)
        return app_mesh_view_create(r->mesh, &r->mesh_view, err);
    return ENG_OK;
}

static eng_status close_file(FILE **f, const char *dir, const char *name,
                             eng_status st, eng_error *err)
{
    if (!*f)
        return st;
    int bad = ferror(*f) | fclose(*f);
    *f = NULL;
    if (bad && st == ENG_OK)
        return eng_fail(err, ENG_EIO, "%s/%s: write error", dir, name);
    return st;
}

/* Closes every output (also after an error or a signal, so each file is
 * valid up to the last frame written) and writes the latency plot. The
 * first error wins. */
static eng_status close_run(run *r, eng_status st, eng_error *err)
{
    eng_error e2;
    eng_error *cerr = st == ENG_OK ? err : &e2;
    eng_status cst = app_recorder_close(r->rec, cerr);
    r->rec = NULL;
    if (st == ENG_OK)
        st = cst;
    st = close_file(&r->jsonl, r->dir, "results.jsonl", st, err);
    st = close_file(&r->csv, r->dir, "latency.csv", st, err);
    if (r->log) {
        char path[PATH_MAX];
        cerr = st == ENG_OK ? err : &e2;
        cst = app_path(path, cerr, "%s/latency.png", r->dir);
        if (cst == ENG_OK)
            cst = app_plot_write_png(r->log, path, 0, 0, cerr);
        if (st == ENG_OK)
            st = cst;
    }
    free(r->log);
    free(r->canvas);
    free(r->verts);
    if (r->ren)
        app_matte_view_gl_free(r->matte);
    app_mesh_view_destroy(r->mesh_view);
    ren_destroy(r->ren);
    ren_window_destroy(r->win);
    return st;
}

/* ---- one frame ---------------------------------------------------------- */

static eng_status write_results(run *r, const app_frame *f, eng_error *err)
{
    app_frame_meta m = {
        .frame = f->index,
        .t = f->t,
        .source = f->name,
        .width = f->width,
        .height = f->height,
        .mesh_vertices = r->mesh_vertices ? r->mesh : NULL,
        .vertex_scratch = r->verts,
    };
    /* Flushed per frame: a killed run leaves whole lines behind. */
    if (app_results_write_json(r->jsonl, &m, &r->res) != 0 ||
        fflush(r->jsonl) != 0)
        return eng_fail(err, ENG_EIO, "%s/results.jsonl: %s", r->dir,
                        strerror(errno));
    if (app_latency_csv_row(r->csv, f->index, &r->res.times) != 0 ||
        fflush(r->csv) != 0)
        return eng_fail(err, ENG_EIO, "%s/latency.csv: %s", r->dir,
                        strerror(errno));
    app_latency_log_add(r->log, &r->res.times);
    return ENG_OK;
}

/* Each fitted hand as DIR/meshes/<frame or image name>_hand<id>.obj, in
 * the world landmarks' frame (metres). */
static eng_status export_meshes(run *r, const app_frame *f, eng_error *err)
{
    const eng_handmesh_result *mr = &r->res.meshes;
    for (int i = 0; i < mr->n_meshes; i++) {
        const eng_hand_mesh *m = &mr->meshes[i];
        if (!m->ok)
            continue;
        const eng_handmodel *model = eng_handmesh_model(r->mesh, m->side);
        eng_handmesh_vertices(r->mesh, m, r->verts);
        eng_handfit_to_world(&m->fit, r->verts, model->n_verts);
        char path[PATH_MAX];
        const char *dot = f->name ? strrchr(f->name, '.') : NULL;
        eng_status st =
            f->name ? app_path(path, err, "%s/meshes/%.*s_hand%d.obj", r->dir,
                               dot ? (int)(dot - f->name)
                                   : (int)strlen(f->name),
                               f->name, m->hand_id)
                    : app_path(path, err, "%s/meshes/%06lld_hand%d.obj",
                               r->dir, (long long)f->index, m->hand_id);
        if (st == ENG_OK)
            st = eng_handmodel_write_obj(model, r->verts, path, err);
        if (st != ENG_OK)
            return st;
    }
    return ENG_OK;
}

/* The annotated PNG of an image: DIR/annotated/<name without ext>.png. */
static eng_status write_png(run *r, const app_frame *f, const app_canvas *c,
                            eng_error *err)
{
    const char *name = f->name ? f->name : "frame";
    const char *dot = strrchr(name, '.');
    int stem = dot ? (int)(dot - name) : (int)strlen(name);
    char path[PATH_MAX];
    eng_status st = app_path(path, err, "%s/annotated/%.*s.png", r->dir,
                             stem, name);
    if (st == ENG_OK)
        st = app_write_png(path, c->rgb, c->width, c->height, c->stride,
                           err);
    return st;
}

/* The overlays onto r->canvas: through the window's renderer when there
 * is one (a recording then shows what the window would), else the
 * software annotator. */
static eng_status draw_overlays(run *r, const app_frame *f, app_canvas *c,
                                eng_error *err)
{
    const app_frame_result *res = &r->res;
    if (!r->ren) {
        memcpy(c->rgb, f->rgb, (size_t)f->stride * f->height);
        eng_image img = { f->width, f->height, f->stride, f->rgb };
        eng_status st = app_matte_view_draw_cpu(r->matte, &img, c->rgb,
                                                c->stride, err);
        if (st != ENG_OK)
            return st;
        app_draw_results(c, res->pose.people, res->pose.n_people,
                         res->hands.hands, res->hands.n_hands, NULL);
        return ENG_OK;
    }
    eng_status st = ren_begin(r->ren, f->width, f->height, err);
    if (st != ENG_OK)
        return st;
    ren_image(r->ren, f->rgb, f->width, f->height, f->stride);
    app_matte_view_draw(r->matte, r->ren);
    if (r->mesh_view)
        app_mesh_view_draw(r->mesh_view, r->ren, &res->meshes);
    ren_results(r->ren, res->pose.people, res->pose.n_people,
                res->hands.hands, res->hands.n_hands, NULL);
    st = ren_end(r->ren, err);
    return st == ENG_OK ? ren_read_rgb(r->ren, c->rgb, c->stride, err) : st;
}

static eng_status write_annotated(run *r, const app_frame *f, eng_error *err)
{
    size_t need = (size_t)f->stride * f->height;
    if (need > r->canvas_cap) {
        free(r->canvas);
        r->canvas = malloc(need);
        r->canvas_cap = r->canvas ? need : 0;
        if (!r->canvas)
            return eng_fail(err, ENG_ENOMEM, "out of memory");
    }
    app_canvas c = { f->width, f->height, f->stride, r->canvas };
    eng_status st = draw_overlays(r, f, &c, err);
    if (st != ENG_OK)
        return st;
    if (r->images)
        return write_png(r, f, &c, err);
    if (!r->rec) {
        char path[PATH_MAX];
        st = app_path(path, err, "%s/annotated.mp4", r->dir);
        if (st == ENG_OK)
            st = app_recorder_open(path, f->width, f->height, r->fps,
                                   &r->rec, err);
        if (st != ENG_OK)
            return st;
    }
    return app_recorder_write(r->rec, c.rgb, c.stride, f->t, err);
}

/* ---- progress ----------------------------------------------------------- */

static void draw_progress(run *r, int64_t done, int64_t total, bool last)
{
    double now = app_now();
    if (!r->tty || (!last && now - r->last_draw < 0.1))
        return;
    r->last_draw = now;
    double elapsed = now - r->started;
    double fps = elapsed > 0 ? (double)done / elapsed : 0;
    if (total <= 0 || done > total) {
        fprintf(stderr, "\r  %lld frames  %.1f fps   ", (long long)done, fps);
    } else {
        enum { WIDTH = 30 };
        int fill = (int)(WIDTH * done / total);
        char bar[WIDTH + 1];
        memset(bar, '#', (size_t)fill);
        memset(bar + fill, '-', (size_t)(WIDTH - fill));
        bar[WIDTH] = '\0';
        int eta = fps > 0 ? (int)((double)(total - done) / fps + 0.5) : 0;
        fprintf(stderr, "\r  [%s] %lld/%lld %3d%%  %.1f fps  ETA %d:%02d ",
                bar, (long long)done, (long long)total,
                (int)(100 * done / total), fps, eta / 60, eta % 60);
    }
    if (last)
        fputc('\n', stderr);
}

/* ---- the loop ----------------------------------------------------------- */

static eng_status process_all(run *r, app_source *src, app_pipeline *pl,
                              int64_t *frames, eng_error *err)
{
    app_source_info info;
    app_source_get_info(src, &info);
    int64_t total = info.frame_count;
    if (r->max_frames && (total <= 0 || total > r->max_frames))
        total = r->max_frames;
    r->started = r->last_draw = app_now();
    eng_status st = ENG_OK;
    while (st == ENG_OK && !stop_requested &&
           (!r->max_frames || *frames < r->max_frames)) {
        app_frame f;
        int got = app_source_next(src, &f, err);
        if (got <= 0) {
            st = got < 0 ? err->status : ENG_OK;
            break;
        }
        double t1 = app_now();
        eng_image img = { f.width, f.height, f.stride, f.rgb };
        st = app_pipeline_run(pl, &img, f.t, &r->res, err);
        /* independent images: a new serial per image resets the matte */
        if (st == ENG_OK && r->matte)
            st = app_matte_view_process(r->matte, &img, app_pipeline_pose(pl),
                                        f.index, f.name,
                                        r->static_images ? (int)f.index : 0,
                                        err);
        r->res.times.ms[APP_STAGE_DECODE] = (float)f.decode_ms;
        r->res.times.ms[APP_STAGE_TOTAL] =
            (float)(f.decode_ms + (app_now() - t1) * 1e3);
        if (st == ENG_OK)
            st = write_results(r, &f, err);
        if (st == ENG_OK && r->export_obj && r->mesh)
            st = export_meshes(r, &f, err);
        if (st == ENG_OK)
            st = write_annotated(r, &f, err);
        if (st == ENG_OK)
            ++*frames;
        draw_progress(r, *frames, total, false);
    }
    draw_progress(r, *frames, total, true);
    return st;
}

/* ---- the command -------------------------------------------------------- */

typedef struct headless_args {
    app_pipeline_args pl;
    app_matte_args matte;
    const char *out;
    int sequence, headless, mesh_vertices, export_obj, frames;
} headless_args;

static app_status parse_args(int argc, char **argv, headless_args *a,
                             const char **spec, eng_error *err)
{
    const app_option own[] = {
        { "--out", APP_OPT_STRING, &a->out, 0, 0 },
        { "--sequence", APP_OPT_FLAG, &a->sequence, 0, 0 },
        { "--headless", APP_OPT_FLAG, &a->headless, 0, 0 },
        { "--mesh-vertices", APP_OPT_FLAG, &a->mesh_vertices, 0, 0 },
        { "--export-obj", APP_OPT_FLAG, &a->export_obj, 0, 0 },
        { "--frames", APP_OPT_INT, &a->frames, 1, INT_MAX },
    };
    enum { N_OWN = sizeof(own) / sizeof(own[0]) };
    _Static_assert(N_OWN + APP_MATTE_OPTIONS <= APP_PIPELINE_MAX_EXTRA,
                   "the headless options and the matte's fit");
    app_option extra[N_OWN + APP_MATTE_OPTIONS];
    memcpy(extra, own, sizeof(own));
    app_matte_options(&a->matte, extra + N_OWN);
    app_status st = app_pipeline_parse(argc, argv, &a->pl, true, extra,
                                       N_OWN + APP_MATTE_OPTIONS,
                                       "--headless", spec, err);
    if (st != APP_OK)
        return st;
    if (!a->out) {
        eng_fail(err, ENG_EINVAL, "--headless needs --out DIR");
        return APP_USAGE;
    }
    return APP_OK;
}

/* Model files that are missing are the user's set-up (1); corrupt ones
 * are bad input files (2), as for `posescope model`. */
static app_status status_of_create(eng_status st)
{
    return st == ENG_EFORMAT || st == ENG_EUNSUPPORTED ? APP_BAD_INPUT
                                                       : APP_FAILED;
}

static app_status run_headless(const headless_args *a, app_source *src,
                               app_pipeline_desc *pd, eng_error *err)
{
    app_source_info info;
    app_source_get_info(src, &info);
    bool images = info.kind == APP_SOURCE_IMAGE ||
                  info.kind == APP_SOURCE_FOLDER;
    pd->static_images = images && !a->sequence;
    app_pipeline *pl = NULL;
    app_matte_view *mv = NULL;
    eng_status st = app_matte_view_create(&a->matte, pd->threads,
                                          pd->numerics, &mv, err);
    if (st == ENG_OK)
        st = app_matte_view_configure(mv, pd, err);
    if (st == ENG_OK)
        st = app_pipeline_create(pd, &pl, err);
    if (st != ENG_OK) {
        app_matte_view_destroy(mv);
        app_pipeline_destroy(pl);
        return st == ENG_EINVAL ? APP_USAGE : status_of_create(st);
    }
    run r = {
        .matte = mv,
        .static_images = pd->static_images,
        .dir = a->out,
        .images = images,
        .fps = info.fps > 0 ? info.fps : 30,
        .tty = isatty(STDERR_FILENO),
        .mesh = app_pipeline_handmesh(pl),
        .mesh_vertices = a->mesh_vertices,
        .export_obj = a->export_obj,
        .max_frames = a->frames,
    };
    int64_t frames = 0;
    struct sigaction old[2];
    catch_signals(old);
    st = open_run(&r, err);
    if (st == ENG_OK)
        st = process_all(&r, src, pl, &frames, err);
    bool gl = r.ren != NULL;
    st = close_run(&r, st, err);
    restore_signals(old);
    app_matte_view_report(mv, stderr);
    app_matte_view_destroy(mv);
    app_pipeline_destroy(pl);
    if (st != ENG_OK)
        return APP_FAILED;
    app_source_get_info(src, &info);
    if (stop_requested) {
        eng_fail(err, ENG_EIO, "interrupted after %lld frames; %s holds "
                 "valid results up to there", (long long)frames, a->out);
        return APP_FAILED;
    }
    printf("%lld frames (%lld damaged, skipped) -> %s/results.jsonl, "
           "latency.csv, latency.png, %s (%s overlays)\n",
           (long long)frames, (long long)info.skipped, a->out,
           images ? "annotated/*.png" : "annotated.mp4",
           gl ? "OpenGL" : "software");
    return APP_OK;
}

app_status app_headless_cmd(int argc, char **argv, eng_error *err)
{
    headless_args a = { 0 };
    const char *spec = NULL;
    app_status ast = parse_args(argc, argv, &a, &spec, err);
    if (ast != APP_OK)
        return ast;
    app_pipeline_desc pd;
    if (app_pipeline_desc_from_args(&a.pl, &pd, err) != ENG_OK)
        return APP_USAGE;
    app_source *src;
    app_source_desc sd = { .spec = spec };
    if (app_source_open(&sd, &src, err) != ENG_OK)
        return APP_BAD_INPUT;
    ast = run_headless(&a, src, &pd, err);
    app_source_close(src);
    return ast;
}
