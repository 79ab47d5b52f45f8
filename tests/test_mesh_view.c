/*
 * test_mesh_view: the hand meshes over the video (app/mesh_view.h,
 * render/mesh.h) under Xvfb + Mesa llvmpipe (tests/xvfb.sh). A left and
 * a right bundled hand are posed with known parameters, their keypoints
 * become the tracked landmarks (world = the model keypoints, image = a
 * known weak-perspective camera), the hand mesh task fits them, and the
 * frame is drawn letterboxed into a wider target. The test rasterises
 * the fitted meshes itself and checks: every pixel well inside a mesh is
 * the frame blended with the hand's skeleton colour (shaded), every pixel
 * well outside is the frame untouched, the skeleton is drawn over the
 * mesh, and with the meshes off (the K key's state) no pixel changes.
 * The O key's export writes each hand's vertices in the world landmarks'
 * frame. The 3D view (key V) draws both hands, in their colours, inside
 * its rectangle and nothing outside it. Also prints what the meshes cost
 * at 720p.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "glwin.h"
#include "mesh_view.h"
#include "render.h"
#include "style.h"
#include "testlib.h"

#define FW 320            /* frame */
#define FH 240
#define TW 400            /* target: 40 px of letterbox each side */
#define TH 240

static uint8_t frame[FW * FH * 3];
static uint8_t inside[TW * TH]; /* 0 outside, else 1 + the hand's index */

static void make_frame(void)
{
    for (int y = 0; y < FH; y++)
        for (int x = 0; x < FW; x++) {
            uint8_t *p = frame + (y * FW + x) * 3;
            p[0] = (uint8_t)(60 + x / 4);
            p[1] = (uint8_t)(50 + y / 4);
            p[2] = 110;
        }
}

/* A hand of `side` in a known pose, seen by a known camera: its model
 * keypoints as world landmarks, and s (kp + t) as image landmarks with
 * the keypoints' centre at frame pixel (cx, cy). */
static eng_hand make_hand(const eng_handmesh *hm, eng_handedness side,
                          float cx, float cy)
{
    eng_hand h = { .id = side == ENG_HAND_LEFT ? 1 : 2, .score = 1,
                   .handedness = side, .handedness_score = 1 };
    eng_handpose p;
    memset(&p, 0, sizeof(p));
    /* palm towards the camera, tilted, fingers a little bent */
    p.global_orient[0] = 0.25f;
    p.global_orient[1] = side == ENG_HAND_LEFT ? 0.3f : -0.3f;
    for (int j = 0; j < 15; j++)
        p.hand_pose[j][2] = 0.12f;
    float kp[21][3], s = 550, mx = 0, my = 0;
    eng_handmodel_keypoints(eng_handmesh_model(hm, side), &p, kp, NULL);
    for (int i = 0; i < 21; i++) {
        mx += kp[i][0] / 21;
        my += kp[i][1] / 21;
    }
    for (int i = 0; i < 21; i++) {
        memcpy(h.world[i], kp[i], sizeof(kp[i]));
        h.kp[i][0] = s * (kp[i][0] - mx) + cx;
        h.kp[i][1] = s * (kp[i][1] - my) + cy;
        h.kp[i][2] = s * kp[i][2];
    }
    return h;
}

/* Marks the target pixels whose centres the projected mesh covers. */
static void rasterise(const eng_handmodel *m, const float *verts,
                      const float cam[3], int index)
{
    float k = (float)TH / FH, ox = 0.5f * (TW - k * FW);
    for (int f = 0; f < m->n_faces; f++) {
        float px[3], py[3];
        for (int c = 0; c < 3; c++) {
            const float *v = verts + 3 * m->faces[3 * f + c];
            px[c] = ox + k * cam[0] * (v[0] + cam[1]);
            py[c] = k * cam[0] * (v[1] + cam[2]);
        }
        float area = (px[1] - px[0]) * (py[2] - py[0]) -
                     (px[2] - px[0]) * (py[1] - py[0]);
        if (fabsf(area) < 1e-9f)
            continue;
        int x0 = (int)fmaxf(0, floorf(fminf(px[0], fminf(px[1], px[2]))));
        int x1 = (int)fminf(TW - 1, ceilf(fmaxf(px[0], fmaxf(px[1], px[2]))));
        int y0 = (int)fmaxf(0, floorf(fminf(py[0], fminf(py[1], py[2]))));
        int y1 = (int)fminf(TH - 1, ceilf(fmaxf(py[0], fmaxf(py[1], py[2]))));
        for (int y = y0; y <= y1; y++)
            for (int x = x0; x <= x1; x++) {
                float qx = x + 0.5f, qy = y + 0.5f, w[3];
                for (int c = 0; c < 3; c++) {
                    int a = (c + 1) % 3, b = (c + 2) % 3;
                    w[c] = ((px[b] - px[a]) * (qy - py[a]) -
                            (qx - px[a]) * (py[b] - py[a])) / area;
                }
                if (w[0] >= 0 && w[1] >= 0 && w[2] >= 0)
                    inside[y * TW + x] = (uint8_t)(1 + index);
            }
    }
}

