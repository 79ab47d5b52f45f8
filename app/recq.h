/*
 * recq: the recorder (recorder.h) on its own thread behind a bounded
 * frame queue (frameq.h), so that recording costs the display thread one
 * frame copy instead of the RGB->YUV conversion and the encoder's input
 * (13-15 ms a 720p frame on 2 cores when synchronous).
 *
 * The queue holds APP_RECQ_DEPTH frames. When the encoder falls behind,
 * app_recq_write() waits for a free slot rather than dropping: a
 * recording has every frame it was given (exact recordings, --sync).
 *
 * The same queue and thread also write PNG sequences
 * (app_recq_open_frames: --record-frames), which cost more per frame
 * than H.264.
 *
 * Finalising: app_recq_close() drains the queue, then closes the
 * recorder (trailer), on every exit path; the MP4 is fragmented, so even
 * a killed process leaves a file that plays up to its last fragment.
 */
#ifndef APP_RECQ_H
#define APP_RECQ_H

#include <stdint.h>

#include "status.h"

#define APP_RECQ_DEPTH 8

typedef struct app_recq app_recq;

/* Opens the MP4 (app_recorder_open's rules and errors) and starts the
 * encoding thread. *out is NULL on failure. */
eng_status app_recq_open(const char *path, int width, int height,
                         double fps, app_recq **out, eng_error *err);

/* Like app_recq_open(), but each frame becomes DIR/frame-NNNNNN.png
 * (NNNNNN counts from 0), written by the thread. EIO when DIR cannot be
 * created. */
eng_status app_recq_open_frames(const char *dir, int width, int height,
                                app_recq **out, eng_error *err);

/* Queues a copy of one frame (`rgb` borrowed for the call). Waits while
 * the queue is full. EINVAL when width x height is not the size given
 * at open (the stream cannot change size); otherwise the first error the
 * thread met (the frame is then not queued), else ENG_OK. */
eng_status app_recq_write(app_recq *q, const uint8_t *rgb, int width,
                          int height, int stride, double pts_seconds,
                          eng_error *err);

/* Frames queued so far. */
int64_t app_recq_frames(const app_recq *q);

/* Mean ms the encoding thread spent per frame (conversion + encoder). */
double app_recq_encode_ms(const app_recq *q);

/* Encodes what is queued, closes the file and frees q. Accepts NULL.
 * The first error of the thread or of the close. */
eng_status app_recq_close(app_recq *q, eng_error *err);

#endif
