/*
 * recq: see recq.h.
 */
#include "recq.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "frameq.h"
#include "recorder.h"

struct app_recq {
    /* set at open */
    app_recorder *rec;         /* NULL: PNG frames into dir */
    char dir[PATH_MAX];
    int width, height;
    pthread_t thread;
    app_frameq q;
    /* caller thread only */
    int64_t frames;
    /* written by the encoding thread under q.mutex */
    eng_status st;
    eng_error err;
    double encode_s;
    int64_t encoded;
};

static eng_status write_one(app_recq *q, const app_qframe *f)
{
    if (q->rec)
        return app_recorder_write(q->rec, f->rgb, f->stride, f->t, &q->err);
    char path[PATH_MAX];
    eng_status st = app_path(path, &q->err, "%s/frame-%06lld.png", q->dir,
                             (long long)f->index);
    if (st == ENG_OK)
        st = app_write_png(path, f->rgb, f->width, f->height, f->stride,
                           &q->err);
    return st;
}

static void *encode_thread(void *arg)
{
    app_recq *q = arg;
    app_qframe *f;
    while (app_frameq_peek(&q->q, true, &f) > 0) {
        if (q->st == ENG_OK) {
            double t0 = app_now();
            eng_status st = write_one(q, f);
            double dt = app_now() - t0;
            pthread_mutex_lock(&q->q.mutex);
            q->st = st;
            q->encode_s += dt;
            q->encoded++;
            pthread_mutex_unlock(&q->q.mutex);
        }
        app_frameq_next(&q->q);
    }
    return NULL;
}

/* Starts the queue and the thread of q (its sink already open). */
static eng_status start(app_recq *q, eng_error *err)
{
    eng_status st = app_frameq_init(&q->q, APP_RECQ_DEPTH, err);
    if (st != ENG_OK)
        return st;
    if (pthread_create(&q->thread, NULL, encode_thread, q) != 0) {
        app_frameq_destroy(&q->q);
        return eng_fail(err, ENG_EBACKEND, "cannot start the recording "
                        "thread");
    }
    return ENG_OK;
}

eng_status app_recq_open(const char *path, int width, int height,
                         double fps, app_recq **out, eng_error *err)
{
    *out = NULL;
    app_recq *q = calloc(1, sizeof(*q));
    if (!q)
        return eng_fail(err, ENG_ENOMEM, "out of memory");
    q->width = width;
    q->height = height;
    eng_status st = app_recorder_open(path, width, height, fps, &q->rec,
                                      err);
    if (st == ENG_OK)
        st = start(q, err);
    if (st != ENG_OK) {
        app_recorder_close(q->rec, NULL);
        free(q);
        return st;
    }
    *out = q;
    return ENG_OK;
}

eng_status app_recq_open_frames(const char *dir, int width, int height,
                                app_recq **out, eng_error *err)
{
    *out = NULL;
    if (width < 1 || height < 1)
        return eng_fail(err, ENG_EINVAL, "frames of %dx%d", width, height);
    app_recq *q = calloc(1, sizeof(*q));
    if (!q)
        return eng_fail(err, ENG_ENOMEM, "out of memory");
    q->width = width;
    q->height = height;
    eng_status st = app_path(q->dir, err, "%s", dir);
    if (st == ENG_OK)
        st = app_mkdir_p(dir, err);
    if (st == ENG_OK)
        st = start(q, err);
    if (st != ENG_OK) {
        free(q);
        return st;
    }
    *out = q;
    return ENG_OK;
}

eng_status app_recq_write(app_recq *q, const uint8_t *rgb, int width,
                          int height, int stride, double pts_seconds,
                          eng_error *err)
{
    if (width != q->width || height != q->height)
        return eng_fail(err, ENG_EINVAL, "the frame size changed from "
                        "%dx%d to %dx%d during the recording", q->width,
                        q->height, width, height);
    app_qframe *f = app_frameq_writable(&q->q);
    pthread_mutex_lock(&q->q.mutex);
    eng_status failed = q->st;
    if (failed != ENG_OK && err)
        *err = q->err;
    pthread_mutex_unlock(&q->q.mutex);
    if (failed != ENG_OK)
        return failed;
    if (!f)
        return eng_fail(err, ENG_EINVAL, "recording already closed");
    eng_status st = app_qframe_copy(f, rgb, q->width, q->height, stride,
                                    err);
    if (st != ENG_OK)
        return st;
    f->t = pts_seconds;
    f->index = q->frames++;
    app_frameq_push(&q->q);
    return ENG_OK;
}

int64_t app_recq_frames(const app_recq *q)
{
    return q->frames;
}

double app_recq_encode_ms(const app_recq *q)
{
    app_frameq *fq = (app_frameq *)&q->q;
    pthread_mutex_lock(&fq->mutex);
    double ms = q->encoded ? 1e3 * q->encode_s / (double)q->encoded : 0;
    pthread_mutex_unlock(&fq->mutex);
    return ms;
}

eng_status app_recq_close(app_recq *q, eng_error *err)
{
    if (!q)
        return ENG_OK;
    app_frameq_drain(&q->q);
    app_frameq_abort(&q->q);
    pthread_join(q->thread, NULL);
    eng_status st = q->st;
    if (st != ENG_OK && err)
        *err = q->err;
    eng_error e2;
    eng_status cst = app_recorder_close(q->rec, st == ENG_OK ? err : &e2);
    if (st == ENG_OK)
        st = cst;
    app_frameq_destroy(&q->q);
    free(q);
    return st;
}
