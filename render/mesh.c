/*
 * mesh: see mesh.h.
 */
#include "mesh.h"

#include <epoxy/gl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "glutil.h"

extern const char ren_shader_mesh_vert[];
extern const char ren_shader_mesh_frag[];

/* Index buffers kept on the GPU: one per hand model side, so a frame with
 * a left and a right hand uploads no faces. */
#define FACE_SLOTS 2

struct ren_mesh {
    GLuint program, vao, vbo;
    GLint u_mvp, u_light, u_color;
    struct {
        GLuint ebo;
        const int32_t *faces;   /* what it holds (compared, not read) */
        int n_faces;
        unsigned used;          /* draw count when last used */
    } slot[FACE_SLOTS];
    unsigned draws;
    int max_verts;
    float *interleaved;         /* [max_verts][6]: position, normal */
};

static eng_status build_program(ren_mesh *m, eng_error *err)
{
    eng_status st = ren_gl_program(ren_shader_mesh_vert,
                                   ren_shader_mesh_frag, "mesh",
                                   &m->program, err);
    if (st != ENG_OK)
        return st;
    m->u_mvp = glGetUniformLocation(m->program, "u_mvp");
    m->u_light = glGetUniformLocation(m->program, "u_light");
    m->u_color = glGetUniformLocation(m->program, "u_color");
    return ENG_OK;
}

eng_status ren_mesh_create(int max_verts, ren_mesh **out, eng_error *err)
{
    *out = NULL;
    if (max_verts < 3 || max_verts > (1 << 24))
        return eng_fail(err, ENG_EINVAL, "mesh of %d vertices: out of "
                        "range", max_verts);
    ren_mesh *m = calloc(1, sizeof(*m));
    if (m)
        m->interleaved = malloc((size_t)max_verts * 6 * sizeof(float));
    if (!m || !m->interleaved) {
        ren_mesh_destroy(m);
        return eng_fail(err, ENG_ENOMEM, "out of memory");
    }
    m->max_verts = max_verts;
    eng_status st = build_program(m, err);
    if (st != ENG_OK) {
        ren_mesh_destroy(m);
        return st;
    }
    glGenVertexArrays(1, &m->vao);
    glBindVertexArray(m->vao);
    glGenBuffers(1, &m->vbo);
    glBindBuffer(GL_ARRAY_BUFFER, m->vbo);
    glBufferData(GL_ARRAY_BUFFER,
                 (GLsizeiptr)((size_t)max_verts * 6 * sizeof(float)), NULL,
                 GL_STREAM_DRAW);
    for (GLuint i = 0; i < 2; i++) {
        glEnableVertexAttribArray(i);
        glVertexAttribPointer(i, 3, GL_FLOAT, GL_FALSE, 6 * sizeof(float),
                              (const void *)(i * 3 * sizeof(float)));
    }
    for (int i = 0; i < FACE_SLOTS; i++)
        glGenBuffers(1, &m->slot[i].ebo);
    glBindVertexArray(0);
    GLenum e = glGetError();
    if (e != GL_NO_ERROR) {
        ren_mesh_destroy(m);
        return eng_fail(err, ENG_EBACKEND, "OpenGL error 0x%04x while "
                        "creating the mesh renderer", e);
    }
    *out = m;
    return ENG_OK;
}

void ren_mesh_destroy(ren_mesh *m)
{
    if (!m)
        return;
    for (int i = 0; i < FACE_SLOTS; i++)
        glDeleteBuffers(1, &m->slot[i].ebo);
    glDeleteBuffers(1, &m->vbo);
    glDeleteVertexArrays(1, &m->vao);
    glDeleteProgram(m->program);
    free(m->interleaved);
    free(m);
}

/* Positions and area-weighted smooth normals into m->interleaved. */
static void build_vertices(ren_mesh *m, const float *verts, int n_verts,
                           const int32_t *faces, int n_faces)
{
    float *iv = m->interleaved;
    for (int v = 0; v < n_verts; v++) {
        memcpy(iv + 6 * v, verts + 3 * v, 3 * sizeof(float));
        iv[6 * v + 3] = iv[6 * v + 4] = iv[6 * v + 5] = 0;
    }
    for (int f = 0; f < n_faces; f++) {
        const int32_t *t = faces + 3 * f;
        const float *a = verts + 3 * t[0], *b = verts + 3 * t[1],
                    *c = verts + 3 * t[2];
        float u[3] = { b[0] - a[0], b[1] - a[1], b[2] - a[2] };
        float w[3] = { c[0] - a[0], c[1] - a[1], c[2] - a[2] };
        /* the cross product's length is twice the area: big faces weigh
         * more, as they should */
        float n[3] = { u[1] * w[2] - u[2] * w[1], u[2] * w[0] - u[0] * w[2],
                       u[0] * w[1] - u[1] * w[0] };
        for (int k = 0; k < 3; k++)
            for (int d = 0; d < 3; d++)
                iv[6 * t[k] + 3 + d] += n[d];
    }
}

