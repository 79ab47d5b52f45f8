/*
 * viewer: see viewer.h.
 */
#include "viewer.h"

#include <SDL2/SDL.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "headless.h"
#include "mesh_view.h"
#include "matte_view.h"
#include "panel.h"
#include "player.h"
#include "recorder.h"
#include "recq.h"
#include "render.h"
#include "results_io.h"
#include "window.h"
#include "worker.h"

const char app_viewer_usage[] =
    "  --sync                  every frame waits for its own result "
    "(exact recordings)\n"
    "  --fast                  files as fast as possible, not at their "
    "rate\n"
    "  --loop                  files start again at the end\n"
    "  --record FILE.mp4       record what the window shows from the "
    "start (R toggles)\n"
    "  --record-frames DIR     also write every frame shown as "
    "DIR/frame-NNNNNN.png\n"
    "  --results FILE          write the results drawn on each frame "
    "(results.jsonl format)\n"
    "  --latency FILE.csv      the latency plots' numbers per frame shown "
    "(decode,\n"
    "                          detect, body, hands, render, end to end ms; "
    "detector ran)\n"
    "  --screenshot FILE       save the last frame shown as a PNG at "
    "exit\n"
    "  --shots DIR             where S screenshots and R recordings go "
    "(default .)\n"
    "  --camera-size WxH       webcam capture size (default 1280x720)\n"
    "  --camera-fps N          webcam frame rate (default 30)\n"
    "keys: space pause, Left/Right step, [ ] seek 5 s, 1-4 detector "
    "stride, A auto,\n"
    "  + - smoothing, B boxes, P plots, S screenshot, R record, F "
    "fullscreen,\n"
    "  K hand meshes, O hand meshes as .obj, V 3D view (mouse: drag "
    "turns, wheel zooms),\n"
    "  M matte view (with --matte), G settings panel (mouse), H help, "
    "Q/Esc quit\n";

static const char *const help_lines[][2] = {
    { "space", "pause / play" },
    { "Right", "step one frame forward (pauses)" },
    { "Left", "step one frame back (pauses)" },
    { "[  ]", "seek 5 s back / forward" },
    { "1 2 3 4", "run the detectors every Nth frame" },
    { "A", "detector stride auto (when tracking is lost)" },
    { "+  -", "smoothing: steadier / more responsive" },
    { "B", "ROIs and detector boxes" },
    { "P", "latency plots" },
    { "K", "hand meshes over the video" },
    { "O", "export the hand meshes on screen (.obj)" },
    { "V", "3D view (drag: turn, wheel: zoom)" },
    { "S", "screenshot (PNG)" },
    { "R", "start / stop recording (MP4)" },
    { "F", "fullscreen" },
    { "M", "matte view: video, alpha, composite, split" },
    { "G", "settings panel: stride, tasks, models, smoothing (mouse)" },
    { "H", "this help" },
    { "Q  Esc", "quit" },
};

/* Set by SIGINT/SIGTERM: the loop ends like Q, so recordings close. */
static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

typedef struct viewer_args {
    app_pipeline_args pl;
    app_matte_args matte;
    const char *record, *record_frames, *results, *screenshot, *shots;
    const char *latency;
    const char *camera_size, *out;
    int frames, sync, fast, loop, camera_fps, sequence;
} viewer_args;

typedef struct viewer {
    const viewer_args *a;
    app_pipeline_desc pd;
    ren_window *win;
    ren_renderer *ren;
    app_player *player;
    app_worker *worker;
    app_matte_view *matte;        /* NULL without --matte */
    app_source_info info;
    /* display thread only */
    app_qframe shown;             /* the frame on screen (own buffer) */
    bool have_frame;
    app_worker_result result;     /* newest result drawn */
    bool have_result;
    ren_perf_set perf;
    bool paused, step, boxes, plots, help, quit, redraw;
    int64_t frames_shown;
    double base_wall, base_t;     /* the clock: frame t shows at
                                     base_wall + t - base_t */
    bool rebase;
    double last_shown;            /* app_now() of the last new frame */
    float render_ms;              /* issuing the last frame's drawing */
    float frame_ms;               /* drawing, outputs and present of the
                                     last new frame (the render stage) */
    double render_s, output_s;    /* totals over the run: drawing, and
                                     read-back + queueing of outputs */
    double present_s;             /* scaling into the window + swap */
    double started;
    float e2e_ms;                 /* of the newest result */
    /* read-back and outputs */
    uint8_t *rgb;
    size_t rgb_cap;
    app_recq *rec;                /* R / --record */
    app_recq *pngs;               /* --record-frames */
    double rec_t0;
    int shots_taken;
    FILE *results;
    FILE *latency;                /* --latency: the plots' numbers */
    /* hand meshes (mesh_view.h): the display thread's own models, as the
     * engine thread's go away when its pipeline is re-created */
    eng_handmesh *handmesh;
    app_mesh_view *meshes;
    bool show_meshes;             /* K */
    bool view3d;                  /* V */
    app_orbit orbit;
    bool show_panel;              /* G */
    app_panel panel;
} viewer;

