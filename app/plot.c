/*
 * plot: the latency plot, drawn with annotate's primitives and written as
 * a PNG by recorder's app_write_png().
 */
#include "plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "recorder.h"

static const char *const stage_names[APP_STAGE_COUNT] = {
    [APP_STAGE_DECODE] = "decode",
    [APP_STAGE_POSE_DETECT] = "pose detect",
    [APP_STAGE_POSE_LANDMARKS] = "pose landmarks",
    [APP_STAGE_HAND_DETECT] = "hand detect",
    [APP_STAGE_HAND_LANDMARKS] = "hand landmarks",
    [APP_STAGE_HAND_MESH] = "hand mesh",
    [APP_STAGE_TOTAL] = "total",
};

/* Detectors share the hue of their landmark stage, darker/lighter, so the
 * two stages of a task read as a pair. */
static const app_rgb stage_colors[APP_STAGE_COUNT] = {
    [APP_STAGE_DECODE] = {130, 160, 255},
    [APP_STAGE_POSE_DETECT] = {255, 80, 80},
    [APP_STAGE_POSE_LANDMARKS] = {255, 170, 40},
    [APP_STAGE_HAND_DETECT] = {200, 90, 255},
    [APP_STAGE_HAND_LANDMARKS] = {70, 220, 110},
    [APP_STAGE_HAND_MESH] = {40, 200, 220},
    [APP_STAGE_TOTAL] = {240, 240, 240},
};

static const app_rgb bg_color = {22, 24, 28};
static const app_rgb grid_color = {58, 62, 70};
static const app_rgb axis_color = {150, 154, 162};
static const app_rgb label_color = {210, 212, 216};

const char *app_stage_name(app_stage stage)
{
    if ((unsigned)stage >= APP_STAGE_COUNT)
        return "?";
    return stage_names[stage];
}

app_rgb app_stage_color(app_stage stage)
{
    if ((unsigned)stage >= APP_STAGE_COUNT)
        return label_color;
    return stage_colors[stage];
}

/* --- the log ----------------------------------------------------------- */

/* Merges neighbouring points two by two: the history keeps its shape at
 * half the resolution and frees half its slots. */
static void halve(app_latency_log *log)
{
    int n = log->count / 2;
    for (int i = 0; i < n; i++) {
        const app_stage_times *a = &log->points[2 * i];
        const app_stage_times *b = &log->points[2 * i + 1];
        app_stage_times m;
        for (int s = 0; s < APP_STAGE_COUNT; s++)
            m.ms[s] = 0.5f * (a->ms[s] + b->ms[s]);
        m.pose_detector_ran = a->pose_detector_ran || b->pose_detector_ran;
        m.hand_detector_ran = a->hand_detector_ran || b->hand_detector_ran;
        log->points[i] = m;
    }
    log->count = n;
    log->frames_per_point *= 2;
}

static void push_pending(app_latency_log *log)
{
    app_stage_times *p = &log->points[log->count++];
    *p = log->pending;
    for (int s = 0; s < APP_STAGE_COUNT; s++)
        p->ms[s] /= (float)log->pending_frames;
    log->pending = (app_stage_times){0};
    log->pending_frames = 0;
}

void app_latency_log_add(app_latency_log *log, const app_stage_times *t)
{
    if (log->frames_per_point < 1)
        log->frames_per_point = 1;
    for (int s = 0; s < APP_STAGE_COUNT; s++) {
        float v = t->ms[s];
        v = isfinite(v) && v > 0.0f ? v : 0.0f;
        log->last[s] = v;
        log->sum[s] += v;
        log->peak[s] = v > log->peak[s] ? v : log->peak[s];
        log->pending.ms[s] += v;
    }
    log->pending.pose_detector_ran |= t->pose_detector_ran;
    log->pending.hand_detector_ran |= t->hand_detector_ran;
    log->pending_frames++;
    log->frames++;
    if (log->pending_frames < log->frames_per_point)
        return;
    if (log->count == APP_PLOT_MAX_POINTS) {
        /* the pending point now needs twice the frames: keep filling it */
        halve(log);
        return;
    }
    push_pending(log);
}

float app_latency_log_avg(const app_latency_log *log, app_stage stage)
{
    if (log->frames == 0 || (unsigned)stage >= APP_STAGE_COUNT)
        return 0.0f;
    return (float)(log->sum[stage] / (double)log->frames);
}

/* Point i of the plot, the partly filled one last; its frame span is
 * [*f0, *f1). */
static app_stage_times point_at(const app_latency_log *log, int i,
                                double *f0, double *f1)
{
    int64_t fpp = log->frames_per_point < 1 ? 1 : log->frames_per_point;
    *f0 = (double)i * fpp;
    if (i < log->count) {
        *f1 = *f0 + fpp;
        return log->points[i];
    }
    app_stage_times p = log->pending;
    for (int s = 0; s < APP_STAGE_COUNT; s++)
        p.ms[s] /= (float)log->pending_frames;
    *f1 = *f0 + log->pending_frames;
    return p;
}

