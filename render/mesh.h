/*
 * mesh: draws triangle meshes (the fitted hands of engine/handmesh.h)
 * into a ren_renderer's target, between its batches: shaded (Lambert,
 * smooth normals computed from the faces every draw, one fixed light),
 * semi-transparent and depth-tested. A depth-only pass comes first, so
 * only the front surface of a mesh is blended, once, over what is below.
 *
 * Where a mesh goes is a 4x4 matrix from the mesh's frame to clip space:
 * ren_mesh_weak_perspective() for a fitted camera over the video, or any
 * perspective view (the 3D view). Depth is cleared per mesh: two meshes
 * do not occlude each other (each fitted hand has its own frame).
 *
 * What it does not do: skinning or fitting (the engine does), or choose
 * colours (app/mesh_view.h). Needs the renderer's GL context; one thread.
 * Nothing allocates after ren_mesh_create().
 */
#ifndef REN_MESH_H
#define REN_MESH_H

#include <stdint.h>

#include "render.h"

typedef struct ren_mesh ren_mesh;

/* Compiles the shaders and sizes the buffers for meshes of at most
 * max_verts vertices (>= 3). EINVAL, ENOMEM, EBACKEND (a shader does not
 * compile). *out is NULL on failure. */
eng_status ren_mesh_create(int max_verts, ren_mesh **out, eng_error *err);

/* Frees it (the context must be current). Accepts NULL. */
void ren_mesh_destroy(ren_mesh *m);

/* How a mesh is placed: mvp (row-major, mesh frame -> clip space), the
 * direction towards the light in the mesh's frame (unit), the tint and
 * its opacity, and an optional clip rectangle of the target (x0, y0, x1,
 * y1 in target pixels, y down; NULL = the whole target). */
typedef struct ren_mesh_place {
    float mvp[16];
    float light[3];
    app_rgb color;
    float alpha;
    const float *clip;
} ren_mesh_place;

/* Draws one mesh: verts (n_verts x 3 floats, borrowed, n_verts <=
 * max_verts) and faces (n_faces x 3 indices below n_verts, borrowed;
 * uploaded again only when the array differs from the last two drawn).
 * Flushes the renderer's batch first (ren_flush), so it lands over what
 * was drawn before and under what is drawn after. A mesh too large is
 * skipped. */
void ren_mesh_draw(ren_mesh *m, ren_renderer *r, const float *verts,
                   int n_verts, const int32_t *faces, int n_faces,
                   const ren_mesh_place *place);

/* The mvp of a weak-perspective camera cam = [s, tx, ty] (handfit.h:
 * frame pixel = s (X + tx), s (Y + ty)) through the letterbox of the
 * renderer's last ren_image(); depth is the mesh frame's z (metres,
 * +-1 m deep, nearer = smaller z). */
void ren_mesh_weak_perspective(const ren_renderer *r, const float cam[3],
                               float mvp[16]);

#endif