/* ---- options ------------------------------------------------------------ */

static app_status parse_args(int argc, char **argv, viewer_args *a,
                             const char **spec, eng_error *err)
{
    const app_option own[] = {
        { "--record", APP_OPT_STRING, &a->record, 0, 0 },
        { "--record-frames", APP_OPT_STRING, &a->record_frames, 0, 0 },
        { "--results", APP_OPT_STRING, &a->results, 0, 0 },
        { "--latency", APP_OPT_STRING, &a->latency, 0, 0 },
        { "--screenshot", APP_OPT_STRING, &a->screenshot, 0, 0 },
        { "--shots", APP_OPT_STRING, &a->shots, 0, 0 },
        { "--camera-size", APP_OPT_STRING, &a->camera_size, 0, 0 },
        { "--camera-fps", APP_OPT_INT, &a->camera_fps, 1, 240 },
        { "--frames", APP_OPT_INT, &a->frames, 1, INT_MAX },
        { "--sync", APP_OPT_FLAG, &a->sync, 0, 0 },
        { "--fast", APP_OPT_FLAG, &a->fast, 0, 0 },
        { "--loop", APP_OPT_FLAG, &a->loop, 0, 0 },
        { "--out", APP_OPT_STRING, &a->out, 0, 0 },
        { "--sequence", APP_OPT_FLAG, &a->sequence, 0, 0 },
    };
    enum { N_OWN = sizeof(own) / sizeof(own[0]) };
    _Static_assert(N_OWN + APP_MATTE_OPTIONS <= APP_PIPELINE_MAX_EXTRA,
                   "the window's options and the matte's fit");
    app_option extra[N_OWN + APP_MATTE_OPTIONS];
    memcpy(extra, own, sizeof(own));
    app_matte_options(&a->matte, extra + N_OWN);
    return app_pipeline_parse(argc, argv, &a->pl, true, extra,
                              N_OWN + APP_MATTE_OPTIONS, "posescope", spec,
                              err);
}

static eng_status parse_size(const char *s, int *w, int *h, eng_error *err)
{
    char x;
    if (s && (sscanf(s, "%d%c%d", w, &x, h) != 3 || x != 'x' || *w < 16 ||
              *h < 16 || *w > 8192 || *h > 8192))
        return eng_fail(err, ENG_EINVAL, "--camera-size: '%s' is not WxH "
                        "(16..8192)", s);
    return ENG_OK;
}

/* ---- no display: the headless run ---------------------------------------- */

/* Whether argv[i] is one of the window's own options; *skip is how many
 * arguments it takes (itself and maybe its value). */
static bool window_option(char **argv, int i, int *skip)
{
    static const char *const valued[] = {
        "--record", "--record-frames", "--results", "--latency",
        "--screenshot",
        "--shots", "--camera-size", "--camera-fps",
    };
    static const char *const flags[] = { "--sync", "--fast", "--loop" };
    *skip = 1;
    for (size_t k = 0; k < sizeof(flags) / sizeof(*flags); k++)
        if (!strcmp(argv[i], flags[k]))
            return true;
    for (size_t k = 0; k < sizeof(valued) / sizeof(*valued); k++) {
        size_t len = strlen(valued[k]);
        if (!strncmp(argv[i], valued[k], len) &&
            (argv[i][len] == '=' || argv[i][len] == '\0')) {
            *skip = argv[i][len] == '=' ? 1 : 2;
            return true;
        }
    }
    return false;
}

/* The command line minus the window's own options, plus --out DIR. */
static app_status run_headless(int argc, char **argv, const viewer_args *a,
                               eng_error *err)
{
    char **av = calloc((size_t)argc + 3, sizeof(*av));
    if (!av) {
        eng_fail(err, ENG_ENOMEM, "out of memory");
        return APP_FAILED;
    }
    int n = 0, skip;
    av[n++] = argv[0];
    for (int i = 1; i < argc; i += skip)
        if (!window_option(argv, i, &skip))
            av[n++] = argv[i];
    if (!a->out) {
        av[n++] = "--out";
        av[n++] = "posescope-out";
    }
    app_status st = app_headless_cmd(n, av, err);
    free(av);
    return st;
}

/* ---- outputs ------------------------------------------------------------- */

/* Reads the drawn frame back into v->rgb (grown when needed). */
static eng_status read_back(viewer *v, eng_error *err)
{
    size_t need = (size_t)v->shown.width * v->shown.height * 3;
    if (need > v->rgb_cap) {
        free(v->rgb);
        v->rgb = malloc(need);
        v->rgb_cap = v->rgb ? need : 0;
        if (!v->rgb)
            return eng_fail(err, ENG_ENOMEM, "out of memory");
    }
    return ren_read_rgb(v->ren, v->rgb, v->shown.width * 3, err);
}