static int point_count(const app_latency_log *log)
{
    return log->count + (log->pending_frames > 0);
}

/* --- layout ------------------------------------------------------------ */

typedef struct layout {
    int scale;                 /* font scale */
    int line_h;                /* text line height with spacing */
    int x0, y0, x1, y1;        /* plot area, pixels */
    double frames;             /* x range [0, frames) */
    double ms_max, ms_step;    /* y range [0, ms_max], grid step */
    int ticks_y;               /* top of the detector tick rows */
    int legend_y;              /* top of the legend table */
} layout;

/* 1, 2 or 5 times a power of ten: at least `raw`. */
static double nice_step(double raw)
{
    double p = pow(10.0, floor(log10(raw)));
    double m = raw / p;
    return (m <= 1.0 ? 1.0 : m <= 2.0 ? 2.0 : m <= 5.0 ? 5.0 : 10.0) * p;
}

static double plotted_max(const app_latency_log *log)
{
    double mx = 0.0, f0, f1;
    for (int i = 0; i < point_count(log); i++) {
        app_stage_times p = point_at(log, i, &f0, &f1);
        for (int s = 0; s < APP_STAGE_COUNT; s++)
            mx = p.ms[s] > mx ? p.ms[s] : mx;
    }
    return mx;
}

static layout make_layout(const app_canvas *c, const app_latency_log *log)
{
    layout l;
    l.scale = c->width >= 960 && c->height >= 540 ? 2 : 1;
    l.line_h = app_text_height(l.scale) + 4 * l.scale;
    int legend_h = (APP_STAGE_COUNT + 1) * l.line_h;
    int ticks_h = 2 * l.line_h;
    /* room for the detector row names left of the axis */
    l.x0 = app_text_width("hand det", l.scale) + 8 * l.scale;
    l.x1 = c->width - 8 * l.scale;
    l.y0 = 2 * l.line_h;
    /* below the plot: x tick labels, the axis title, the detector rows,
     * the legend */
    l.legend_y = c->height - legend_h;
    l.ticks_y = l.legend_y - ticks_h - l.line_h / 2;
    l.y1 = l.ticks_y - 2 * l.line_h;
    if (l.y1 < l.y0 + 10)
        l.y1 = l.y0 + 10;
    l.frames = log->frames > 0 ? (double)log->frames : 1.0;
    double mx = plotted_max(log);
    l.ms_step = nice_step(mx > 0.0 ? mx / 5.0 : 1.0);
    l.ms_max = l.ms_step * ceil(mx > 0.0 ? mx / l.ms_step : 5.0);
    return l;
}

static float px_x(const layout *l, double frame)
{
    return (float)(l->x0 + (l->x1 - l->x0) * (frame / l->frames));
}

static float px_y(const layout *l, double ms)
{
    return (float)(l->y1 - (l->y1 - l->y0) * (ms / l->ms_max));
}

/* --- drawing ----------------------------------------------------------- */

static void draw_y_axis(app_canvas *c, const layout *l)
{
    char text[32];
    for (double v = 0.0; v <= l->ms_max + 1e-9; v += l->ms_step) {
        float y = px_y(l, v);
        app_draw_line(c, (float)l->x0, y, (float)l->x1, y, 1.0f, grid_color,
                      1.0f);
        snprintf(text, sizeof text, "%g", v);
        int w = app_text_width(text, l->scale);
        app_draw_text(c, l->x0 - w - 4 * l->scale,
                      (int)y - app_text_height(l->scale) / 2, text, l->scale,
                      label_color);
    }
    app_draw_text(c, 4 * l->scale, l->y0 - l->line_h, "ms", l->scale,
                  label_color);
}

static void draw_x_axis(app_canvas *c, const layout *l)
{
    char text[32];
    double step = nice_step(l->frames / 8.0);
    step = step < 1.0 ? 1.0 : step;
    for (double f = 0.0; f <= l->frames + 1e-9; f += step) {
        float x = px_x(l, f);
        app_draw_line(c, x, (float)l->y1, x, l->y1 + 3.0f * l->scale, 1.0f,
                      axis_color, 1.0f);
        snprintf(text, sizeof text, "%.0f", f);
        int w = app_text_width(text, l->scale);
        int tx = (int)x - w / 2;
        tx = tx + w > c->width ? c->width - w : tx; /* keep the last one */
        app_draw_text(c, tx, l->y1 + 5 * l->scale, text, l->scale,
                      label_color);
    }
    app_draw_line(c, (float)l->x0, (float)l->y1, (float)l->x1, (float)l->y1,
                  1.5f, axis_color, 1.0f);
    app_draw_line(c, (float)l->x0, (float)l->y0, (float)l->x0, (float)l->y1,
                  1.5f, axis_color, 1.0f);
    const char *title = "frame";
    app_draw_text(c, l->x1 - app_text_width(title, l->scale),
                  l->y1 + 5 * l->scale + l->line_h, title, l->scale,
                  label_color);
}