/* Whether every pixel within r of (x, y) has mask value v. */
static bool all_within(int x, int y, int r, int v)
{
    for (int dy = -r; dy <= r; dy++)
        for (int dx = -r; dx <= r; dx++) {
            int xx = x + dx, yy = y + dy;
            int m = xx < 0 || yy < 0 || xx >= TW || yy >= TH
                        ? 0 : inside[yy * TW + xx];
            if (m != v)
                return false;
        }
    return true;
}

/* The frame's pixel under target pixel (x, y) (inside the letterbox). */
static const uint8_t *frame_at(int x, int y)
{
    return frame + (y * FW + (x - 40)) * 3;
}

/* Whether out = frame (1 - a) + tint * shade * a for one shade. */
static bool tinted(const uint8_t *out, const uint8_t *f, app_rgb tint)
{
    const float a = APP_MESH_ALPHA, t[3] = { tint.r, tint.g, tint.b };
    float c[3];
    int big = 0;
    for (int i = 0; i < 3; i++) {
        c[i] = (out[i] - (1 - a) * f[i]) / a;
        if (t[i] > t[big])
            big = i;
    }
    float shade = c[big] / t[big];
    if (shade < 0.3f || shade > 1.03f)
        return false;
    for (int i = 0; i < 3; i++)
        if (fabsf(c[i] - shade * t[i]) > 10)   /* 8-bit blending */
            return false;
    return true;
}

static void draw(ren_renderer *r, app_mesh_view *mv,
                 const eng_hands_result *hands,
                 const eng_handmesh_result *meshes, bool show, uint8_t *out)
{
    eng_error err;
    CHECK(ren_begin(r, TW, TH, &err) == ENG_OK, "begin: %s", err.msg);
    ren_image(r, frame, FW, FH, FW * 3);
    if (show)
        app_mesh_view_draw(mv, r, meshes);
    if (hands)
        ren_results(r, NULL, 0, hands->hands, hands->n_hands,
                    &(ren_overlay){ .hide_ids = true });
    CHECK(ren_end(r, &err) == ENG_OK, "end: %s", err.msg);
    CHECK(ren_read_rgb(r, out, TW * 3, &err) == ENG_OK, "read: %s",
          err.msg);
}

/* O: each fitted hand as an .obj, vertices = Rw skinned + fit.transl,
 * Rw = exp(fit.world_rot). */
static void check_export(const eng_handmesh *hm, app_mesh_view *mv,
                         const eng_handmesh_result *meshes)
{
    char dir[] = "/tmp/test_mesh_view_XXXXXX", path[128], line[256];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    int n = -1;
    eng_error err;
    CHECK(app_mesh_view_export(mv, meshes, dir, 42, &n, &err) == ENG_OK,
          "export: %s", err.msg);
    CHECK(n == meshes->n_meshes, "%d of %d meshes exported", n,
          meshes->n_meshes);
    float *verts = malloc((size_t)eng_handmesh_max_verts(hm) * 3 *
                          sizeof(float));
    for (int i = 0; i < meshes->n_meshes; i++) {
        const eng_hand_mesh *m = &meshes->meshes[i];
        snprintf(path, sizeof path, "%s/posescope-frame42-hand%d.obj", dir,
                 m->hand_id);
        FILE *f = fopen(path, "r");
        CHECK(f != NULL, "%s not written", path);
        if (!f)
            continue;
        eng_handmesh_vertices(hm, m, verts);
        float rw[9];
        eng_rodrigues(m->fit.world_rot, rw);
        int nv = 0, nf = 0, bad = 0;
        while (fgets(line, sizeof line, f)) {
            float x, y, z;
            if (sscanf(line, "v %f %f %f", &x, &y, &z) == 3) {
                const float *v = verts + 3 * nv++, got[3] = { x, y, z };
                for (int c = 0; c < 3; c++)
                    bad += fabsf(got[c] - m->fit.transl[c] -
                                 (rw[3 * c] * v[0] + rw[3 * c + 1] * v[1] +
                                  rw[3 * c + 2] * v[2])) > 1e-5f;
            } else if (line[0] == 'f') {
                nf++;
            }
        }
        fclose(f);
        const eng_handmodel *model = eng_handmesh_model(hm, m->side);
        CHECK(nv == model->n_verts && nf == model->n_faces && !bad,
              "%s: %d vertices (%d off), %d faces", path, nv, bad, nf);
        unlink(path);
    }
    free(verts);
    rmdir(dir);
}