static eng_status save_png(viewer *v, const char *path, eng_error *err)
{
    return app_write_png(path, v->rgb, v->shown.width, v->shown.height,
                         v->shown.width * 3, err);
}

static eng_status start_recording(viewer *v, const char *path,
                                  eng_error *err)
{
    double fps = v->info.fps > 0 ? v->info.fps : 30;
    eng_status st = app_recq_open(path, v->shown.width, v->shown.height,
                                  fps, &v->rec, err);
    v->rec_t0 = v->shown.t;
    return st;
}

static eng_status stop_recording(viewer *v, eng_error *err)
{
    if (v->rec)
        fprintf(stderr, "posescope: recorded %lld frames (encoder %.1f "
                "ms/frame on its own thread)\n",
                (long long)app_recq_frames(v->rec),
                app_recq_encode_ms(v->rec));
    eng_status st = app_recq_close(v->rec, err);
    v->rec = NULL;
    return st;
}

static eng_status toggle_recording(viewer *v, eng_error *err)
{
    if (v->rec)
        return stop_recording(v, err);
    if (!v->have_frame)
        return ENG_OK;
    char path[PATH_MAX];
    eng_status st = app_path(path, err, "%s/posescope-%lld.mp4",
                             v->a->shots ? v->a->shots : ".",
                             (long long)time(NULL));
    return st == ENG_OK ? start_recording(v, path, err) : st;
}

/* The outputs of a newly shown frame, after it is drawn. */
static eng_status write_frame(viewer *v, eng_error *err)
{
    eng_status st = ENG_OK;
    if (v->a->record_frames && !v->pngs)
        st = app_recq_open_frames(v->a->record_frames, v->shown.width,
                                  v->shown.height, &v->pngs, err);
    if (st == ENG_OK && (v->rec || v->pngs))
        st = read_back(v, err);
    if (st == ENG_OK && v->rec)
        st = app_recq_write(v->rec, v->rgb, v->shown.width, v->shown.height,
                            v->shown.width * 3, v->shown.t - v->rec_t0, err);
    if (st == ENG_OK && v->pngs)
        st = app_recq_write(v->pngs, v->rgb, v->shown.width,
                            v->shown.height, v->shown.width * 3, v->shown.t,
                            err);
    if (st == ENG_OK && v->results && v->have_result &&
        v->result.index == v->shown.index) {
        app_frame_meta m = { .frame = v->shown.index, .t = v->shown.t,
                             .width = v->shown.width,
                             .height = v->shown.height };
        if (app_results_write_json(v->results, &m, &v->result.res) != 0 ||
            fflush(v->results) != 0)
            st = eng_fail(err, ENG_EIO, "%s: %s", v->a->results,
                          strerror(errno));
    }
    return st;
}

static eng_status screenshot(viewer *v, const char *path, eng_error *err)
{
    char buf[PATH_MAX];
    eng_status st = ENG_OK;
    if (!path) {
        st = app_path(buf, err, "%s/posescope-shot-%03d.png",
                      v->a->shots ? v->a->shots : ".", ++v->shots_taken);
        path = buf;
    }
    if (st == ENG_OK)
        st = read_back(v, err);
    if (st == ENG_OK)
        st = save_png(v, path, err);
    if (st == ENG_OK)
        fprintf(stderr, "posescope: screenshot %s\n", path);
    return st;
}

/* ---- drawing ------------------------------------------------------------- */

static void draw_status(viewer *v, float px)
{
    char line[256];
    const app_pipeline_desc *d = &v->pd;
    char stride[16];
    if (d->stride.mode == ENG_STRIDE_AUTO)
        snprintf(stride, sizeof stride, "auto");
    else
        snprintf(stride, sizeof stride, "%d", d->stride.stride);
    int n = snprintf(line, sizeof line, "frame %lld  stride %s  smoothing "
                     "%.3g Hz  %.1f FPS",
                     (long long)v->shown.index, stride,
                     d->smoothing_min_cutoff, v->perf.fps);
    if (v->matte && n < (int)sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, "  matte %s",
                      app_matte_view_name(v->matte));
    if (v->paused && n < (int)sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, "  PAUSED");
    if (v->rec && n < (int)sizeof line)
        snprintf(line + n, sizeof line - (size_t)n, "  REC %lld",
                 (long long)app_recq_frames(v->rec));
    float w = ren_text_width(v->ren, line, px);
    ren_fill_rect(v->ren, 0, 0, w + px, 1.5f * px, (app_rgb){ 0, 0, 0 },
                  0.55f);
    ren_text(v->ren, 0.5f * px, 0.2f * px, px, line,
             (app_rgb){ 255, 255, 255 }, 1);
}

/* Where the settings panel sits in the target: top left, under the
 * status line, scale pixels per panel unit (its text as big as the
 * status line's). */
