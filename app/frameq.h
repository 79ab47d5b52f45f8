/*
 * frameq: a bounded queue of RGB24 frames between two threads, after
 * ffplay's FrameQueue: a fixed ring of slots whose pixel buffers are
 * reused (they grow only when a bigger frame comes; no allocation per
 * frame after warm-up), a mutex and a condition, an abort flag that wakes
 * and releases every waiter, and a serial that app_frameq_flush() bumps
 * so frames queued before a seek are recognised as stale.
 *
 * Verbs: init / writable + push (producer) / peek + next (consumer) /
 * flush / abort / destroy. peek returns <0 when aborted, 0 when empty
 * (non-blocking), >0 with a frame, as ffplay's get.
 *
 * What it does not do: decode, convert or pace frames. One producer and
 * one consumer thread.
 */
#ifndef APP_FRAMEQ_H
#define APP_FRAMEQ_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "status.h"

#define APP_FRAMEQ_MAX 16

typedef struct app_qframe {
    int width, height;
    int stride;             /* 3 * width: rows are packed */
    uint8_t *rgb;           /* owned by the queue */
    size_t cap;             /* bytes allocated at rgb */
    int64_t index;          /* the source's frame index */
    double t;               /* seconds */
    double decode_ms;       /* what decoding it cost */
    int serial;             /* set by the producer (app_frameq_push) */
} app_qframe;

typedef struct app_frameq {
    /* set at init */
    int size;                         /* slots in use, <= APP_FRAMEQ_MAX */
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    /* guarded by mutex */
    app_qframe slot[APP_FRAMEQ_MAX];
    int rindex, count;
    int serial;
    bool abort;
} app_frameq;

/* Prepares an empty queue of `size` slots (1..APP_FRAMEQ_MAX). EINVAL for
 * a bad size, EBACKEND when pthreads refuses. */
eng_status app_frameq_init(app_frameq *q, int size, eng_error *err);

/* Frees the slots' buffers. Call once no thread uses the queue. */
void app_frameq_destroy(app_frameq *q);

/* Producer: waits for a free slot and returns it, or NULL once aborted.
 * Fill it with app_qframe_copy(), then app_frameq_push(). */
app_qframe *app_frameq_writable(app_frameq *q);

/* Copies a width x height RGB24 image (borrowed) into the slot, growing
 * its buffer when needed. ENOMEM. */
eng_status app_qframe_copy(app_qframe *f, const uint8_t *rgb, int width,
                           int height, int stride, eng_error *err);

/* Producer: publishes the slot returned by writable. The producer sets
 * the slot's serial: the queue's serial when it began producing that
 * frame (app_frameq_serial()), so a frame started before a flush is
 * recognised as stale even if it is pushed after it. */
void app_frameq_push(app_frameq *q);

/* Consumer: the oldest frame, left in the queue. With `block`, waits
 * until there is one. <0 aborted, 0 empty, >0 *out is set (valid until
 * app_frameq_next()). */
int app_frameq_peek(app_frameq *q, bool block, app_qframe **out);

/* Consumer: drops the frame peek returned, freeing its slot. */
void app_frameq_next(app_frameq *q);

/* Waits until the consumer has released every queued frame (or the
 * queue is aborted). */
void app_frameq_drain(app_frameq *q);

/* Drops every queued frame and bumps the serial; returns the new one. */
int app_frameq_flush(app_frameq *q);

/* The current serial. */
int app_frameq_serial(app_frameq *q);

/* Wakes every waiter; from now on writable returns NULL and peek < 0. */
void app_frameq_abort(app_frameq *q);

#endif
