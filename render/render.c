/*
 * render: see render.h.
 */
#include "render.h"

#include <epoxy/gl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "font.h"
#include "glutil.h"

/* shaders/, embedded by the build (shaders/embed.cmake) */
extern const char ren_shader_overlay_vert[];
extern const char ren_shader_overlay_frag[];

/* overlay.frag's kinds */
enum { KIND_CAPSULE, KIND_SOLID, KIND_TEXT, KIND_IMAGE };

/* Coordinates farther out than this are garbage (a diverged keypoint),
 * as in app/annotate.c: such shapes are skipped. */
#define COORD_LIMIT 1e6f

typedef struct vertex {
    float pos[2];
    float shape[4];
    float param[2];   /* radius, kind */
    float color[4];
} vertex;

/* 6 vertices a quad; a full plot is ~1600 quads, so one flush a frame */
#define BATCH_VERTICES (6 * 4096)

struct ren_renderer {
    /* GL objects, created once */
    GLuint program, vao, vbo;
    GLint u_target;
    GLuint font_tex, image_tex, fbo, color_rb, depth_rb, pbo;
    ren_font font;
    /* sizes of what is allocated on the GPU */
    int width, height;          /* target */
    int image_w, image_h;       /* video texture */
    size_t pbo_bytes;
    /* the letterbox of the last ren_image: target = frame * k + offset */
    float k, ox, oy;
    vertex batch[BATCH_VERTICES];
    int n_vertices;
};

static eng_status build_program(ren_renderer *r, eng_error *err)
{
    eng_status st = ren_gl_program(ren_shader_overlay_vert,
                                   ren_shader_overlay_frag, "overlay",
                                   &r->program, err);
    if (st != ENG_OK)
        return st;
    glUseProgram(r->program);
    r->u_target = glGetUniformLocation(r->program, "u_target");
    glUniform1i(glGetUniformLocation(r->program, "u_font"), 0);
    glUniform1i(glGetUniformLocation(r->program, "u_image"), 1);
    return ENG_OK;
}

static void build_buffers(ren_renderer *r)
{
    glGenVertexArrays(1, &r->vao);
    glBindVertexArray(r->vao);
    glGenBuffers(1, &r->vbo);
    glBindBuffer(GL_ARRAY_BUFFER, r->vbo);
    glBufferData(GL_ARRAY_BUFFER, sizeof(r->batch), NULL, GL_STREAM_DRAW);
    static const struct { GLint n; size_t off; } attrs[] = {
        { 2, offsetof(vertex, pos) },
        { 4, offsetof(vertex, shape) },
        { 2, offsetof(vertex, param) },
        { 4, offsetof(vertex, color) },
    };
    for (GLuint i = 0; i < 4; i++) {
        glEnableVertexAttribArray(i);
        glVertexAttribPointer(i, attrs[i].n, GL_FLOAT, GL_FALSE,
                              sizeof(vertex), (const void *)attrs[i].off);
    }
}

eng_status ren_create(const ren_desc *desc, ren_renderer **out,
                      eng_error *err)
{
    static const ren_desc defaults;
    desc = desc ? desc : &defaults;
    *out = NULL;
    if (epoxy_gl_version() < 33)
        return eng_fail(err, ENG_EBACKEND, "OpenGL 3.3 needed, the context "
                        "has %d.%d", epoxy_gl_version() / 10,
                        epoxy_gl_version() % 10);
    ren_renderer *r = calloc(1, sizeof(*r));
    if (!r)
        return eng_fail(err, ENG_ENOMEM, "out of memory");
    eng_status st = ren_font_load(&r->font, desc->font_path, desc->font_px,
                                  err);
    if (st == ENG_OK)
        st = build_program(r, err);
    if (st != ENG_OK) {
        ren_destroy(r);
        return st;
    }
    build_buffers(r);
    r->font_tex = ren_gl_texture();
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_R8, r->font.atlas_w, r->font.atlas_h,
                 0, GL_RED, GL_UNSIGNED_BYTE, r->font.atlas);
    r->image_tex = ren_gl_texture();
    glGenFramebuffers(1, &r->fbo);
    glGenRenderbuffers(1, &r->color_rb);
    glGenRenderbuffers(1, &r->depth_rb);
    glGenBuffers(1, &r->pbo);
    GLenum e = glGetError();
    if (e != GL_NO_ERROR) {
        ren_destroy(r);
        return eng_fail(err, ENG_EBACKEND, "OpenGL error 0x%04x while "
                        "creating the renderer", e);
    }
    *out = r;
    return ENG_OK;
}