static void panel_place(const viewer *v, float *x, float *y, float *scale)
{
    int fw = v->shown.width, fh = v->shown.height;
    float px = fmaxf(12, (float)(fw < fh ? fw : fh) / 40);
    *x = 0.5f * px;
    *y = 2 * px;
    *scale = px / 13;
}

static void draw_help(viewer *v, float px)
{
    static const app_rgb white = { 255, 255, 255 }, gold = { 255, 210, 80 };
    int n = (int)(sizeof(help_lines) / sizeof(*help_lines));
    float kw = 0, dw = 0;
    for (int i = 0; i < n; i++) {
        kw = fmaxf(kw, ren_text_width(v->ren, help_lines[i][0], px));
        dw = fmaxf(dw, ren_text_width(v->ren, help_lines[i][1], px));
    }
    float w = kw + px + dw, h = (n + 2) * 1.4f * px;
    float x = 0.5f * ((float)v->shown.width - w) - px;
    float y = 0.5f * ((float)v->shown.height - h);
    ren_fill_rect(v->ren, x, y, x + w + 2 * px, y + h, (app_rgb){ 0, 0, 0 },
                  0.75f);
    ren_text(v->ren, x + px, y + 0.5f * px, px, "keys", gold, 1);
    for (int i = 0; i < n; i++) {
        float ly = y + (i + 1.5f) * 1.4f * px;
        ren_text(v->ren, x + px, ly, px, help_lines[i][0], gold, 1);
        ren_text(v->ren, x + 2 * px + kw, ly, px, help_lines[i][1], white,
                 1);
    }
}

static eng_status draw(viewer *v, eng_error *err)
{
    double t0 = app_now();
    int fw = v->shown.width, fh = v->shown.height;
    eng_status st = ren_begin(v->ren, fw, fh, err);
    if (st != ENG_OK)
        return st;
    ren_image(v->ren, v->shown.rgb, fw, fh, v->shown.stride);
    app_matte_view_draw(v->matte, v->ren);
    /* a result from before a seek belongs to another picture */
    if (v->have_result && v->result.serial == v->shown.serial) {
        ren_overlay ov = { .rois = v->boxes };
        const app_frame_result *r = &v->result.res;
        if (v->meshes && v->show_meshes)
            app_mesh_view_draw(v->meshes, v->ren, &r->meshes);
        ren_results(v->ren, r->pose.people, r->pose.n_people,
                    r->hands.hands, r->hands.n_hands, &ov);
        if (v->meshes && v->view3d) {
            /* top right, under nothing else: the status line is left */
            const float rect[4] = { 0.58f * fw, 0.06f * fh, fw - 0.02f * fw,
                                    0.54f * fh };
            app_mesh_view_draw_3d(v->meshes, v->ren, &v->orbit, r, fw, fh,
                                  rect);
        }
    }
    float px = fmaxf(12, (float)(fw < fh ? fw : fh) / 40);
    if (v->plots) {
        float ph = fmaxf(110, 0.28f * fh);
        ren_plots(v->ren, &v->perf, 0, fh - ph, (float)fw, ph);
    }
    draw_status(v, px);
    if (v->show_panel) {
        float x, y, k;
        panel_place(v, &x, &y, &k);
        app_panel_draw(v->ren, &v->pd, x, y, k);
    }
    if (v->help)
        draw_help(v, px);
    st = ren_end(v->ren, err);
    v->render_ms = (float)((app_now() - t0) * 1e3);
    return st;
}

static void present(viewer *v)
{
    int dw, dh;
    ren_window_drawable_size(v->win, &dw, &dh);
    ren_present(v->ren, dw, dh);
    ren_window_swap(v->win);
}

/* ---- the loop ------------------------------------------------------------ */

static void reconfigure(viewer *v)
{
    app_worker_configure(v->worker, &v->pd);
    v->redraw = true;
}

static void seek_frames(viewer *v, int64_t delta)
{
    if (!v->have_frame)
        return;
    app_player_seek(v->player, v->shown.index + delta);
    v->step = true;
    v->rebase = true;
}

/* O: the meshes of the result on screen, beside the screenshots. */
static eng_status export_meshes(viewer *v, eng_error *err)
{
    int n;
    if (!v->meshes || !v->have_result ||
        v->result.serial != v->shown.serial)
        return ENG_OK;
    return app_mesh_view_export(v->meshes, &v->result.res.meshes,
                                v->a->shots ? v->a->shots : ".",
                                (long long)v->result.index, &n, err);
}