/* V: the 3D view of the two fitted hands in the target's right half. */
static void check_view3d(ren_renderer *r, app_mesh_view *mv,
                         const eng_hands_result *hands,
                         const eng_handmesh_result *meshes)
{
    static uint8_t out[TW * TH * 3];
    app_frame_result res;
    memset(&res, 0, sizeof(res));
    res.hands = *hands;
    res.meshes = *meshes;
    app_orbit o = app_orbit_default();
    const float rect[4] = { 200, 20, 390, 220 };
    eng_error err;
    CHECK(ren_begin(r, TW, TH, &err) == ENG_OK, "begin: %s", err.msg);
    ren_image(r, frame, FW, FH, FW * 3);
    app_mesh_view_draw_3d(mv, r, &o, &res, FW, FH, rect);
    CHECK(ren_end(r, &err) == ENG_OK, "end: %s", err.msg);
    CHECK(ren_read_rgb(r, out, TW * 3, &err) == ENG_OK, "read: %s",
          err.msg);
    int green = 0, magenta = 0, outside_changed = 0;
    for (int y = 0; y < TH; y++)
        for (int x = 40; x < TW - 40; x++) {
            const uint8_t *p = out + (y * TW + x) * 3;
            if (x >= rect[0] && x < rect[2] && y >= rect[1] && y < rect[3]) {
                green += p[1] > p[0] + 40 && p[1] > p[2] + 40;
                magenta += p[0] > p[1] + 40 && p[2] > p[1] + 40;
            } else {
                outside_changed += memcmp(p, frame_at(x, y), 3) != 0;
            }
        }
    fprintf(stderr, "3D view: %d green, %d magenta px\n", green, magenta);
    CHECK(green > 100 && magenta > 100, "3D view: %d green (left hand), "
          "%d magenta (right hand) px", green, magenta);
    CHECK(outside_changed == 0, "3D view: %d px changed outside it",
          outside_changed);
    CHECK(o.target_z > 0, "the orbit follows the scene's depth");
}

