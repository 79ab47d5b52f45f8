/*
 * matte_draw: see matte_draw.h.
 */
#include "matte_draw.h"

#include <epoxy/gl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "glutil.h"

/* shaders/, embedded by the build (shaders/embed.cmake) */
extern const char ren_shader_matte_vert[];
extern const char ren_shader_matte_frag[];

/* matte.frag's background kinds */
enum { BG_COLOR, BG_BLUR, BG_IMAGE };

struct ren_matte {
    GLuint program, vao, vbo, alpha_tex, bg_tex;
    GLint u_target, u_view, u_bg_kind, u_color, u_blur_lod, u_split;
    int alpha_w, alpha_h;       /* the alpha texture's allocated size */
    int bg_kind;
    float color[3];
};

static eng_status build_program(ren_matte *m, eng_error *err)
{
    eng_status st = ren_gl_program(ren_shader_matte_vert,
                                   ren_shader_matte_frag, "matte",
                                   &m->program, err);
    if (st != ENG_OK)
        return st;
    glUseProgram(m->program);
    glUniform1i(glGetUniformLocation(m->program, "u_frame"), 0);
    glUniform1i(glGetUniformLocation(m->program, "u_alpha"), 1);
    glUniform1i(glGetUniformLocation(m->program, "u_bg"), 2);
    m->u_target = glGetUniformLocation(m->program, "u_target");
    m->u_view = glGetUniformLocation(m->program, "u_view");
    m->u_bg_kind = glGetUniformLocation(m->program, "u_bg_kind");
    m->u_color = glGetUniformLocation(m->program, "u_color");
    m->u_blur_lod = glGetUniformLocation(m->program, "u_blur_lod");
    m->u_split = glGetUniformLocation(m->program, "u_split");
    return ENG_OK;
}

eng_status ren_matte_create(ren_matte **out, eng_error *err)
{
    *out = NULL;
    ren_matte *m = calloc(1, sizeof(*m));
    if (!m)
        return eng_fail(err, ENG_ENOMEM, "out of memory");
    eng_status st = build_program(m, err);
    if (st != ENG_OK) {
        ren_matte_destroy(m);
        return st;
    }
    /* 4 vertices of x, y, u, v, rewritten per draw */
    glGenVertexArrays(1, &m->vao);
    glBindVertexArray(m->vao);
    glGenBuffers(1, &m->vbo);
    glBindBuffer(GL_ARRAY_BUFFER, m->vbo);
    glBufferData(GL_ARRAY_BUFFER, 16 * sizeof(float), NULL, GL_STREAM_DRAW);
    glEnableVertexAttribArray(0);
    glVertexAttribPointer(0, 2, GL_FLOAT, GL_FALSE, 4 * sizeof(float), 0);
    glEnableVertexAttribArray(1);
    glVertexAttribPointer(1, 2, GL_FLOAT, GL_FALSE, 4 * sizeof(float),
                          (const void *)(2 * sizeof(float)));
    m->alpha_tex = ren_gl_texture();
    m->bg_tex = ren_gl_texture();
    GLenum e = glGetError();
    if (e != GL_NO_ERROR) {
        ren_matte_destroy(m);
        return eng_fail(err, ENG_EBACKEND, "OpenGL error 0x%04x while "
                        "creating the matte views", e);
    }
    *out = m;
    return ENG_OK;
}

void ren_matte_destroy(ren_matte *m)
{
    if (!m)
        return;
    glDeleteTextures(1, &m->bg_tex);
    glDeleteTextures(1, &m->alpha_tex);
    glDeleteBuffers(1, &m->vbo);
    glDeleteVertexArrays(1, &m->vao);
    glDeleteProgram(m->program);
    free(m);
}

void ren_matte_bg_color(ren_matte *m, const uint8_t rgb[3])
{
    m->bg_kind = BG_COLOR;
    for (int i = 0; i < 3; i++)
        m->color[i] = rgb[i] / 255.0f;
}

void ren_matte_bg_blur(ren_matte *m)
{
    m->bg_kind = BG_BLUR;
}

/* Uploads an 8-bit image of c channels (1 or 3) whose rows are `stride`
 * bytes apart into the bound texture, at (0, 0). */