static eng_status on_key(viewer *v, SDL_Keycode key, eng_error *err)
{
    double fps = v->info.fps > 0 ? v->info.fps : 30;
    v->redraw = true;
    switch (key) {
    case SDLK_SPACE:
        v->paused = !v->paused;
        v->rebase = true;
        break;
    case SDLK_RIGHT:
        v->paused = v->step = true;
        break;
    case SDLK_LEFT:
        v->paused = true;
        seek_frames(v, -1);
        break;
    case SDLK_LEFTBRACKET:
        seek_frames(v, -(int64_t)(5 * fps));
        break;
    case SDLK_RIGHTBRACKET:
        seek_frames(v, (int64_t)(5 * fps));
        break;
    case SDLK_1: case SDLK_2: case SDLK_3: case SDLK_4:
        v->pd.stride.mode = ENG_STRIDE_FIXED;
        v->pd.stride.stride = (int)(key - SDLK_0);
        reconfigure(v);
        break;
    case SDLK_a:
        v->pd.stride.mode = ENG_STRIDE_AUTO;
        reconfigure(v);
        break;
    case SDLK_PLUS: case SDLK_EQUALS: case SDLK_KP_PLUS:
        /* a lower cutoff filters more: steadier, more lag */
        v->pd.smoothing_min_cutoff = fmaxf(0.00625f,
                                           0.5f * v->pd.smoothing_min_cutoff);
        reconfigure(v);
        break;
    case SDLK_MINUS: case SDLK_KP_MINUS:
        v->pd.smoothing_min_cutoff = fminf(12.8f,
                                           2 * v->pd.smoothing_min_cutoff);
        reconfigure(v);
        break;
    case SDLK_b:
        v->boxes = !v->boxes;
        break;
    case SDLK_p:
        v->plots = !v->plots;
        break;
    case SDLK_m:
        app_matte_view_cycle(v->matte);
        break;
    case SDLK_g:
        v->show_panel = !v->show_panel;
        app_panel_release(&v->panel);
        break;
    case SDLK_h:
        v->help = !v->help;
        break;
    case SDLK_f:
        ren_window_toggle_fullscreen(v->win);
        break;
    case SDLK_s:
        if (v->have_frame)
            return screenshot(v, NULL, err);
        break;
    case SDLK_r:
        return toggle_recording(v, err);
    case SDLK_k:
        v->show_meshes = !v->show_meshes;
        break;
    case SDLK_o:
        return export_meshes(v, err);
    case SDLK_v:
        v->view3d = !v->view3d;
        break;
    case SDLK_q: case SDLK_ESCAPE:
        v->quit = true;
        break;
    default:
        v->redraw = false;
    }
    return ENG_OK;
}

/* A mouse position (window units) in panel units: through the HiDPI
 * factor and the letterbox of ren_present(). */
static void to_panel(viewer *v, Uint32 window_id, int mx, int my, float *x,
                     float *y)
{
    int ww = 1, wh = 1, dw, dh;
    SDL_Window *sw = SDL_GetWindowFromID(window_id);
    if (sw)
        SDL_GetWindowSize(sw, &ww, &wh);
    ren_window_drawable_size(v->win, &dw, &dh);
    float fw = (float)v->shown.width, fh = (float)v->shown.height;
    float k = fminf((float)dw / fw, (float)dh / fh);
    float ox = (float)(dw - (int)(k * fw + 0.5f)) / 2;
    float oy = (float)(dh - (int)(k * fh + 0.5f)) / 2;
    float px, py, scale;
    panel_place(v, &px, &py, &scale);
    *x = (((float)mx * dw / ww - ox) / k - px) / scale;
    *y = (((float)my * dh / wh - oy) / k - py) / scale;
}

/* A press inside the panel is the panel's (and so is the drag that
 * follows: it does not turn the 3D view); a changed setting goes to the
 * engine thread as the keys' do. */
static bool panel_event(viewer *v, const SDL_Event *ev)
{
    float x, y;
    bool changed = false;
    if (ev->type == SDL_MOUSEBUTTONDOWN && ev->button.button ==
        SDL_BUTTON_LEFT && v->show_panel && v->have_frame) {
        to_panel(v, ev->button.windowID, ev->button.x, ev->button.y, &x, &y);
        if (!app_panel_press(&v->panel, x, y, &v->pd, &changed))
            return false;
    } else if (ev->type == SDL_MOUSEMOTION && v->panel.held) {
        to_panel(v, ev->motion.windowID, ev->motion.x, ev->motion.y, &x, &y);
        changed = app_panel_drag(&v->panel, x, y, &v->pd);
    } else if (ev->type == SDL_MOUSEBUTTONUP && v->panel.held &&
               ev->button.button == SDL_BUTTON_LEFT) {
        app_panel_release(&v->panel);
    } else {
        return false;
    }
    if (changed)
        reconfigure(v);
    v->redraw = true;
    return true;
}