/* The index buffer holding `faces`, uploading it into the least recently
 * used slot when no slot holds it. */
static GLuint face_buffer(ren_mesh *m, const int32_t *faces, int n_faces)
{
    m->draws++;
    int pick = 0;
    for (int i = 0; i < FACE_SLOTS; i++) {
        if (m->slot[i].faces == faces && m->slot[i].n_faces == n_faces) {
            m->slot[i].used = m->draws;
            return m->slot[i].ebo;
        }
        if (m->slot[i].used < m->slot[pick].used)
            pick = i;
    }
    glBindBuffer(GL_ELEMENT_ARRAY_BUFFER, m->slot[pick].ebo);
    glBufferData(GL_ELEMENT_ARRAY_BUFFER,
                 (GLsizeiptr)((size_t)n_faces * 3 * sizeof(int32_t)), faces,
                 GL_STATIC_DRAW);
    m->slot[pick].faces = faces;
    m->slot[pick].n_faces = n_faces;
    m->slot[pick].used = m->draws;
    return m->slot[pick].ebo;
}

void ren_mesh_draw(ren_mesh *m, ren_renderer *r, const float *verts,
                   int n_verts, const int32_t *faces, int n_faces,
                   const ren_mesh_place *place)
{
    if (n_verts < 3 || n_verts > m->max_verts || n_faces < 1)
        return;
    ren_flush(r);
    build_vertices(m, verts, n_verts, faces, n_faces);
    glUseProgram(m->program);
    glUniformMatrix4fv(m->u_mvp, 1, GL_TRUE, place->mvp);
    glUniform3fv(m->u_light, 1, place->light);
    glUniform4f(m->u_color, place->color.r / 255.0f,
                place->color.g / 255.0f, place->color.b / 255.0f,
                place->alpha);
    glBindVertexArray(m->vao);
    glBindBuffer(GL_ARRAY_BUFFER, m->vbo);
    /* orphan: the driver need not wait for the previous hand's draw */
    glBufferData(GL_ARRAY_BUFFER,
                 (GLsizeiptr)((size_t)m->max_verts * 6 * sizeof(float)),
                 NULL, GL_STREAM_DRAW);
    glBufferSubData(GL_ARRAY_BUFFER, 0,
                    (GLsizeiptr)((size_t)n_verts * 6 * sizeof(float)),
                    m->interleaved);
    /* the element buffer binding is part of the vertex array's state */
    glBindBuffer(GL_ELEMENT_ARRAY_BUFFER, face_buffer(m, faces, n_faces));
    if (place->clip) {
        int w, h;
        ren_target_size(r, &w, &h);
        const float *c = place->clip;
        glEnable(GL_SCISSOR_TEST);
        /* GL's rows run bottom-up */
        glScissor((GLint)c[0], (GLint)((float)h - c[3]),
                  (GLsizei)(c[2] - c[0]), (GLsizei)(c[3] - c[1]));
    }
    glEnable(GL_DEPTH_TEST);
    glClearDepth(1.0);
    glClear(GL_DEPTH_BUFFER_BIT);
    /* depth first: the colour pass then blends only the nearest surface,
     * so the fingers behind the palm do not darken it */
    glColorMask(GL_FALSE, GL_FALSE, GL_FALSE, GL_FALSE);
    glDepthFunc(GL_LESS);
    GLsizei count = (GLsizei)(n_faces * 3);
    glDrawElements(GL_TRIANGLES, count, GL_UNSIGNED_INT, NULL);
    glColorMask(GL_TRUE, GL_TRUE, GL_TRUE, GL_TRUE);
    glDepthFunc(GL_LEQUAL);
    glDrawElements(GL_TRIANGLES, count, GL_UNSIGNED_INT, NULL);
    glDisable(GL_DEPTH_TEST);
    glDisable(GL_SCISSOR_TEST);
    glBindVertexArray(0);
}

void ren_mesh_weak_perspective(const ren_renderer *r, const float cam[3],
                               float mvp[16])
{
    float k, ox, oy;
    int w, h;
    ren_frame_map(r, &k, &ox, &oy);
    ren_target_size(r, &w, &h);
    float ks = k * cam[0];
    /* target pixel = (ox, oy) + k s (X + t), then overlay.vert's mapping
     * of target pixels (y down) to clip space */
    const float m[16] = {
        2 * ks / w, 0, 0, 2 * (ox + ks * cam[1]) / w - 1,
        0, -2 * ks / h, 0, 1 - 2 * (oy + ks * cam[2]) / h,
        0, 0, 1, 0,
        0, 0, 0, 1,
    };
    memcpy(mvp, m, sizeof(m));
}
