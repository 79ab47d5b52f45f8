/*
 * mesh_view: see mesh_view.h.
 */
#include "mesh_view.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "mesh.h"
#include "style.h"

struct app_mesh_view {
    const eng_handmesh *hm;
    ren_mesh *mesh;
    float *verts;        /* one skinned hand */
};

eng_status app_mesh_view_create(const eng_handmesh *hm, app_mesh_view **out,
                                eng_error *err)
{
    *out = NULL;
    app_mesh_view *mv = calloc(1, sizeof(*mv));
    int n = eng_handmesh_max_verts(hm);
    if (mv)
        mv->verts = malloc((size_t)n * 3 * sizeof(float));
    if (!mv || !mv->verts) {
        app_mesh_view_destroy(mv);
        return eng_fail(err, ENG_ENOMEM, "out of memory");
    }
    mv->hm = hm;
    eng_status st = ren_mesh_create(n, &mv->mesh, err);
    if (st != ENG_OK) {
        app_mesh_view_destroy(mv);
        return st;
    }
    *out = mv;
    return ENG_OK;
}

void app_mesh_view_destroy(app_mesh_view *mv)
{
    if (!mv)
        return;
    ren_mesh_destroy(mv->mesh);
    free(mv->verts);
    free(mv);
}

void app_mesh_view_draw(app_mesh_view *mv, ren_renderer *r,
                        const eng_handmesh_result *res)
{
    /* colours do not depend on the frame size */
    const app_style st = app_style_for_frame(0, 0);
    for (int i = 0; i < res->n_meshes; i++) {
        const eng_hand_mesh *h = &res->meshes[i];
        /* cam[0] = 0: fitted without image landmarks, nowhere to draw */
        if (!h->ok || !(h->fit.cam[0] > 0))
            continue;
        const eng_handmodel *model = eng_handmesh_model(mv->hm, h->side);
        eng_handmesh_vertices(mv->hm, h, mv->verts);
        /* model frame = camera axes (x right, y down, z away): lit from
         * the camera, a little from the upper left */
        ren_mesh_place pl = {
            .light = { -0.27f, -0.45f, -0.85f },
            .color = st.hand[h->side == ENG_HAND_RIGHT ? ENG_HAND_RIGHT
                                                       : ENG_HAND_LEFT],
            .alpha = APP_MESH_ALPHA,
        };
        ren_mesh_weak_perspective(r, h->fit.cam, pl.mvp);
        ren_mesh_draw(mv->mesh, r, mv->verts, model->n_verts, model->faces,
                      model->n_faces, &pl);
    }
}

eng_status app_mesh_view_export(app_mesh_view *mv,
                                const eng_handmesh_result *res,
                                const char *dir, long long frame,
                                int *n_written, eng_error *err)
{
    *n_written = 0;
    char path[PATH_MAX] = "";
    for (int i = 0; i < res->n_meshes; i++) {
        const eng_hand_mesh *h = &res->meshes[i];
        if (!h->ok)
            continue;
        const eng_handmodel *model = eng_handmesh_model(mv->hm, h->side);
        eng_handmesh_vertices(mv->hm, h, mv->verts);
        for (int v = 0; v < model->n_verts; v++)
            for (int d = 0; d < 3; d++)
                mv->verts[3 * v + d] += h->fit.transl[d];
        eng_status st = app_path(path, err, "%s/posescope-frame%lld-hand%d"
                                 ".obj", dir, frame, h->hand_id);
        if (st == ENG_OK)
            st = eng_handmodel_write_obj(model, mv->verts, path, err);
        if (st != ENG_OK)
            return st;
        ++*n_written;
    }
    if (*n_written)
        fprintf(stderr, "posescope: %d hand mesh%s of frame %lld: %s%s\n",
                *n_written, *n_written > 1 ? "es" : "", frame, path,
                *n_written > 1 ? " (and the others beside it)" : "");
    else
        fprintf(stderr, "posescope: no fitted hand on frame %lld to "
                "export\n", frame);
    return ENG_OK;
}