static eng_status poll_events(viewer *v, eng_error *err)
{
    SDL_Event ev;
    while (SDL_PollEvent(&ev)) {
        if (panel_event(v, &ev)) {
            continue;
        } else if (ev.type == SDL_QUIT) {
            v->quit = true;
        } else if (ev.type == SDL_KEYDOWN) {
            eng_status st = on_key(v, ev.key.keysym.sym, err);
            if (st != ENG_OK)
                return st;
        } else if (ev.type == SDL_WINDOWEVENT) {
            v->redraw = true;
        } else if (ev.type == SDL_MOUSEMOTION && v->view3d &&
                   (ev.motion.state & SDL_BUTTON_LMASK)) {
            app_orbit_drag(&v->orbit, (float)ev.motion.xrel,
                           (float)ev.motion.yrel);
            v->redraw = true;
        } else if (ev.type == SDL_MOUSEWHEEL && v->view3d) {
            app_orbit_wheel(&v->orbit, (float)ev.wheel.y);
            v->redraw = true;
        }
    }
    return ENG_OK;
}

/* Takes the next frame from the queue when it is due. Returns 1 when a
 * new frame is on screen, 0 when none is due yet (*wait_s says how long
 * until one is), -1 at the end of the queue. */
static int next_frame(viewer *v, double *wait_s, eng_error *err)
{
    *wait_s = 0.005;
    if (v->paused && !v->step)
        return 0;
    app_frameq *q = app_player_queue(v->player);
    app_qframe *f;
    int got = app_frameq_peek(q, false, &f);
    if (got <= 0)
        return got < 0 ? -1 : 0;
    if (f->serial != app_frameq_serial(q)) {
        app_frameq_next(q);   /* decoded before a seek */
        return 0;
    }
    double now = app_now();
    bool live = v->info.kind == APP_SOURCE_WEBCAM;
    if (v->rebase || !v->have_frame || f->serial != v->shown.serial ||
        f->t < v->base_t) {
        v->base_wall = now;
        v->base_t = f->t;
        v->rebase = false;
    }
    double due = v->base_wall + (f->t - v->base_t);
    if (!v->a->fast && !live && !v->step && now < due) {
        *wait_s = due - now;
        return 0;
    }
    /* fell behind (a slow frame): catch up instead of hurrying */
    if (now - due > 0.25)
        v->rebase = true;
    eng_status st = app_qframe_copy(&v->shown, f->rgb, f->width, f->height,
                                    f->stride, err);
    v->shown.index = f->index;
    v->shown.t = f->t;
    v->shown.decode_ms = f->decode_ms;
    v->shown.serial = f->serial;
    app_frameq_next(q);
    if (st != ENG_OK)
        return -2;
    v->have_frame = true;
    v->step = false;
    return 1;
}

static void push_perf(viewer *v)
{
    double now = app_now();
    if (v->last_shown > 0) {
        float fps = (float)(1.0 / fmax(now - v->last_shown, 1e-6));
        v->perf.fps = v->perf.fps > 0 ? 0.9f * v->perf.fps + 0.1f * fps
                                      : fps;
    }
    v->last_shown = now;
    const app_stage_times *t = &v->result.res.times;
    float ms[REN_STAGE_COUNT] = {
        [REN_STAGE_DECODE] = (float)v->shown.decode_ms,
        [REN_STAGE_RENDER] = v->frame_ms,
    };
    bool det = false;
    if (v->have_result) {
        ms[REN_STAGE_DETECT] = t->ms[APP_STAGE_POSE_DETECT] +
                               t->ms[APP_STAGE_HAND_DETECT];
        ms[REN_STAGE_BODY] = t->ms[APP_STAGE_POSE_LANDMARKS];
        ms[REN_STAGE_HANDS] = t->ms[APP_STAGE_HAND_LANDMARKS] +
                              t->ms[APP_STAGE_HAND_MESH];
        ms[REN_STAGE_E2E] = v->e2e_ms;
        det = t->pose_detector_ran || t->hand_detector_ran;
    }
    ren_perf_push(&v->perf, ms, det);
    if (v->latency) {
        fprintf(v->latency, "%lld", (long long)v->shown.index);
        for (int i = 0; i < REN_STAGE_COUNT; i++)
            fprintf(v->latency, ",%.3f", ms[i]);
        fprintf(v->latency, ",%d\n", det);
        /* per row: a killed window leaves whole rows */
        fflush(v->latency);
    }
}

