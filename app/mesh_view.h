/*
 * mesh_view: the fitted hand meshes of a frame result (engine/handmesh.h)
 * on the OpenGL renderer, for the window (app/viewer.c) and the headless
 * run's GL overlays (app/headless.c), so both show the same pixels: each
 * hand skinned and drawn over the video with its fitted weak-perspective
 * camera, tinted with its side's skeleton colour (app/style.h); and the
 * meshes of the frame on screen as .obj files (key O); and a 3D view (key
 * V) of the same frame: the meshes, the hands' and the body's world
 * skeletons and the camera's frustum, seen by an orbit camera.
 *
 * The hand models come from a borrowed eng_handmesh: skinning only reads
 * them, so the display thread may use its own task while the engine
 * thread fits with another (app_pipeline_create_handmesh).
 *
 * What it does not do: fit, or decide when meshes are shown (the caller's
 * toggle). One thread, the renderer's. Nothing allocates after
 * app_mesh_view_create().
 */
#ifndef APP_MESH_VIEW_H
#define APP_MESH_VIEW_H

#include "handmesh.h"
#include "pipeline.h"
#include "render.h"

typedef struct app_mesh_view app_mesh_view;

/* Opacity of a mesh over the video: the hand stays visible through it. */
#define APP_MESH_ALPHA 0.55f

/* Sizes a vertex buffer for hm's larger model and creates the mesh
 * renderer (ren_mesh_create's errors; the renderer's context must be
 * current). hm is borrowed and must outlive the view. */
eng_status app_mesh_view_create(const eng_handmesh *hm, app_mesh_view **out,
                                eng_error *err);

/* Frees it (the context must be current). Accepts NULL. */
void app_mesh_view_destroy(app_mesh_view *mv);

/* Draws every fitted (ok) mesh of res over the video of r's last
 * ren_image(), through the same letterbox, flushing what r has batched
 * first: call it after ren_image() and before ren_results(). */
void app_mesh_view_draw(app_mesh_view *mv, ren_renderer *r,
                        const eng_handmesh_result *res);

/* Writes every fitted mesh of res as DIR/posescope-frame<frame>-hand<id>
 * .obj in the world landmarks' frame (metres: the skinned vertices moved
 * by eng_handfit_to_world) and prints one line naming them to stderr. *n_written is
 * how many (0 without fitted hands: not an error). EIO. */
eng_status app_mesh_view_export(app_mesh_view *mv,
                                const eng_handmesh_result *res,
                                const char *dir, long long frame,
                                int *n_written, eng_error *err);

/* --- the 3D view ----------------------------------------------------- */

/* The orbit camera of the 3D view: plain state the caller keeps. It
 * circles a point on the real camera's axis at the scene's depth. */
typedef struct app_orbit {
    float yaw, pitch;    /* radians; 0, 0 looks along the real camera */
    float zoom;          /* distance factor, 1 = the default */
    float target_z;      /* metres, follows the scene (smoothed) */
    float radius;        /* metres, the scene's extent around the target
                            (smoothed): the default distance frames it */
} app_orbit;

/* A three-quarter view from above and to the left. */
app_orbit app_orbit_default(void);

/* A mouse drag of (dx, dy) window pixels turns the camera; pitch stays
 * within +-85 degrees. */
void app_orbit_drag(app_orbit *o, float dx, float dy);

/* A wheel step (positive: away from the user) zooms in. */
void app_orbit_wheel(app_orbit *o, float steps);

/* Draws the 3D view of res into rect (x0, y0, x1, y1, target pixels) of
 * r's target, over a dark panel, flushing what r has batched first. The
 * scene is in the real camera's frame (x right, y down, z forward,
 * metres) with an assumed focal length of the frame's long side in
 * pixels (the fit is weak-perspective: depth = focal / s). Each fitted
 * hand's mesh and world skeleton sit at that depth; the body's world
 * skeleton is placed the same way by a weak-perspective fit of its world
 * landmarks to its image landmarks; the frustum reaches beyond the
 * farthest. Updates o->target_z and o->radius. */
void app_mesh_view_draw_3d(app_mesh_view *mv, ren_renderer *r,
                           app_orbit *o, const app_frame_result *res,
                           int frame_w, int frame_h, const float rect[4]);

#endif