void ren_destroy(ren_renderer *r)
{
    if (!r)
        return;
    /* deleting name 0 is a no-op, so a half-made renderer is fine */
    glDeleteBuffers(1, &r->pbo);
    glDeleteRenderbuffers(1, &r->depth_rb);
    glDeleteRenderbuffers(1, &r->color_rb);
    glDeleteFramebuffers(1, &r->fbo);
    glDeleteTextures(1, &r->image_tex);
    glDeleteTextures(1, &r->font_tex);
    glDeleteBuffers(1, &r->vbo);
    glDeleteVertexArrays(1, &r->vao);
    glDeleteProgram(r->program);
    ren_font_free(&r->font);
    free(r);
}

eng_status ren_begin(ren_renderer *r, int width, int height, eng_error *err)
{
    GLint max = 0;
    glGetIntegerv(GL_MAX_RENDERBUFFER_SIZE, &max);
    if (width < 1 || height < 1 || width > max || height > max)
        return eng_fail(err, ENG_EINVAL, "render target %dx%d: out of "
                        "range (1..%d)", width, height, max);
    glBindFramebuffer(GL_FRAMEBUFFER, r->fbo);
    if (width != r->width || height != r->height) {
        glBindRenderbuffer(GL_RENDERBUFFER, r->color_rb);
        glRenderbufferStorage(GL_RENDERBUFFER, GL_RGBA8, width, height);
        glFramebufferRenderbuffer(GL_FRAMEBUFFER, GL_COLOR_ATTACHMENT0,
                                  GL_RENDERBUFFER, r->color_rb);
        /* for the depth-tested passes drawn between the batches
         * (render/mesh.h) */
        glBindRenderbuffer(GL_RENDERBUFFER, r->depth_rb);
        glRenderbufferStorage(GL_RENDERBUFFER, GL_DEPTH_COMPONENT24, width,
                              height);
        glFramebufferRenderbuffer(GL_FRAMEBUFFER, GL_DEPTH_ATTACHMENT,
                                  GL_RENDERBUFFER, r->depth_rb);
        if (glCheckFramebufferStatus(GL_FRAMEBUFFER) !=
            GL_FRAMEBUFFER_COMPLETE) {
            r->width = r->height = 0;
            return eng_fail(err, ENG_EBACKEND, "render target %dx%d: "
                            "framebuffer incomplete", width, height);
        }
        r->width = width;
        r->height = height;
    }
    glViewport(0, 0, width, height);
    glDisable(GL_DEPTH_TEST);
    glEnable(GL_BLEND);
    glBlendFuncSeparate(GL_SRC_ALPHA, GL_ONE_MINUS_SRC_ALPHA, GL_ONE,
                        GL_ONE_MINUS_SRC_ALPHA);
    glClearColor(0, 0, 0, 1);
    glClear(GL_COLOR_BUFFER_BIT);
    r->k = 1;
    r->ox = r->oy = 0;
    r->n_vertices = 0;
    return ENG_OK;
}

