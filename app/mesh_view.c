/*
 * mesh_view: see mesh_view.h.
 */
#include "mesh_view.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        eng_handfit_to_world(&h->fit, mv->verts, model->n_verts);
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

/* --- the 3D view --------------------------------------------------------- */

#define FOVY 0.87f        /* the view's vertical field, 50 degrees */
#define NEAR 0.02f        /* metres */
#define FAR 50.0f

app_orbit app_orbit_default(void)
{
    return (app_orbit){ .yaw = -0.7f, .pitch = 0.35f, .zoom = 1 };
}

void app_orbit_drag(app_orbit *o, float dx, float dy)
{
    o->yaw += 0.01f * dx;
    o->pitch = fminf(1.48f, fmaxf(-1.48f, o->pitch + 0.01f * dy));
}

void app_orbit_wheel(app_orbit *o, float steps)
{
    o->zoom = fminf(8, fmaxf(0.1f, o->zoom * powf(0.9f, steps)));
}

/* The view: eye and its right, down and forward axes (the real camera's
 * at yaw = pitch = 0), and the pinhole that maps it into the rectangle. */
typedef struct view3d {
    float eye[3], right[3], down[3], fwd[3];
    float focal, cx, cy;       /* target pixels */
    const float *clip;         /* the view's rectangle */
    int tw, th;                /* target size */
} view3d;

