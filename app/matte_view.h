/*
 * matte_view: person mattes inside the window and headless runs
 * (--matte). Two halves, one per thread:
 *   engine thread   app_matte_view_process(): after the tracking tasks,
 *                   the frame's alpha (engine/matte.h: the selfie model,
 *                   or --alpha-hint masks), timed on its own, written to
 *                   --matte-out DIR when asked, then published;
 *   display thread  app_matte_view_draw(): takes the newest published
 *                   alpha and draws the chosen view of the frame
 *                   (render/matte_draw.h) before the overlays.
 * The alpha changes hands through three buffers swapped under a mutex
 * (engine writes one, the newest waits in one, the display reads one):
 * no copy and no allocation per frame after the first frame of a size.
 * In the headless run both halves run on its one thread; with no OpenGL
 * there, app_matte_view_draw_cpu() draws the same views in software.
 *
 * Options (app_matte_options): --matte, --view video|alpha|composite|split
 * (default composite), --background COLOR|blur|FILE (default blur; COLOR
 * #RRGGBB, black, white, green or blue; FILE an image stretched over the
 * frame), --matte-every N, --matte-model general|landscape|auto,
 * --matte-from selfie|pose (the coarse mask from the selfie model, or
 * from the body model's segmentation of the first person, which costs
 * no second model when the body task runs anyway),
 * --alpha-hint PATH (grey masks: an image, a folder or a video, white =
 * person), --matte-out DIR (DIR/alpha/NAME.png per frame matted, and
 * DIR/fg/NAME.png, the estimated foreground, with --fg). Any of them
 * turns matting on, as --matte does.
 *
 * What it does not do: the model, refinement or compositing maths
 * (engine/matte.h, foreground.h), or GL state beyond its ren_matte.
 */
#ifndef APP_MATTE_VIEW_H
#define APP_MATTE_VIEW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cli.h"
#include "image.h"
#include "matte_draw.h"
#include "pipeline.h"
#include "runtime.h"
#include "source.h"

/* The command-line values, before checking. */
typedef struct app_matte_args {
    int matte, matte_every, fg;
    const char *view, *background, *model, *hint, *out, *from;
} app_matte_args;

#define APP_MATTE_OPTIONS 9

/* Fills opts[0 .. APP_MATTE_OPTIONS) with the options, writing into *a. */
void app_matte_options(app_matte_args *a, app_option *opts);

/* Usage text of the options, for --help. */
extern const char app_matte_view_usage[];

/* --- shared with `posescope matte` (matte_cmd.c) ---------------------- */

/* A --background colour (#RRGGBB, black, white, green or blue) into rgb;
 * false, rgb untouched, when s is none of those. */
bool app_matte_colour(const char *s, uint8_t rgb[3]);

/* Reads the next frame of an --alpha-hint source into *prob: *w x *h
 * probabilities, the mean of R, G and B over 255 (reallocated when the
 * size changes; the caller frees it). After the source's last frame *done
 * is set and the last hint stays, so one image serves every frame.
 * EFORMAT when the source had no frame at all, its own errors, ENOMEM. */
eng_status app_matte_read_hint(app_source *src, float **prob, int *w,
                               int *h, bool *done, eng_error *err);

/* DIR/SUB/NAME.png for an image's file name (extension dropped), else
 * DIR/SUB/<index, 6 digits>.png; as app_path() fails. */
eng_status app_matte_out_path(char *buf, const char *dir, const char *sub,
                              int64_t index, const char *name,
                              eng_error *err);

typedef struct app_matte_view app_matte_view;

/* Checks the options, loads the model(s) (or opens the hint), creates
 * the --matte-out folders. *out is NULL and ENG_OK when no matte option
 * was given. `threads` (0 = one per core) and `numerics` as the
 * pipeline's (numerics is process-wide). EINVAL naming a bad option; the
 * model cache's EIO; the source's errors for a hint or background. */
eng_status app_matte_view_create(const app_matte_args *a, int threads,
                                 eng_numerics numerics,
                                 app_matte_view **out, eng_error *err);

/* Sets what the pipeline must keep for the matte (the body model's
 * segmentation with --matte-from pose) in *pd. EINVAL for --matte-from
 * pose with --no-pose. Accepts NULL mv (nothing to do). */
eng_status app_matte_view_configure(const app_matte_view *mv,
                                   app_pipeline_desc *pd, eng_error *err);

/* Frees it (after app_matte_view_gl_free on the GL thread, if it was set
 * up). Accepts NULL. */
void app_matte_view_destroy(app_matte_view *mv);

/* --- engine thread ------------------------------------------------------ */

/* Mattes one frame (borrowed) and publishes the alpha; `pose` is the
 * pipeline's body task that just ran on it (app_pipeline_pose), read with
 * --matte-from pose (no person: alpha 0). A `serial` other
 * than the last call's forgets the temporal state first (a seek, a loop,
 * an unrelated image). `index` and `name` (NULL but for image sources)
 * name the --matte-out files as `posescope matte` does. The engine's
 * errors; EIO for a PNG that cannot be written; ENOMEM on a new size. */
eng_status app_matte_view_process(app_matte_view *mv, const eng_image *img,
                                  const eng_pose *pose, int64_t index,
                                  const char *name, int serial,
                                  eng_error *err);

/* --- display thread ----------------------------------------------------- */

/* Creates the GL part (a current 3.3 context) with the background set.
 * Accepts NULL (nothing to do). EBACKEND. */
eng_status app_matte_view_gl_init(app_matte_view *mv, eng_error *err);

/* Frees the GL part (its context current). Accepts NULL. */
void app_matte_view_gl_free(app_matte_view *mv);

/* Draws the view over the last ren_image() frame of r with the newest
 * alpha published (none yet, or the video view: nothing); the split view
 * gets a divider line. Accepts NULL. */
void app_matte_view_draw(app_matte_view *mv, ren_renderer *r);

/* The view of the newest alpha drawn on the CPU into `rgb` (RGB24,
 * `stride` bytes per row, the frame's size, holding a copy of `frame`),
 * for runs with no OpenGL: the same views as app_matte_view_draw (the
 * blur is engine/matte.h's, not the GPU's mipmap). Call it on the thread
 * that ran app_matte_view_process() with this frame. Nothing when no
 * alpha of the frame's size is published yet. ENOMEM the first time an
 * image background is needed at a new size. */
eng_status app_matte_view_draw_cpu(app_matte_view *mv, const eng_image *frame,
                                   uint8_t *rgb, int stride, eng_error *err);

/* The next view (video, alpha, composite, split, video, ...). */
void app_matte_view_cycle(app_matte_view *mv);

/* The current view's name. */
const char *app_matte_view_name(const app_matte_view *mv);

/* One line: frames matted, the model's runs, mean coarse and refine ms
 * (the engine thread's cost of the matte), to `f`. Accepts NULL. */
void app_matte_view_report(const app_matte_view *mv, FILE *f);

#endif