void ren_flush(ren_renderer *r)
{
    if (!r->n_vertices)
        return;
    glUseProgram(r->program);
    glUniform2f(r->u_target, (float)r->width, (float)r->height);
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, r->font_tex);
    glActiveTexture(GL_TEXTURE1);
    glBindTexture(GL_TEXTURE_2D, r->image_tex);
    glBindVertexArray(r->vao);
    glBindBuffer(GL_ARRAY_BUFFER, r->vbo);
    /* orphan the buffer: the driver need not wait for the last draw */
    glBufferData(GL_ARRAY_BUFFER, sizeof(r->batch), NULL, GL_STREAM_DRAW);
    glBufferSubData(GL_ARRAY_BUFFER, 0,
                    (GLsizeiptr)(r->n_vertices * sizeof(vertex)), r->batch);
    glDrawArrays(GL_TRIANGLES, 0, r->n_vertices);
    r->n_vertices = 0;
}

/* Appends a quad with corners c[0..3] (in order around it) carrying
 * texture/shape coordinates spanning (s0,t0)-(s1,t1) over the corners
 * when `tex`, else the same `shape` at every corner. */
static void quad4(ren_renderer *r, const float c[4][2], const float shape[4],
                  bool tex, float radius, int kind, app_rgb col, float alpha)
{
    if (r->n_vertices + 6 > BATCH_VERTICES)
        ren_flush(r);
    static const int corner[6] = { 0, 1, 2, 0, 2, 3 };
    static const float us[4] = { 0, 1, 1, 0 }, vs[4] = { 0, 0, 1, 1 };
    for (int i = 0; i < 6; i++) {
        int k = corner[i];
        vertex *v = &r->batch[r->n_vertices++];
        v->pos[0] = c[k][0];
        v->pos[1] = c[k][1];
        if (tex) {
            v->shape[0] = shape[0] + us[k] * (shape[2] - shape[0]);
            v->shape[1] = shape[1] + vs[k] * (shape[3] - shape[1]);
            v->shape[2] = v->shape[3] = 0;
        } else {
            memcpy(v->shape, shape, sizeof(v->shape));
        }
        v->param[0] = radius;
        v->param[1] = (float)kind;
        v->color[0] = col.r / 255.0f;
        v->color[1] = col.g / 255.0f;
        v->color[2] = col.b / 255.0f;
        v->color[3] = alpha;
    }
}

/* An axis-aligned quad (x0,y0)-(x1,y1). */
static void quad(ren_renderer *r, float x0, float y0, float x1, float y1,
                 const float shape[4], bool tex, float radius, int kind,
                 app_rgb c, float alpha)
{
    const float corners[4][2] = { { x0, y0 }, { x1, y0 }, { x1, y1 },
                                  { x0, y1 } };
    quad4(r, corners, shape, tex, radius, kind, c, alpha);
}

static bool coord_ok(float v)
{
    return isfinite(v) && fabsf(v) <= COORD_LIMIT;
}

void ren_image(ren_renderer *r, const uint8_t *rgb, int width, int height,
               int stride)
{
    if (width < 1 || height < 1 || !r->width)
        return;
    glBindTexture(GL_TEXTURE_2D, r->image_tex);
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    if (width != r->image_w || height != r->image_h) {
        glTexImage2D(GL_TEXTURE_2D, 0, GL_RGB8, width, height, 0, GL_RGB,
                     GL_UNSIGNED_BYTE, NULL);
        r->image_w = width;
        r->image_h = height;
    }
    if (stride % 3 == 0) {
        glPixelStorei(GL_UNPACK_ROW_LENGTH, stride / 3);
        glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, width, height, GL_RGB,
                        GL_UNSIGNED_BYTE, rgb);
        glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
    } else {
        /* a row length GL cannot express: one row at a time */
        for (int y = 0; y < height; y++)
            glTexSubImage2D(GL_TEXTURE_2D, 0, 0, y, width, 1, GL_RGB,
                            GL_UNSIGNED_BYTE, rgb + (size_t)y * stride);
    }
    float k = fminf((float)r->width / width, (float)r->height / height);
    r->k = k;
    r->ox = 0.5f * ((float)r->width - k * width);
    r->oy = 0.5f * ((float)r->height - k * height);
    const float uv[4] = { 0, 0, 1, 1 };
    quad(r, r->ox, r->oy, r->ox + k * width, r->oy + k * height, uv, true,
         0, KIND_IMAGE, (app_rgb){ 0, 0, 0 }, 1);
}