static void draw_stage_line(app_canvas *c, const layout *l,
                            const app_latency_log *log, app_stage s)
{
    float px = NAN, py = NAN;
    float width = s == APP_STAGE_TOTAL ? 2.0f : 1.5f;
    double f0, f1;
    for (int i = 0; i < point_count(log); i++) {
        app_stage_times p = point_at(log, i, &f0, &f1);
        float x = px_x(l, 0.5 * (f0 + f1)), y = px_y(l, p.ms[s]);
        if (i == 0)
            app_fill_circle(c, x, y, 0.5f * width, stage_colors[s], 1.0f);
        else
            app_draw_line(c, px, py, x, y, width, stage_colors[s], 1.0f);
        px = x;
        py = y;
    }
}

/* One row of ticks per detector, under the frames where it ran. */
static void draw_detector_rows(app_canvas *c, const layout *l,
                               const app_latency_log *log)
{
    static const char *const names[2] = {"pose det", "hand det"};
    const app_rgb colors[2] = {stage_colors[APP_STAGE_POSE_DETECT],
                               stage_colors[APP_STAGE_HAND_DETECT]};
    for (int r = 0; r < 2; r++) {
        int y = l->ticks_y + r * l->line_h;
        int w = app_text_width(names[r], l->scale);
        app_draw_text(c, l->x0 - w - 4 * l->scale, y, names[r], l->scale,
                      colors[r]);
        double f0, f1;
        for (int i = 0; i < point_count(log); i++) {
            app_stage_times p = point_at(log, i, &f0, &f1);
            bool ran = r == 0 ? p.pose_detector_ran : p.hand_detector_ran;
            if (!ran)
                continue;
            /* at least 1 px wide so single frames of long runs show */
            int xa = (int)px_x(l, f0), xb = (int)ceilf(px_x(l, f1));
            app_fill_rect(c, xa, y, xb > xa ? xb : xa + 1,
                          y + app_text_height(l->scale), colors[r], 1.0f);
        }
    }
}

static void draw_legend(app_canvas *c, const layout *l,
                        const app_latency_log *log)
{
    char text[96];
    int x = l->x0, y = l->legend_y;
    int sw = 12 * l->scale, th = app_text_height(l->scale);
    snprintf(text, sizeof text, "%-15s %8s %8s %8s  (ms)", "stage", "last",
             "avg", "peak");
    app_draw_text(c, x + sw + 6 * l->scale, y, text, l->scale, label_color);
    for (int s = 0; s < APP_STAGE_COUNT; s++) {
        y += l->line_h;
        int ym = y + th / 2;
        app_fill_rect(c, x, ym - l->scale, x + sw, ym + l->scale,
                      stage_colors[s], 1.0f);
        snprintf(text, sizeof text, "%-15s %8.2f %8.2f %8.2f",
                 stage_names[s], log->last[s],
                 app_latency_log_avg(log, (app_stage)s), log->peak[s]);
        app_draw_text(c, x + sw + 6 * l->scale, y, text, l->scale,
                      stage_colors[s]);
    }
}

static void draw_title(app_canvas *c, const layout *l,
                       const app_latency_log *log)
{
    char text[96];
    if (log->frames == 0)
        snprintf(text, sizeof text, "latency per stage: no frames");
    else
        snprintf(text, sizeof text,
                 "latency per stage, %lld frames (%lld per point)",
                 (long long)log->frames,
                 (long long)(log->frames_per_point < 1
                                 ? 1 : log->frames_per_point));
    app_draw_text(c, l->x0, l->scale * 4, text, l->scale, label_color);
}

void app_plot_draw(app_canvas *c, const app_latency_log *log)
{
    app_clear(c, bg_color);
    layout l = make_layout(c, log);
    draw_y_axis(c, &l);
    draw_x_axis(c, &l);
    /* total first so the stages it sums are drawn over it */
    draw_stage_line(c, &l, log, APP_STAGE_TOTAL);
    for (int s = 0; s < APP_STAGE_TOTAL; s++)
        draw_stage_line(c, &l, log, (app_stage)s);
    draw_detector_rows(c, &l, log);
    draw_legend(c, &l, log);
    draw_title(c, &l, log);
}

eng_status app_plot_write_png(const app_latency_log *log, const char *path,
                              int width, int height, eng_error *err)
{
    if (width <= 0 || height <= 0) {
        width = 1280;
        height = 720;
    }
    if (width > 8192 || height > 8192)
        return eng_fail(err, ENG_EINVAL, "%s: plot size %dx%d too large",
                        path, width, height);
    app_canvas c = {width, height, 3 * width, NULL};
    c.rgb = calloc((size_t)c.stride, (size_t)height);
    if (!c.rgb)
        return eng_fail(err, ENG_ENOMEM, "out of memory (plot %dx%d)", width,
                        height);
    app_plot_draw(&c, log);
    eng_status st = app_write_png(path, c.rgb, width, height, c.stride, err);
    free(c.rgb);
    return st;
}