static void upload(const uint8_t *p, int w, int h, int stride, int c)
{
    GLenum fmt = c == 1 ? GL_RED : GL_RGB;
    glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
    if (stride % c == 0) {
        glPixelStorei(GL_UNPACK_ROW_LENGTH, stride / c);
        glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, w, h, fmt, GL_UNSIGNED_BYTE,
                        p);
        glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
    } else {
        for (int y = 0; y < h; y++)
            glTexSubImage2D(GL_TEXTURE_2D, 0, 0, y, w, 1, fmt,
                            GL_UNSIGNED_BYTE, p + (size_t)y * stride);
    }
}

void ren_matte_bg_image(ren_matte *m, const uint8_t *rgb, int width,
                        int height, int stride)
{
    m->bg_kind = BG_IMAGE;
    glBindTexture(GL_TEXTURE_2D, m->bg_tex);
    glTexImage2D(GL_TEXTURE_2D, 0, GL_RGB8, width, height, 0, GL_RGB,
                 GL_UNSIGNED_BYTE, NULL);
    upload(rgb, width, height, stride, 3);
}

void ren_matte_draw(ren_matte *m, ren_renderer *r, ren_matte_view view,
                    const uint8_t *alpha, int width, int height, int stride)
{
    if (view == REN_MATTE_VIDEO || !alpha || width < 1 || height < 1)
        return;
    ren_image_info im;
    ren_image_info_get(r, &im);
    if (!im.texture || im.width < 1)
        return;
    ren_flush(r);
    glActiveTexture(GL_TEXTURE1);
    glBindTexture(GL_TEXTURE_2D, m->alpha_tex);
    if (width != m->alpha_w || height != m->alpha_h) {
        glTexImage2D(GL_TEXTURE_2D, 0, GL_R8, width, height, 0, GL_RED,
                     GL_UNSIGNED_BYTE, NULL);
        m->alpha_w = width;
        m->alpha_h = height;
    }
    upload(alpha, width, height, stride, 1);
    glActiveTexture(GL_TEXTURE2);
    glBindTexture(GL_TEXTURE_2D, m->bg_tex);
    glActiveTexture(GL_TEXTURE0);
    glBindTexture(GL_TEXTURE_2D, im.texture);
    bool blur = m->bg_kind == BG_BLUR && view != REN_MATTE_ALPHA;
    if (blur) {
        /* the frame texture is the renderer's: its mipmaps are rebuilt
         * for this draw and its filter put back afterwards */
        glGenerateMipmap(GL_TEXTURE_2D);
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER,
                        GL_LINEAR_MIPMAP_LINEAR);
    }
    glUseProgram(m->program);
    glUniform2f(m->u_target, (float)im.target_w, (float)im.target_h);
    glUniform1i(m->u_view, (int)view);
    glUniform1i(m->u_bg_kind, m->bg_kind);
    glUniform3f(m->u_color, m->color[0], m->color[1], m->color[2]);
    /* a level about 1/50 of the long side wide per texel: a blur of
     * roughly that radius, whatever the resolution */
    int side = im.width > im.height ? im.width : im.height;
    glUniform1f(m->u_blur_lod, fmaxf(0, log2f((float)side / 50)));
    glUniform1f(m->u_split, 0.5f);
    const float v[16] = {
        im.x0, im.y0, 0, 0, im.x1, im.y0, 1, 0,
        im.x0, im.y1, 0, 1, im.x1, im.y1, 1, 1,
    };
    glBindVertexArray(m->vao);
    glBindBuffer(GL_ARRAY_BUFFER, m->vbo);
    glBufferSubData(GL_ARRAY_BUFFER, 0, sizeof(v), v);
    glDrawArrays(GL_TRIANGLE_STRIP, 0, 4);
    if (blur)
        glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
}

const char *ren_matte_view_name(ren_matte_view view)
{
    static const char *const names[REN_MATTE_VIEW_COUNT] = {
        "video", "alpha", "composite", "split",
    };
    return view >= 0 && view < REN_MATTE_VIEW_COUNT ? names[view] : "?";
}