void ren_line(ren_renderer *r, float x0, float y0, float x1, float y1,
              float width, app_rgb color, float alpha)
{
    if (!coord_ok(x0) || !coord_ok(y0) || !coord_ok(x1) || !coord_ok(y1) ||
        !(alpha > 0) || !(width > 0))
        return;
    float rad = 0.5f * width, m = rad + 1.0f;
    const float shape[4] = { x0, y0, x1, y1 };
    /* a quad along the segment, not its bounding box: a long diagonal
     * line would shade a whole screen of empty fragments */
    float dx = x1 - x0, dy = y1 - y0, len = sqrtf(dx * dx + dy * dy);
    if (len > 0) {
        dx /= len;
        dy /= len;
    } else {
        dx = 1;
        dy = 0;
    }
    float ax = dx * m, ay = dy * m;   /* along, m long */
    float nx = -ay, ny = ax;          /* across */
    const float c[4][2] = {
        { x0 - ax + nx, y0 - ay + ny }, { x1 + ax + nx, y1 + ay + ny },
        { x1 + ax - nx, y1 + ay - ny }, { x0 - ax - nx, y0 - ay - ny },
    };
    quad4(r, c, shape, false, rad, KIND_CAPSULE, color, fminf(alpha, 1));
}

void ren_circle(ren_renderer *r, float cx, float cy, float radius,
                app_rgb color, float alpha)
{
    if (!coord_ok(cx) || !coord_ok(cy) || !(alpha > 0) || !(radius > 0))
        return;
    float m = radius + 1.0f;
    const float shape[4] = { cx, cy, cx, cy };
    quad(r, cx - m, cy - m, cx + m, cy + m, shape, false, radius,
         KIND_CAPSULE, color, fminf(alpha, 1));
}

void ren_fill_rect(ren_renderer *r, float x0, float y0, float x1, float y1,
                   app_rgb color, float alpha)
{
    if (!coord_ok(x0) || !coord_ok(y0) || !coord_ok(x1) || !coord_ok(y1) ||
        !(alpha > 0))
        return;
    const float none[4] = { 0 };
    quad(r, x0, y0, x1, y1, none, false, 0, KIND_SOLID, color,
         fminf(alpha, 1));
}

float ren_text_width(const ren_renderer *r, const char *text, float px)
{
    return ren_font_width(&r->font, text, px);
}

float ren_text(ren_renderer *r, float x, float y, float px,
               const char *text, app_rgb color, float alpha)
{
    const ren_font *f = &r->font;
    float k = px / (float)f->px, pen = x;
    float base = y + k * (float)f->ascent;
    if (!coord_ok(x) || !coord_ok(y) || !(px > 0))
        return 0;
    for (const char *p = text; *p; p++) {
        const ren_glyph *g = ren_font_glyph(f, (unsigned char)*p);
        if (g->w && g->h) {
            float gx = pen + k * (float)g->x0, gy = base - k * (float)g->y0;
            const float uv[4] = {
                (float)g->ax / f->atlas_w, (float)g->ay / f->atlas_h,
                (float)(g->ax + g->w) / f->atlas_w,
                (float)(g->ay + g->h) / f->atlas_h,
            };
            quad(r, gx, gy, gx + k * g->w, gy + k * g->h, uv, true, 0,
                 KIND_TEXT, color, alpha);
        }
        pen += k * g->advance;
    }
    return pen - x;
}

/* --- results: the rules of app/annotate.c, on the GPU ----------------- */

typedef struct overlay_ctx {
    ren_renderer *r;
    const ren_overlay *ov;
    app_style st;
} overlay_ctx;

static float fx(const overlay_ctx *c, float x)
{
    return c->r->ox + c->r->k * x;
}

