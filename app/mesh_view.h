/*
 * mesh_view: the fitted hand meshes of a frame result (engine/handmesh.h)
 * on the OpenGL renderer, for the window (app/viewer.c) and the headless
 * run's GL overlays (app/headless.c), so both show the same pixels: each
 * hand skinned and drawn over the video with its fitted weak-perspective
 * camera, tinted with its side's skeleton colour (app/style.h); and the
 * meshes of the frame on screen as .obj files (key O).
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
 * .obj in the world landmarks' frame (metres: the skinned vertices plus
 * fit.transl) and prints one line naming them to stderr. *n_written is
 * how many (0 without fitted hands: not an error). EIO. */
eng_status app_mesh_view_export(app_mesh_view *mv,
                                const eng_handmesh_result *res,
                                const char *dir, long long frame,
                                int *n_written, eng_error *err);

#endif