static eng_status run_loop(viewer *v, eng_error *err)
{
    eng_status st = ENG_OK;
    while (st == ENG_OK && !v->quit && !stop_requested) {
        st = poll_events(v, err);
        if (st != ENG_OK)
            break;
        double wait_s;
        int got = next_frame(v, &wait_s, err);
        if (got == -2)
            return err->status;
        if (got == 1) {
            app_worker_submit(v->worker, &v->shown, err);
            if (v->a->sync &&
                !app_worker_wait(v->worker, v->shown.index, v->shown.serial))
                break;
        }
        if (app_worker_latest(v->worker, v->result.index, v->result.serial,
                              &v->result)) {
            v->have_result = true;
            v->redraw = true;
            /* decode, the wait for the engine and the engine, to the
             * first draw of the result */
            v->e2e_ms = v->result.res.times.ms[APP_STAGE_DECODE] +
                        (float)((app_now() - v->result.submitted) * 1e3);
        }
        if (got == 1)
            push_perf(v);
        if (v->have_frame && (got == 1 || v->redraw)) {
            double output_before = v->output_s;
            st = draw(v, err);
            if (st == ENG_OK && got == 1) {
                double t0 = app_now();
                st = write_frame(v, err);
                v->output_s += app_now() - t0;
                v->render_s += v->render_ms * 1e-3;
                v->frames_shown++;
            }
            double tp = app_now();
            present(v);
            v->present_s += app_now() - tp;
            /* the plots' render stage: everything the display thread
             * spends on a frame (llvmpipe rasterises during the read-back
             * and the present, not while draw() issues the calls) */
            if (got == 1)
                v->frame_ms = v->render_ms + (float)((app_now() - tp) * 1e3)
                              + (float)(v->output_s - output_before) * 1e3f;
            v->redraw = false;
        }
        if (st != ENG_OK)
            break;
        if (v->a->frames && v->frames_shown >= v->a->frames)
            break;
        eng_status pst = ENG_OK;
        app_qframe *queued;
        /* ended and nothing left to show (a frame may be waiting for its
         * time) */
        if (got <= 0 && app_player_ended(v->player, &pst, err) &&
            app_frameq_peek(app_player_queue(v->player), false,
                            &queued) <= 0) {
            if (pst != ENG_OK)
                return pst;
            /* --frames: a file shorter than N ends the run */
            if (v->a->frames)
                break;
        }
        if (app_worker_status(v->worker, err) != ENG_OK)
            return err->status;
        if (got != 1 && !v->redraw)
            SDL_Delay((Uint32)fmin(5.0, fmax(1.0, wait_s * 1e3)));
    }
    return st;
}

/* ---- set-up and tear-down ------------------------------------------------ */

static eng_status open_outputs(viewer *v, eng_error *err)
{
    const viewer_args *a = v->a;
    eng_status st = ENG_OK;
    if (a->shots)
        st = app_mkdir_p(a->shots, err);
    if (st == ENG_OK && a->results) {
        v->results = fopen(a->results, "w");
        if (!v->results)
            st = eng_fail(err, ENG_EIO, "%s: %s", a->results,
                          strerror(errno));
    }
    if (st == ENG_OK && a->latency) {
        v->latency = fopen(a->latency, "w");
        if (!v->latency)
            st = eng_fail(err, ENG_EIO, "%s: %s", a->latency,
                          strerror(errno));
        else
            fputs("frame,decode_ms,detect_ms,body_ms,hands_ms,render_ms,"
                  "e2e_ms,detector_ran\n", v->latency);
    }
    return st;
}

static eng_status open_window(viewer *v, eng_error *err)
{
    int w = v->info.width, h = v->info.height;
    /* start no bigger than 1280 x 800 screen units */
    double k = fmin(1.0, fmin(1280.0 / w, 800.0 / h));
    ren_window_desc wd = { .title = "posescope", .width = (int)(w * k),
                           .height = (int)(h * k) };
    eng_status st = ren_window_create(&wd, &v->win, err);
    if (st == ENG_OK)
        st = ren_create(NULL, &v->ren, err);
    if (st == ENG_OK && !v->pd.no_hands && !v->pd.no_hand_mesh)
        st = app_pipeline_create_handmesh(&v->pd, &v->handmesh, err);
    if (st == ENG_OK && v->handmesh)
        st = app_mesh_view_create(v->handmesh, &v->meshes, err);
    return st;
}

/* One line of what the run cost, for the README's measurements. */
static void print_stats(const viewer *v)
{
    if (!v->frames_shown)
        return;
    double n = (double)v->frames_shown, secs = app_now() - v->started;
    fprintf(stderr, "posescope: %lld frames shown in %.1f s (%.1f FPS); "
            "per frame: drawing %.2f ms, read-back + outputs %.2f ms, "
            "present %.2f ms in the display thread\n",
            (long long)v->frames_shown, secs, n / secs,
            1e3 * v->render_s / n, 1e3 * v->output_s / n,
            1e3 * v->present_s / n);
    app_matte_view_report(v->matte, stderr);
}