static float fy(const overlay_ctx *c, float y)
{
    return c->r->oy + c->r->k * y;
}

/* Text height of the bitmap font at this scale, so labels are as big as
 * the software path's. */
static float label_px(const app_style *st)
{
    return 8.0f * (float)st->font_scale;
}

static void tag(overlay_ctx *c, float x, float y, const char *text,
                app_rgb color)
{
    float px = label_px(&c->st) * c->r->k, pad = 0.25f * px;
    float w = ren_text_width(c->r, text, px) + 2 * pad;
    float h = 1.2f * px + 2 * pad;
    /* keep the label on the target, as place_label() in annotate.c */
    x = fminf(fmaxf(isfinite(x) ? x : 0, 0), (float)c->r->width - w);
    y = fminf(fmaxf(isfinite(y) ? y : 0, 0), (float)c->r->height - h);
    ren_fill_rect(c->r, x, y, x + w, y + h, c->st.text_bg, 0.6f);
    ren_text(c->r, x + pad, y + pad, px, text, color, 1);
}

static void roi(overlay_ctx *c, const eng_roi *roi, bool detector)
{
    /* eng_roi is frame-normalised: corners of the rotated rectangle */
    float w = (float)c->r->image_w, h = (float)c->r->image_h;
    float cs = cosf(roi->rotation), sn = sinf(roi->rotation);
    float hx = 0.5f * roi->w * w, hy = 0.5f * roi->h * h;
    float cx = roi->cx * w, cy = roi->cy * h;
    float px[4], py[4];
    static const float sx[4] = { -1, 1, 1, -1 }, sy[4] = { -1, -1, 1, 1 };
    for (int i = 0; i < 4; i++) {
        px[i] = fx(c, cx + sx[i] * hx * cs - sy[i] * hy * sn);
        py[i] = fy(c, cy + sx[i] * hx * sn + sy[i] * hy * cs);
    }
    app_rgb col = detector ? c->st.roi_detector : c->st.roi;
    float lw = c->st.roi_width * c->r->k;
    for (int i = 0; i < 4; i++)
        ren_line(c->r, px[i], py[i], px[(i + 1) % 4], py[(i + 1) % 4], lw,
                 col, 1);
}

static void point(overlay_ctx *c, float x, float y, float radius,
                  app_rgb color, float alpha)
{
    float k = c->r->k;
    ren_circle(c->r, fx(c, x), fy(c, y), (radius + 1) * k, c->st.point_rim,
               alpha);
    ren_circle(c->r, fx(c, x), fy(c, y), radius * k, color, alpha);
}

static float point_alpha(const overlay_ctx *c, const eng_person *p, int i)
{
    float v = p->kp[i][3];
    v = isfinite(v) ? fminf(fmaxf(v, 0), 1) : 0;
    if (v < c->st.min_visibility && !c->ov->show_invisible)
        return 0;
    return 0.3f + 0.7f * v;
}

static void person(overlay_ctx *c, const eng_person *p)
{
    const app_style *st = &c->st;
    if (c->ov->rois)
        roi(c, &p->roi, p->from_detector);
    float alpha[ENG_POSE_POINTS];
    for (int i = 0; i < ENG_POSE_POINTS; i++)
        alpha[i] = point_alpha(c, p, i);
    for (int e = 0; e < APP_POSE_EDGE_COUNT; e++) {
        const app_edge *ed = &app_pose_edges[e];
        ren_line(c->r, fx(c, p->kp[ed->a][0]), fy(c, p->kp[ed->a][1]),
                 fx(c, p->kp[ed->b][0]), fy(c, p->kp[ed->b][1]),
                 st->line_width * c->r->k, st->pose[ed->side],
                 fminf(alpha[ed->a], alpha[ed->b]));
    }
    float top_x = NAN, top_y = INFINITY;
    for (int i = 0; i < ENG_POSE_POINTS; i++) {
        point(c, p->kp[i][0], p->kp[i][1], st->point_radius,
              st->pose[app_pose_point_side(i)], alpha[i]);
        if (alpha[i] > 0 && coord_ok(p->kp[i][0]) &&
            coord_ok(p->kp[i][1]) && p->kp[i][1] < top_y) {
            top_x = p->kp[i][0];
            top_y = p->kp[i][1];
        }
    }
    if (c->ov->hide_ids || !isfinite(top_y))
        return;
    char text[24];
    snprintf(text, sizeof text, "#%d", p->id);
    float px = label_px(st) * c->r->k;
    tag(c, fx(c, top_x) - 0.5f * ren_text_width(c->r, text, px),
        fy(c, top_y) - 3 * st->point_radius * c->r->k - 1.7f * px, text,
        st->text);
}