static float dot3(const float a[3], const float b[3])
{
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

/* Camera-space point of world point p. */
static void to_view(const view3d *v, const float p[3], float out[3])
{
    const float d[3] = { p[0] - v->eye[0], p[1] - v->eye[1],
                         p[2] - v->eye[2] };
    out[0] = dot3(d, v->right);
    out[1] = dot3(d, v->down);
    out[2] = dot3(d, v->fwd);
}

/* Cuts segment (x0,y0)-(x1,y1) to the box lo..hi (Liang-Barsky); false
 * when nothing is left. */
static bool clip_segment(float p[4], const float lo[2], const float hi[2])
{
    float t0 = 0, t1 = 1, d[2] = { p[2] - p[0], p[3] - p[1] };
    for (int i = 0; i < 4; i++) {
        int a = i % 2;                      /* axis */
        float q = i < 2 ? p[a] - lo[a] : hi[a] - p[a];
        float dd = i < 2 ? -d[a] : d[a];
        if (dd == 0) {
            if (q < 0)
                return false;
            continue;
        }
        float t = q / dd;
        if (dd < 0)
            t0 = fmaxf(t0, t);
        else
            t1 = fminf(t1, t);
    }
    if (t0 > t1)
        return false;
    float x0 = p[0], y0 = p[1];
    p[0] = x0 + t0 * d[0];
    p[1] = y0 + t0 * d[1];
    p[2] = x0 + t1 * d[0];
    p[3] = y0 + t1 * d[1];
    return true;
}

/* A world segment as a line of the view, cut to the view's rectangle
 * (the overlay batch has no scissor); skipped when an end is behind the
 * near plane (short segments: no depth clipping needed to look right). */
static void line3d(ren_renderer *r, const view3d *v, const float a[3],
                   const float b[3], float width, app_rgb color)
{
    float pa[3], pb[3];
    to_view(v, a, pa);
    to_view(v, b, pb);
    if (pa[2] < NEAR || pb[2] < NEAR)
        return;
    float p[4] = { v->cx + v->focal * pa[0] / pa[2],
                   v->cy + v->focal * pa[1] / pa[2],
                   v->cx + v->focal * pb[0] / pb[2],
                   v->cy + v->focal * pb[1] / pb[2] };
    /* the round caps and the feather reach width / 2 + 1 beyond */
    float m = 0.5f * width + 1;
    const float lo[2] = { v->clip[0] + m, v->clip[1] + m };
    const float hi[2] = { v->clip[2] - m, v->clip[3] - m };
    if (clip_segment(p, lo, hi))
        ren_line(r, p[0], p[1], p[2], p[3], width, color, 1);
}

/* mvp of a mesh whose frame is the world moved by t. */
static void mesh_mvp(const view3d *v, const float t[3], float mvp[16])
{
    /* clip = P (R (X + t - eye)); P keeps the pinhole of line3d */
    const float *ax[3] = { v->right, v->down, v->fwd };
    float rt[3];    /* R (t - eye) */
    const float te[3] = { t[0] - v->eye[0], t[1] - v->eye[1],
                          t[2] - v->eye[2] };
    for (int i = 0; i < 3; i++)
        rt[i] = dot3(ax[i], te);
    float px = 2 * v->focal / v->tw, py = -2 * v->focal / v->th;
    float qx = 2 * v->cx / v->tw - 1, qy = 1 - 2 * v->cy / v->th;
    float a = (FAR + NEAR) / (FAR - NEAR), b = -2 * FAR * NEAR / (FAR - NEAR);
    /* rows of P: (px, 0, qx, 0), (0, py, qy, 0), (0, 0, a, b), (0, 0, 1, 0) */
    for (int c = 0; c < 3; c++) {
        mvp[0 * 4 + c] = px * ax[0][c] + qx * ax[2][c];
        mvp[1 * 4 + c] = py * ax[1][c] + qy * ax[2][c];
        mvp[2 * 4 + c] = a * ax[2][c];
        mvp[3 * 4 + c] = ax[2][c];
    }
    mvp[3] = px * rt[0] + qx * rt[2];
    mvp[7] = py * rt[1] + qy * rt[2];
    mvp[11] = a * rt[2] + b;
    mvp[15] = rt[2];
}

/* Where the weak-perspective camera [s, tx, ty] puts its model frame in
 * the real camera's frame, for focal length f and principal point c:
 * s (X + tx) = f (X + T).x / T.z + c.x at depth T.z = f / s. */
static void place(const float cam[3], float f, float cx, float cy,
                  float t[3])
{
    t[0] = cam[1] - cx / cam[0];
    t[1] = cam[2] - cy / cam[0];
    t[2] = f / cam[0];
}

/* The body's weak-perspective camera: least squares of s X + a = u,
 * s Y + b = v over its visible points. False when it is degenerate. */
static bool body_camera(const eng_person *p, float min_vis, float cam[3])
{
    double n = 0, mx = 0, my = 0, mu = 0, mv = 0;
    for (int i = 0; i < ENG_POSE_POINTS; i++)
        if (p->kp[i][3] >= min_vis) {
            n++;
            mx += p->world[i][0];
            my += p->world[i][1];
            mu += p->kp[i][0];
            mv += p->kp[i][1];
        }
    if (n < 3)
        return false;
    mx /= n;
    my /= n;
    mu /= n;
    mv /= n;
    double sxu = 0, sxx = 0;
    for (int i = 0; i < ENG_POSE_POINTS; i++)
        if (p->kp[i][3] >= min_vis) {
            double dx = p->world[i][0] - mx, dy = p->world[i][1] - my;
            sxu += dx * (p->kp[i][0] - mu) + dy * (p->kp[i][1] - mv);
            sxx += dx * dx + dy * dy;
        }
    if (!(sxx > 1e-9) || !(sxu > 0) || !isfinite(sxu))
        return false;
    double s = sxu / sxx;
    cam[0] = (float)s;
    cam[1] = (float)((mu - s * mx) / s);
    cam[2] = (float)((mv - s * my) / s);
    return true;
}

void app_mesh_view_draw_3d(app_mesh_view *mv, ren_renderer *r,
                           app_orbit *o, const app_frame_result *res,
                           int frame_w, int frame_h, const float rect[4])
{
    const app_style st = app_style_for_frame(frame_w, frame_h);
    float w = rect[2] - rect[0], h = rect[3] - rect[1];
    if (w < 16 || h < 16 || frame_w < 1 || frame_h < 1)
        return;
    ren_fill_rect(r, rect[0], rect[1], rect[2], rect[3],
                  (app_rgb){ 20, 22, 28 }, 0.9f);
    float f = (float)(frame_w > frame_h ? frame_w : frame_h);
    float cx = 0.5f * frame_w, cy = 0.5f * frame_h;

    /* where everything goes, and how deep the scene is */
    float hand_t[ENG_MAX_HANDS][3], body_t[ENG_MAX_PEOPLE][3];
    bool hand_ok[ENG_MAX_HANDS] = { 0 }, body_ok[ENG_MAX_PEOPLE] = { 0 };
    float zsum = 0, zmax = 0, ext[ENG_MAX_HANDS + ENG_MAX_PEOPLE][4];
    int nz = 0;
    for (int i = 0; i < res->meshes.n_meshes; i++) {
        const eng_hand_mesh *m = &res->meshes.meshes[i];
        if (!m->ok || !(m->fit.cam[0] > 0))
            continue;
        place(m->fit.cam, f, cx, cy, hand_t[i]);
        hand_ok[i] = true;
        /* the keypoints' centre: the model's origin may be anywhere */
        for (int d = 0; d < 3; d++) {
            float c = 0;
            for (int k = 0; k < ENG_HAND_POINTS; k++)
                c += m->fit.kp3d[k][d] / ENG_HAND_POINTS;
            ext[nz][d] = hand_t[i][d] + c;
        }
        ext[nz][3] = 0.15f;
        zsum += ext[nz][2];
        zmax = fmaxf(zmax, ext[nz][2]);
        nz++;
    }
    for (int i = 0; i < res->pose.n_people && i < ENG_MAX_PEOPLE; i++) {
        float cam[3];
        if (!body_camera(&res->pose.people[i], st.min_visibility, cam))
            continue;
        place(cam, f, cx, cy, body_t[i]);
        body_ok[i] = true;
        /* hip centre: head and feet are ~1 m away */
        memcpy(ext[nz], body_t[i], sizeof(body_t[i]));
        ext[nz][3] = 1.0f;
        zsum += body_t[i][2];
        zmax = fmaxf(zmax, body_t[i][2]);
        nz++;
    }
    float z = nz ? zsum / nz : 1.0f;
    /* follow the scene's depth without jumping when a hand comes or goes */
    o->target_z = o->target_z > 0 ? o->target_z + 0.2f * (z - o->target_z)
                                  : z;
    /* frame everything: the radius of the scene around the target */
    float radius = 0.25f;
    for (int i = 0; i < nz; i++) {
        const float d[3] = { ext[i][0], ext[i][1],
                             ext[i][2] - o->target_z };
        radius = fmaxf(radius, sqrtf(dot3(d, d)) + ext[i][3]);
    }
    o->radius = o->radius > 0 ? o->radius + 0.2f * (radius - o->radius)
                              : radius;
    zmax = fmaxf(zmax, o->target_z) * 1.15f;

    view3d v = { .focal = 0.5f * h / tanf(0.5f * FOVY),
                 .cx = rect[0] + 0.5f * w, .cy = rect[1] + 0.5f * h,
                 .clip = rect };
    ren_target_size(r, &v.tw, &v.th);
    float dist = o->zoom * o->radius / sinf(0.45f * FOVY);
    float cp = cosf(o->pitch), sp = sinf(o->pitch);
    float cyw = cosf(o->yaw), syw = sinf(o->yaw);
    /* forward from the eye to the target; y is down, so up is -y */
    const float fwd[3] = { -syw * cp, sp, cyw * cp };
    const float target[3] = { 0, 0, o->target_z };
    for (int i = 0; i < 3; i++) {
        v.fwd[i] = fwd[i];
        v.eye[i] = target[i] - dist * fwd[i];
    }
    /* right = world down x forward, down = forward x right */
    const float wd[3] = { 0, 1, 0 };
    v.right[0] = wd[1] * fwd[2] - wd[2] * fwd[1];
    v.right[1] = wd[2] * fwd[0] - wd[0] * fwd[2];
    v.right[2] = wd[0] * fwd[1] - wd[1] * fwd[0];
    float rn = sqrtf(dot3(v.right, v.right));
    for (int i = 0; i < 3; i++)
        v.right[i] /= rn;
    v.down[0] = fwd[1] * v.right[2] - fwd[2] * v.right[1];
    v.down[1] = fwd[2] * v.right[0] - fwd[0] * v.right[2];
    v.down[2] = fwd[0] * v.right[1] - fwd[1] * v.right[0];

    /* the frustum of the real camera, out to beyond the farthest thing */
    static const app_rgb grey = { 150, 150, 160 };
    const float origin[3] = { 0, 0, 0 };
    float corner[4][3];
    for (int k = 0; k < 4; k++) {
        float u = (k == 1 || k == 2) ? (float)frame_w : 0;
        float vv = k >= 2 ? (float)frame_h : 0;
        corner[k][0] = (u - cx) / f * zmax;
        corner[k][1] = (vv - cy) / f * zmax;
        corner[k][2] = zmax;
    }
    for (int k = 0; k < 4; k++) {
        line3d(r, &v, origin, corner[k], 1, grey);
        line3d(r, &v, corner[k], corner[(k + 1) % 4], 1, grey);
    }

    /* the meshes, lit from the view's upper left */
    ren_mesh_place pl = { .alpha = 0.8f, .clip = rect };
    for (int i = 0; i < 3; i++)
        pl.light[i] = -0.85f * v.fwd[i] - 0.45f * v.down[i] -
                      0.27f * v.right[i];
    for (int i = 0; i < res->meshes.n_meshes; i++) {
        if (!hand_ok[i])
            continue;
        const eng_hand_mesh *m = &res->meshes.meshes[i];
        const eng_handmodel *model = eng_handmesh_model(mv->hm, m->side);
        eng_handmesh_vertices(mv->hm, m, mv->verts);
        pl.color = st.hand[m->side == ENG_HAND_RIGHT ? ENG_HAND_RIGHT
                                                     : ENG_HAND_LEFT];
        mesh_mvp(&v, hand_t[i], pl.mvp);
        ren_mesh_draw(mv->mesh, r, mv->verts, model->n_verts, model->faces,
                      model->n_faces, &pl);
    }

    /* the world skeletons: hands (world landmarks moved as their mesh)
     * and bodies, on top of the meshes */
    for (int i = 0; i < res->meshes.n_meshes && i < res->hands.n_hands;
         i++) {
        if (!hand_ok[i])
            continue;
        const eng_hand *hd = &res->hands.hands[i];
        const eng_hand_mesh *m = &res->meshes.meshes[i];
        float p[ENG_HAND_POINTS][3];
        for (int k = 0; k < ENG_HAND_POINTS; k++) {
            eng_handfit_from_world(&m->fit, hd->world[k], p[k]);
            for (int d = 0; d < 3; d++)
                p[k][d] += hand_t[i][d];
        }
        app_rgb c = st.hand[hd->handedness == ENG_HAND_RIGHT
                                ? ENG_HAND_RIGHT : ENG_HAND_LEFT];
        for (int e = 0; e < APP_HAND_EDGE_COUNT; e++)
            line3d(r, &v, p[app_hand_edges[e].a], p[app_hand_edges[e].b],
                   1.5f, c);
    }
    for (int i = 0; i < res->pose.n_people && i < ENG_MAX_PEOPLE; i++) {
        if (!body_ok[i])
            continue;
        const eng_person *pe = &res->pose.people[i];
        float p[ENG_POSE_POINTS][3];
        for (int k = 0; k < ENG_POSE_POINTS; k++)
            for (int d = 0; d < 3; d++)
                p[k][d] = pe->world[k][d] + body_t[i][d];
        for (int e = 0; e < APP_POSE_EDGE_COUNT; e++) {
            const app_edge *ed = &app_pose_edges[e];
            if (pe->kp[ed->a][3] >= st.min_visibility &&
                pe->kp[ed->b][3] >= st.min_visibility)
                line3d(r, &v, p[ed->a], p[ed->b], 2, st.pose[ed->side]);
        }
    }
    ren_text(r, rect[0] + 6, rect[1] + 4, 12, "3D  drag: turn  wheel: zoom",
             (app_rgb){ 200, 200, 200 }, 1);
}