static app_status close_all(viewer *v, eng_status st, eng_error *err)
{
    print_stats(v);
    eng_error e2;
    /* the recording first: it must be finalised whatever else fails */
    eng_status rst = stop_recording(v, st == ENG_OK ? err : &e2);
    if (st == ENG_OK)
        st = rst;
    rst = app_recq_close(v->pngs, st == ENG_OK ? err : &e2);
    if (st == ENG_OK)
        st = rst;
    if (st == ENG_OK && v->a->screenshot && v->have_frame)
        st = screenshot(v, v->a->screenshot, err);
    if (v->results && fclose(v->results) != 0 && st == ENG_OK)
        st = eng_fail(err, ENG_EIO, "%s: write error", v->a->results);
    if (v->latency && fclose(v->latency) != 0 && st == ENG_OK)
        st = eng_fail(err, ENG_EIO, "%s: write error", v->a->latency);
    app_player_close(v->player);
    app_worker_stop(v->worker);
    app_matte_view_gl_free(v->matte);
    app_matte_view_destroy(v->matte);
    app_mesh_view_destroy(v->meshes);
    eng_handmesh_destroy(v->handmesh);
    ren_destroy(v->ren);
    ren_window_destroy(v->win);
    free(v->shown.rgb);
    free(v->rgb);
    if (st != ENG_OK)
        return APP_FAILED;
    if (stop_requested) {
        fprintf(stderr, "posescope: interrupted after %lld frames\n",
                (long long)v->frames_shown);
        return APP_FAILED;
    }
    return APP_OK;
}

app_status app_viewer_cmd(int argc, char **argv, eng_error *err)
{
    viewer_args a = { 0 };
    const char *spec = NULL;
    app_status ast = parse_args(argc, argv, &a, &spec, err);
    if (ast != APP_OK)
        return ast;
    viewer v = { .a = &a, .plots = true, .show_meshes = true,
                .orbit = app_orbit_default(), .shown.index = -1,
                .result.index = -1 };
    app_player_desc pld = { .source.spec = spec, .loop = a.loop,
                            .source.camera_fps = a.camera_fps };
    if (app_pipeline_desc_from_args(&a.pl, &v.pd, err) != ENG_OK ||
        parse_size(a.camera_size, &pld.source.camera_width,
                   &pld.source.camera_height, err) != ENG_OK)
        return APP_USAGE;
    if (!v.pd.smoothing_min_cutoff)
        v.pd.smoothing_min_cutoff = 0.05f;  /* the body task's default */
    if (!getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY")) {
        fprintf(stderr, "posescope: no display; running headless into "
                "%s\n", a.out ? a.out : "posescope-out");
        return run_headless(argc, argv, &a, err);
    }
    if (app_player_open(&pld, &v.player, err) != ENG_OK)
        return APP_BAD_INPUT;
    app_player_info(v.player, &v.info);
    bool images = v.info.kind == APP_SOURCE_IMAGE ||
                  v.info.kind == APP_SOURCE_FOLDER;
    v.pd.static_images = images && !a.sequence;
    /* SA_RESETHAND: a second Ctrl-C kills at once, as in headless.c */
    struct sigaction sa = { .sa_handler = on_signal,
                            .sa_flags = SA_RESETHAND }, old[2];
    sigemptyset(&sa.sa_mask);
    stop_requested = 0;
    sigaction(SIGINT, &sa, &old[0]);
    sigaction(SIGTERM, &sa, &old[1]);
    eng_status st = app_matte_view_create(&a.matte, v.pd.threads,
                                          v.pd.numerics, &v.matte, err);
    if (st == ENG_OK)
        st = app_matte_view_configure(v.matte, &v.pd, err);
    if (st == ENG_OK)
        st = app_worker_start(&v.pd, v.matte, &v.worker, err);
    if (st == ENG_OK)
        st = open_outputs(&v, err);
    if (st == ENG_OK)
        st = open_window(&v, err);
    if (st == ENG_OK)
        st = app_matte_view_gl_init(v.matte, err);
    /* --record starts with the first frame: its size is the source's */
    v.shown.width = v.info.width;
    v.shown.height = v.info.height;
    if (st == ENG_OK && a.record)
        st = start_recording(&v, a.record, err);
    v.started = app_now();
    if (st == ENG_OK)
        st = run_loop(&v, err);
    ast = close_all(&v, st, err);
    sigaction(SIGINT, &old[0], NULL);
    sigaction(SIGTERM, &old[1], NULL);
    return ast;
}

/* ---- --list-cameras ------------------------------------------------------ */

app_status app_list_cameras_cmd(int argc, char **argv, eng_error *err)
{
    (void)argc;
    (void)argv;
    (void)err;
    glob_t g;
    int n = 0;
    if (glob("/dev/video*", 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++) {
            const char *dev = g.gl_pathv[i];
            char path[PATH_MAX], name[256] = "";
            snprintf(path, sizeof path, "/sys/class/video4linux/%s/name",
                     dev + strlen("/dev/"));
            FILE *f = fopen(path, "r");
            if (f) {
                if (fgets(name, sizeof name, f))
                    name[strcspn(name, "\n")] = '\0';
                fclose(f);
            }
            printf("%s\t%s\n", dev, name[0] ? name : "(no name)");
            n++;
        }
        globfree(&g);
    }
    if (!n)
        printf("no cameras (no /dev/video* device)\n");
    return APP_OK;
}