static void hand(overlay_ctx *c, const eng_hand *h)
{
    const app_style *st = &c->st;
    bool right = h->handedness == ENG_HAND_RIGHT;
    app_rgb color = st->hand[right ? ENG_HAND_RIGHT : ENG_HAND_LEFT];
    if (c->ov->rois)
        roi(c, &h->roi, h->from_detector);
    /* fingers are small: thinner than body lines (as annotate.c) */
    float width = fmaxf(1.0f, 0.75f * st->line_width) * c->r->k;
    for (int e = 0; e < APP_HAND_EDGE_COUNT; e++) {
        const app_edge *ed = &app_hand_edges[e];
        ren_line(c->r, fx(c, h->kp[ed->a][0]), fy(c, h->kp[ed->a][1]),
                 fx(c, h->kp[ed->b][0]), fy(c, h->kp[ed->b][1]), width,
                 color, 1);
    }
    float radius = fmaxf(2.5f, 0.8f * st->point_radius);
    for (int i = 0; i < ENG_HAND_POINTS; i++)
        point(c, h->kp[i][0], h->kp[i][1], radius, color, 1);
    if (c->ov->hide_ids || !coord_ok(h->kp[0][0]) || !coord_ok(h->kp[0][1]))
        return;
    char text[32];
    snprintf(text, sizeof text, "%s #%d", right ? "Right" : "Left", h->id);
    float off = 2 * st->point_radius;
    tag(c, fx(c, h->kp[0][0] + off), fy(c, h->kp[0][1] + off), text, color);
}

void ren_results(ren_renderer *r, const eng_person *people, int n_people,
                 const eng_hand *hands, int n_hands, const ren_overlay *ov)
{
    static const ren_overlay defaults;
    overlay_ctx c = { .r = r, .ov = ov ? ov : &defaults };
    c.st = c.ov->style ? *c.ov->style
                       : app_style_for_frame(r->image_w, r->image_h);
    for (int i = 0; i < n_people; i++)
        person(&c, &people[i]);
    for (int i = 0; i < n_hands; i++)
        hand(&c, &hands[i]);
}

/* --- latency plots ------------------------------------------------------ */

static const app_rgb stage_color[REN_STAGE_COUNT] = {
    [REN_STAGE_DECODE] = { 150, 150, 150 },
    [REN_STAGE_DETECT] = { 255, 80, 80 },
    [REN_STAGE_BODY] = { 255, 170, 40 },
    [REN_STAGE_HANDS] = { 70, 220, 90 },
    [REN_STAGE_RENDER] = { 80, 160, 255 },
    [REN_STAGE_E2E] = { 255, 255, 255 },
};

/* The smallest 1-2-5 step that splits `max` into at most 4 parts. */
static float nice_step(float max)
{
    float step = 1;
    static const float mult[3] = { 2, 2.5f, 2 };
    for (int i = 0; step * 4 < max; i++)
        step *= mult[i % 3];
    return step;
}

/* "12.3" below 100 ms, "123" above: the legend keeps its width. */
static void fmt_ms(char *buf, size_t cap, float v)
{
    snprintf(buf, cap, v < 100 ? "%.1f" : "%.0f", v);
}

