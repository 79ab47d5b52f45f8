/*
 * worker: the engine thread of the viewer. The display thread hands it
 * the frame it is showing (app_worker_submit; a frame not yet started is
 * replaced by a newer one: the newest wins), the thread runs the pipeline
 * (pipeline.h) on it and publishes the result; the display draws the
 * newest finished result over whatever frame it shows, so it never waits
 * for inference, unless it asks to (app_worker_wait, --sync).
 *
 * Settings (stride, smoothing) change through app_worker_configure(): the
 * thread re-creates the pipeline between two frames (the models load
 * again, ~0.1 s). A job with a new serial (a seek or a loop) resets the
 * tracks first.
 *
 * What it does not do: decode, draw, or write results anywhere.
 */
#ifndef APP_WORKER_H
#define APP_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include "frameq.h"
#include "matte_view.h"
#include "pipeline.h"

typedef struct app_worker app_worker;

/* A published result and the frame it belongs to. */
typedef struct app_worker_result {
    app_frame_result res;
    int64_t index;       /* the frame's index; -1 before the first */
    int serial;
    double submitted;    /* app_now() when the frame was submitted */
    double done;         /* app_now() when the result was published */
} app_worker_result;

/* Creates the pipeline (app_pipeline_create's errors, from this thread so
 * a missing model is reported before a window opens) and starts the
 * thread. `matte` (borrowed, may be NULL) mattes each frame after the
 * pipeline, on the engine thread (app_matte_view_process). *out is NULL
 * on failure. */
eng_status app_worker_start(const app_pipeline_desc *desc,
                            app_matte_view *matte, app_worker **out,
                            eng_error *err);

/* Stops the thread and frees everything. Accepts NULL. */
void app_worker_stop(app_worker *w);

/* Queues a copy of `f` (borrowed for the call), replacing a frame the
 * thread has not started. ENOMEM. */
eng_status app_worker_submit(app_worker *w, const app_qframe *f,
                             eng_error *err);

/* Copies the newest result into *out if it is newer than `have_index` /
 * `have_serial`; returns whether it did. */
bool app_worker_latest(app_worker *w, int64_t have_index, int have_serial,
                       app_worker_result *out);

/* Waits until the result of frame `index` of `serial` is published (or
 * the thread failed or stopped); false then. */
bool app_worker_wait(app_worker *w, int64_t index, int serial);

/* Asks for new settings, applied before the next frame. */
void app_worker_configure(app_worker *w, const app_pipeline_desc *desc);

/* ENG_OK, or the error that stopped the thread (copied into *err). */
eng_status app_worker_status(app_worker *w, eng_error *err);

#endif