static void check_meshes(ren_renderer *r, const eng_handmesh *hm,
                         app_mesh_view *mv)
{
    static uint8_t out[TW * TH * 3];
    eng_hands_result hands = { .n_hands = 2 };
    hands.hands[0] = make_hand(hm, ENG_HAND_LEFT, 85, 120);
    hands.hands[1] = make_hand(hm, ENG_HAND_RIGHT, 235, 120);
    eng_handmesh_result meshes;
    eng_handmesh_process((eng_handmesh *)hm, &hands, &meshes);
    CHECK(meshes.n_meshes == 2, "%d meshes fitted", meshes.n_meshes);
    float *verts = malloc((size_t)eng_handmesh_max_verts(hm) * 3 *
                          sizeof(float));
    memset(inside, 0, sizeof(inside));
    for (int i = 0; i < meshes.n_meshes; i++) {
        const eng_hand_mesh *m = &meshes.meshes[i];
        CHECK(m->ok && m->fit.err2d_px < 2, "hand %d: fit ok %d, %.2f px",
              i, m->ok, m->fit.err2d_px);
        eng_handmesh_vertices(hm, m, verts);
        rasterise(eng_handmesh_model(hm, m->side), verts, m->fit.cam, i);
    }
    free(verts);

    const app_style st = app_style_for_frame(FW, FH);
    draw(r, mv, NULL, &meshes, true, out);
    int n_in[2] = { 0 }, ok_in[2] = { 0 }, n_out = 0, ok_out = 0;
    for (int y = 0; y < TH; y++)
        for (int x = 40; x < TW - 40; x++) {
            const uint8_t *o = out + (y * TW + x) * 3, *f = frame_at(x, y);
            for (int i = 0; i < 2; i++)
                if (all_within(x, y, 1, 1 + i)) {
                    n_in[i]++;
                    ok_in[i] += tinted(o, f, st.hand[meshes.meshes[i].side]);
                }
            if (all_within(x, y, 2, 0)) {
                n_out++;
                ok_out += o[0] == f[0] && o[1] == f[1] && o[2] == f[2];
            }
        }
    for (int i = 0; i < 2; i++) {
        fprintf(stderr, "hand %d: %d px inside, %d tinted\n", i, n_in[i],
                ok_in[i]);
        CHECK(n_in[i] > 800, "hand %d: only %d px inside its mesh", i,
              n_in[i]);
        CHECK(ok_in[i] >= 0.99 * n_in[i], "hand %d: %d of %d px inside "
              "carry the tint", i, ok_in[i], n_in[i]);
    }
    CHECK(n_out > 20000 && ok_out == n_out, "%d of %d px outside the "
          "meshes unchanged", ok_out, n_out);

    /* the skeleton on top: the wrist point is the hand colour exactly */
    draw(r, mv, &hands, &meshes, true, out);
    for (int i = 0; i < 2; i++) {
        const eng_hand *h = &hands.hands[i];
        int x = 40 + (int)h->kp[0][0], y = (int)h->kp[0][1];
        const uint8_t *o = out + (y * TW + x) * 3;
        app_rgb c = st.hand[h->handedness];
        CHECK(abs(o[0] - c.r) <= 2 && abs(o[1] - c.g) <= 2 &&
              abs(o[2] - c.b) <= 2, "hand %d: wrist point (%d %d %d) is "
              "not the skeleton colour over the mesh", i, o[0], o[1], o[2]);
    }

    /* meshes off: the frame everywhere */
    draw(r, mv, NULL, &meshes, false, out);
    int changed = 0;
    for (int y = 0; y < TH; y++)
        for (int x = 40; x < TW - 40; x++)
            changed += memcmp(out + (y * TW + x) * 3, frame_at(x, y), 3) != 0;
    CHECK(changed == 0, "meshes off: %d px changed", changed);
    check_export(hm, mv, &meshes);
    check_view3d(r, mv, &hands, &meshes);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* What two meshes add to a 720p frame with its read-back (llvmpipe
 * rasterises during the read-back). Printed, not checked. */
static void time_720p(ren_renderer *r, const eng_handmesh *hm,
                      app_mesh_view *mv)
{
    enum { N = 30, BW = 1280, BH = 720 };
    uint8_t *big = calloc((size_t)BW * BH * 3, 1), *out = malloc(
        (size_t)BW * BH * 3);
    eng_hands_result hands = { .n_hands = 2 };
    hands.hands[0] = make_hand(hm, ENG_HAND_LEFT, 400, 360);
    hands.hands[1] = make_hand(hm, ENG_HAND_RIGHT, 880, 360);
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 21; k++)
            for (int d = 0; d < 2; d++)  /* 3x the size: ~300 px tall */
                hands.hands[i].kp[k][d] = 3 * hands.hands[i].kp[k][d] -
                                          (d ? 720 : (i ? 1760 : 800));
    eng_handmesh_result meshes;
    eng_handmesh_process((eng_handmesh *)hm, &hands, &meshes);
    /* interleaved, medians: the build machine's load comes and goes */
    double ms[2][N];
    eng_error err;
    for (int i = -2; i < 2 * N; i++) {
        int show = (i + 2) % 2;
        double t0 = app_now();
        ren_begin(r, BW, BH, &err);
        ren_image(r, big, BW, BH, BW * 3);
        if (show)
            app_mesh_view_draw(mv, r, &meshes);
        ren_end(r, &err);
        ren_read_rgb(r, out, BW * 3, &err);
        if (i >= 0)   /* the first two warm up */
            ms[show][i / 2] = (app_now() - t0) * 1e3;
    }
    double med[2];
    for (int show = 0; show < 2; show++) {
        qsort(ms[show], N, sizeof(double), cmp_double);
        med[show] = ms[show][N / 2];
    }
    fprintf(stderr, "720p frame with read-back, median of %d: %.2f ms "
            "without meshes, %.2f ms with two hand meshes (+%.2f ms)\n", N,
            med[0], med[1], med[1] - med[0]);
    free(big);
    free(out);
}

int main(void)
{
    ren_window *win = test_gl_window();
    if (!win)
        return test_finish();
    eng_error err;
    char right[512], left[512];
    snprintf(right, sizeof right, "%s/generic-hand-right.glb",
             app_hand_assets_dir());
    snprintf(left, sizeof left, "%s/generic-hand-left.glb",
             app_hand_assets_dir());
    eng_handmesh_desc md = { .right_path = right, .left_path = left };
    eng_handmesh *hm = NULL;
    ren_renderer *r = NULL;
    app_mesh_view *mv = NULL;
    CHECK(eng_handmesh_create(&md, &hm, &err) == ENG_OK, "models: %s",
          err.msg);
    if (hm)
        CHECK(ren_create(NULL, &r, &err) == ENG_OK, "renderer: %s", err.msg);
    if (r)
        CHECK(app_mesh_view_create(hm, &mv, &err) == ENG_OK, "mesh view: "
              "%s", err.msg);
    if (mv) {
        make_frame();
        check_meshes(r, hm, mv);
        time_720p(r, hm, mv);
    }
    app_mesh_view_destroy(mv);
    ren_destroy(r);
    eng_handmesh_destroy(hm);
    ren_window_destroy(win);
    return test_finish();
}