void ren_plots(ren_renderer *r, const ren_perf_set *perf, float x, float y,
               float w, float h)
{
    static const app_rgb white = { 255, 255, 255 }, grid = { 90, 90, 90 };
    ren_fill_rect(r, x, y, x + w, y + h, (app_rgb){ 0, 0, 0 }, 0.6f);
    float max = 1;
    for (int s = 0; s < REN_STAGE_COUNT; s++)
        max = fmaxf(max, perf->stage[s].peak);
    float step = nice_step(max), top = step * ceilf(max / step);
    char text[96], a[16], b[16], c[16];
    /* text size: legible, but the legend takes at most 45% of the width */
    float px = fmaxf(9, fminf(16, h / 11));
    float legend_1px = ren_text_width(r, "end-to-end 999.9/999.9/999.9", 1);
    px = fmaxf(6, fminf(px, 0.45f * w / legend_1px));
    snprintf(text, sizeof text, "%g", top);
    /* the lines' area: right of the scale, left of the legend, above the
     * detector ticks */
    float gx0 = x + 0.8f * px + ren_text_width(r, text, px);
    float gx1 = x + w - legend_1px * px - px, gy0 = y + 1.8f * px;
    float gy1 = y + h - px;
    if (gx1 - gx0 < 16 || gy1 - gy0 < 16)
        return;
    for (float v = 0; v <= top + 0.5f * step; v += step) {
        float gy = gy1 - (gy1 - gy0) * v / top;
        ren_line(r, gx0, gy, gx1, gy, 1, grid, 1);
        snprintf(text, sizeof text, "%g", v);
        ren_text(r, gx0 - ren_text_width(r, text, px) - 0.3f * px,
                 gy - 0.6f * px, px, text, white, 0.8f);
    }
    ren_text(r, gx0, y + 0.3f * px, px, "ms", white, 0.8f);
    float dx = (gx1 - gx0) / (REN_PERF_SAMPLES - 1);
    /* newest sample at the right edge: the lines scroll left */
    float x_first = gx1 - dx * (float)(perf->count - 1);
    for (int i = 0; i < perf->count; i++) {
        if (perf->detector[(perf->head - perf->count + i +
                            REN_PERF_SAMPLES) % REN_PERF_SAMPLES])
            ren_line(r, x_first + dx * i, gy1 + 0.2f * px,
                     x_first + dx * i, gy1 + 0.8f * px, 1.5f,
                     stage_color[REN_STAGE_DETECT], 1);
    }
    for (int s = 0; s < REN_STAGE_COUNT; s++) {
        for (int i = 1; i < perf->count; i++) {
            float v0 = ren_perf_sample(perf, (ren_stage)s, i - 1);
            float v1 = ren_perf_sample(perf, (ren_stage)s, i);
            ren_line(r, x_first + dx * (i - 1),
                     gy1 - (gy1 - gy0) * fminf(v0, top) / top,
                     x_first + dx * i,
                     gy1 - (gy1 - gy0) * fminf(v1, top) / top, 1.5f,
                     stage_color[s], 1);
        }
    }
    float lx = gx1 + px, ly = y + 0.3f * px;
    snprintf(text, sizeof text, "%.1f FPS  last/avg/peak ms", perf->fps);
    ren_text(r, lx, ly, px, text, white, 1);
    for (int s = 0; s < REN_STAGE_COUNT; s++) {
        const ren_perf *p = &perf->stage[s];
        ly += 1.3f * px;
        fmt_ms(a, sizeof a, p->last);
        fmt_ms(b, sizeof b, p->avg);
        fmt_ms(c, sizeof c, p->peak);
        snprintf(text, sizeof text, "%s %s/%s/%s",
                 ren_stage_name((ren_stage)s), a, b, c);
        ren_text(r, lx, ly, px, text, stage_color[s], 1);
    }
}

void ren_frame_map(const ren_renderer *r, float *k, float *ox, float *oy)
{
    *k = r->k;
    *ox = r->ox;
    *oy = r->oy;
}

void ren_target_size(const ren_renderer *r, int *width, int *height)
{
    *width = r->width;
    *height = r->height;
}

void ren_image_info_get(const ren_renderer *r, ren_image_info *out)
{
    *out = (ren_image_info){
        .texture = r->image_w ? r->image_tex : 0,
        .width = r->image_w, .height = r->image_h,
        .target_w = r->width, .target_h = r->height,
        .x0 = r->ox, .y0 = r->oy,
        .x1 = r->ox + r->k * r->image_w, .y1 = r->oy + r->k * r->image_h,
    };
}

eng_status ren_end(ren_renderer *r, eng_error *err)
{
    ren_flush(r);
    GLenum e = glGetError();
    if (e != GL_NO_ERROR)
        return eng_fail(err, ENG_EBACKEND, "OpenGL error 0x%04x while "
                        "drawing", e);
    return ENG_OK;
}

eng_status ren_read_rgb(ren_renderer *r, uint8_t *rgb, int stride,
                        eng_error *err)
{
    /* RGBA is the format drivers read back without a slow path (llvmpipe
     * converts RGB pixel by pixel); dropping alpha here is cheaper */
    size_t row = (size_t)r->width * 4, bytes = row * r->height;
    glBindFramebuffer(GL_READ_FRAMEBUFFER, r->fbo);
    glBindBuffer(GL_PIXEL_PACK_BUFFER, r->pbo);
    if (bytes > r->pbo_bytes) {
        glBufferData(GL_PIXEL_PACK_BUFFER, (GLsizeiptr)bytes, NULL,
                     GL_STREAM_READ);
        r->pbo_bytes = bytes;
    }
    glPixelStorei(GL_PACK_ALIGNMENT, 4);
    glReadPixels(0, 0, r->width, r->height, GL_RGBA, GL_UNSIGNED_BYTE,
                 NULL);
    const uint8_t *src = glMapBufferRange(GL_PIXEL_PACK_BUFFER, 0,
                                          (GLsizeiptr)bytes,
                                          GL_MAP_READ_BIT);
    if (!src) {
        glBindBuffer(GL_PIXEL_PACK_BUFFER, 0);
        return eng_fail(err, ENG_EBACKEND, "mapping the read-back buffer "
                        "failed (GL error 0x%04x)", glGetError());
    }
    /* GL's rows run bottom-up */
    for (int y = 0; y < r->height; y++) {
        const uint8_t *s = src + (size_t)(r->height - 1 - y) * row;
        uint8_t *d = rgb + (size_t)y * stride;
        for (int x = 0; x < r->width; x++, s += 4, d += 3) {
            d[0] = s[0];
            d[1] = s[1];
            d[2] = s[2];
        }
    }
    glUnmapBuffer(GL_PIXEL_PACK_BUFFER);
    glBindBuffer(GL_PIXEL_PACK_BUFFER, 0);
    return ENG_OK;
}

void ren_present(ren_renderer *r, int dw, int dh)
{
    glBindFramebuffer(GL_DRAW_FRAMEBUFFER, 0);
    glViewport(0, 0, dw, dh);
    glClearColor(0, 0, 0, 1);
    glClear(GL_COLOR_BUFFER_BIT);
    if (!r->width || dw < 1 || dh < 1)
        return;
    float k = fminf((float)dw / r->width, (float)dh / r->height);
    int w = (int)(k * r->width + 0.5f), h = (int)(k * r->height + 0.5f);
    int x = (dw - w) / 2, y = (dh - h) / 2;
    glBindFramebuffer(GL_READ_FRAMEBUFFER, r->fbo);
    glBlitFramebuffer(0, 0, r->width, r->height, x, y, x + w, y + h,
                      GL_COLOR_BUFFER_BIT, GL_LINEAR);
    glBindFramebuffer(GL_FRAMEBUFFER, 0);
}
